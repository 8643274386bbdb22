# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures 1 and 3: the no-change path (lambda_invocation tasks whose records are current, against
ansible.builtin.debug), and how it grows with the number of records stored on the host."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from harness import FUNCTION, Figure, Harness, Run, Section, debug_task, li_task, median, per_task, rotate, small_input, spread

KEY = "nochange"
TITLE = "no-change path and its growth"
SEED_RESULT = '{"ok": true, "bytes": 0}'


class _Costs:
    """Per number of records stored: the rounds' ms/task of each side and their ratios."""

    def __init__(self, counts: List[int]) -> None:
        self.ratio: Dict[int, List[float]] = {n: [] for n in counts}
        self.debug: Dict[int, List[float]] = {n: [] for n in counts}
        self.li: Dict[int, List[float]] = {n: [] for n in counts}
        self.cpu_ratio: Dict[int, List[float]] = {n: [] for n in counts}

    def add(self, n: int, runs: Dict[str, Run], tasks: int) -> None:
        d = per_task(runs["debug"], runs["empty"], tasks)
        c = per_task(runs["li"], runs["empty"], tasks)
        self.debug[n].append(d)
        self.li[n].append(c)
        self.ratio[n].append(c / d)
        self.cpu_ratio[n].append((runs["li"].cpu - runs["empty"].cpu) / max(runs["debug"].cpu - runs["empty"].cpu, 1e-9))


def measure(b: Harness) -> None:
    m = b.mode
    b.say("\n[1,3] no-change path: %d lambda_invocation tasks with current records vs %d debug tasks"
          % (m.nochange_tasks, m.nochange_tasks))
    counts = sorted({m.growth_records[0], m.nochange_records, m.growth_records[1]})
    plays = {"empty": b.playbook("empty.yml", []),
             "debug": b.playbook("debug_%d.yml" % m.nochange_tasks, [debug_task(i) for i in range(m.nochange_tasks)])}
    li_plays = {n: _seeded_play(b, n) for n in counts}
    costs = _Costs(counts)
    for rnd in range(m.nochange_rounds):
        for n in rotate(counts, rnd):
            runs: Dict[str, Run] = {}
            li_play, cache = li_plays[n]  # every side runs with the n records stored
            for side in rotate(["empty", "debug", "li"], rnd + n):
                runs[side] = b.run("%s-records%d-r%d" % (side, n, rnd), plays.get(side, li_play), cache)
            li = runs["li"]
            b.require(li.recap.get("changed", 0) == 0 and li.api_total == 0,
                      "no-change path, %d records stored, round %d: changed=0 and no AWS API call" % (n, rnd + 1),
                      "changed=%s and %d AWS API calls: the stored records were not recognised as current; see %s"
                      % (li.recap.get("changed"), li.api_total, li.log))
            costs.add(n, runs, m.nochange_tasks)
        b.say("  round %d: " % (rnd + 1) + ", ".join(
            "%d records: %.2f (%.1f vs %.1f ms/task)" % (n, costs.ratio[n][-1], costs.li[n][-1] * 1e3, costs.debug[n][-1] * 1e3)
            for n in counts))
    _figures(b, costs, counts)


def _seeded_play(b: Harness, n: int) -> tuple[Path, Path]:
    """The no-change playbook for n stored records, and its fact cache holding them."""
    m = b.mode
    ids = min(n, m.nochange_tasks)
    play = b.playbook(
        "nochange_%d.yml" % n,
        [li_task("bench-%04d" % (i % ids), small_input(i % ids), "CRUD") for i in range(m.nochange_tasks)],
    )
    cache = b.cache("records%d" % n, fresh=True)
    b.seed(cache, [
        {"id": "bench-%04d" % i, "function_name": FUNCTION, "scope": "CRUD", "input": small_input(i), "result": SEED_RESULT}
        for i in range(n)
    ])
    return play, cache


def _figures(b: Harness, costs: _Costs, counts: List[int]) -> None:
    m = b.mode
    n1, (small, large) = m.nochange_records, m.growth_records
    b.figures.append(Figure(
        "1", "No-change path: lambda_invocation / debug, per task (%d tasks, %d records)" % (m.nochange_tasks, n1),
        median(costs.ratio[n1]), None if m.smoke else 1.15, spread=spread(costs.ratio[n1]),
        api="0 calls in %d no-change tasks" % (m.nochange_tasks * m.nochange_rounds * len(counts)),
        note="%.1f vs %.1f ms/task; CPU ratio %.2f"
        % (median(costs.li[n1]) * 1e3, median(costs.debug[n1]) * 1e3, median(costs.cpu_ratio[n1])),
    ))
    growth = [costs.ratio[large][i] / costs.ratio[small][i] for i in range(m.nochange_rounds)]
    b.figures.append(Figure(
        "3", "Growth: figure 1 with %d records / with %d records" % (large, small),
        median(growth), 1.2, spread=spread(growth),
        note="figure 1 ratio: %.2f with %d, %.2f with %d records"
        % (median(costs.ratio[small]), small, median(costs.ratio[large]), large),
    ))
    slowdown = [costs.debug[large][i] / costs.debug[small][i] for i in range(m.nochange_rounds)]
    b.figures.append(Figure(
        "3b", "debug's own slowdown: %d records / %d records, per task" % (large, small),
        median(slowdown), spread=spread(slowdown),
        note="%.1f vs %.1f ms/task" % (median(costs.debug[large]) * 1e3, median(costs.debug[small]) * 1e3),
    ))
    rows = ["| records stored | lambda_invocation ms/task | debug ms/task | ratio |", "|---:|---:|---:|---:|"]
    for n in counts:
        rows.append("| %d | %.1f | %.1f | %.2f |" % (
            n, median(costs.li[n]) * 1e3, median(costs.debug[n]) * 1e3, median(costs.ratio[n])))
    b.sections.append(Section("No-change path by number of records stored (%d tasks, medians)" % m.nochange_tasks, rows))
