# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 2: the change path. lambda_invocation really invoking, against amazon.aws.lambda_execute
making the same invocations and against ansible.builtin.ping, at each network latency of the mode
(0 ms: loopback; 20 ms: a same-region round trip, added by the endpoint to every AWS API
response), side by side in the same rounds; then where the time of one task goes."""
from __future__ import annotations

import string
from typing import Callable, Dict, List

import breakdown
from harness import (
    Figure, Harness, Run, Section, calls_per_task, le_task, li_task, median, per_task, ping_task, rotate, small_input, spread,
)

KEY = "change"
TITLE = "change path at 0 ms and 20 ms of network latency, and where its time goes"


def measure(b: Harness) -> None:
    m = b.mode
    t = m.change_tasks
    b.say("\n[2] change path: %d invocations, lambda_invocation vs amazon.aws.lambda_execute vs ping, at %s ms"
          % (t, " and ".join(str(ms) for ms in m.latencies_ms)))
    plays = {
        "empty": b.playbook("empty.yml", []),
        "li": b.playbook("change_li_%d.yml" % t, [li_task("chg-%04d" % i, small_input(i)) for i in range(t)]),
        "le": b.playbook("change_le_%d.yml" % t, [le_task(i, small_input(i)) for i in range(t)]),
        "ping": b.playbook("ping_%d.yml" % t, [ping_task(i) for i in range(t)]),
    }
    # A side is a playbook at a latency; empty and ping make no AWS call, so they run once a round.
    sides = ["empty", "ping"] + ["%s@%d" % (kind, ms) for ms in m.latencies_ms for kind in ("li", "le")]
    costs: Dict[str, List[float]] = {side: [] for side in sides if side != "empty"}
    last: Dict[str, Run] = {}
    for rnd in range(m.change_rounds):
        runs: Dict[str, Run] = {}
        for side in rotate(sides, rnd):
            kind, _at, latency = side.partition("@")
            runs[side] = b.run("change-%s-r%d" % (side.replace("@", "-"), rnd), plays[kind], b.cache("change", fresh=True),
                               latency_ms=int(latency or 0))
        _check_round(b, runs, rnd)
        for side in costs:
            costs[side].append(per_task(runs[side], runs["empty"], t))
        last = runs
        b.say("  round %d: " % (rnd + 1) + ", ".join("%s %.0f" % (side, costs[side][-1] * 1e3) for side in costs)
              + " ms/task")
    _figures(b, costs, last)
    at0 = {kind: median(costs["%s@0" % kind]) for kind in ("li", "le")}
    breakdown.where_the_time_goes(b, {**at0, "ping": median(costs["ping"])})


def _check_round(b: Harness, runs: Dict[str, Run], rnd: int) -> None:
    t = b.mode.change_tasks
    for ms in b.mode.latencies_ms:
        li, le = runs["li@%d" % ms], runs["le@%d" % ms]
        # Each task reads once whether the function is durable (the task sets no `durable`), then invokes.
        b.require(
            li.recap.get("changed") == t and li.invokes.get("RequestResponse") == t
            and li.api.get("lambda.GetFunctionConfiguration") == t and li.api_total == 2 * t,
            "change path at %d ms, round %d: %d lambda_invocation tasks made %d GetFunctionConfiguration and %d Invoke "
            "calls and nothing else" % (ms, rnd + 1, t, t, t),
            "changed=%s, %s Invoke (RequestResponse), %d API calls; see %s"
            % (li.recap.get("changed"), li.invokes.get("RequestResponse"), li.api_total, li.log))
        b.require(
            le.invokes.get("RequestResponse") == t,
            "change path at %d ms, round %d: %d amazon.aws.lambda_execute tasks made %d invocations" % (ms, rnd + 1, t, t),
            "%s invocations; see %s" % (le.invokes.get("RequestResponse"), le.log))


def _figures(b: Harness, costs: Dict[str, List[float]], runs: Dict[str, Run]) -> None:
    t = b.mode.change_tasks
    med = {side: median(values) for side, values in costs.items()}
    letters = iter(string.ascii_lowercase)
    for ms in b.mode.latencies_ms:
        li, le = "li@%d" % ms, "le@%d" % ms
        r_le = [a / c for a, c in zip(costs[li], costs[le])]
        r_ping = [a / c for a, c in zip(costs[li], costs["ping"])]
        b.figures.append(Figure(
            "2" + next(letters), "Change path at %d ms: lambda_invocation / amazon.aws.lambda_execute, per task (%d invocations)"
            % (ms, t), median(r_le), None if b.mode.smoke else 1.0, spread=spread(r_le),
            api="%s vs %s" % (calls_per_task(runs[li].api, t), calls_per_task(runs[le].api, t)),
            note="%.0f vs %.0f ms/task" % (med[li] * 1e3, med[le] * 1e3),
        ))
        b.figures.append(Figure(
            "2" + next(letters), "Change path at %d ms: lambda_invocation / ansible.builtin.ping, per task" % ms,
            median(r_ping), spread=spread(r_ping),
            api="%s vs none" % calls_per_task(runs[li].api, t),
            note="%.0f vs %.0f ms/task" % (med[li] * 1e3, med["ping"] * 1e3),
        ))
    b.table(Section("Change path by network latency (%d invocations, medians of %d rounds)" % (t, b.mode.change_rounds),
                    _latency_rows(b, med, runs)))


def _latency_rows(b: Harness, med: Dict[str, float], runs: Dict[str, Run]) -> List[str]:
    t = b.mode.change_tasks
    lat = b.mode.latencies_ms

    def row(label: str, cell: Callable[[int], str]) -> str:
        return "| %s | %s |" % (label, " | ".join(cell(ms) for ms in lat))

    return [
        "| per task | " + " | ".join("%d ms" % ms for ms in lat) + " |",
        "|---|" + "---:|" * len(lat),
        row("lambda_invocation (ms)", lambda ms: "%.0f" % (med["li@%d" % ms] * 1e3)),
        row("amazon.aws.lambda_execute (ms)", lambda ms: "%.0f" % (med["le@%d" % ms] * 1e3)),
        row("ansible.builtin.ping (ms; makes no AWS call)", lambda ms: "%.0f" % (med["ping"] * 1e3)),
        row("lambda_invocation / lambda_execute", lambda ms: "%.2f" % (med["li@%d" % ms] / med["le@%d" % ms])),
        row("lambda_invocation / ping", lambda ms: "%.2f" % (med["li@%d" % ms] / med["ping"])),
        row("AWS API calls of lambda_invocation", lambda ms: calls_per_task(runs["li@%d" % ms].api, t)),
        row("AWS API calls of lambda_execute", lambda ms: calls_per_task(runs["le@%d" % ms].api, t)),
    ]
