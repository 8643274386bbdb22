# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 5: the AWS API calls of each lifecycle transition, as the endpoint counted them: none
for no change, exactly the invocations otherwise, and DryRun invocations only in check mode."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from harness import Figure, Harness, Section, le_task, li_task

KEY = "calls"
TITLE = "AWS API calls per transition"
SHOW = "    - ansible.builtin.debug:\n        msg: \"BENCH action={{ r.action }} invocations={{ r.invocations | length }}\"\n"
A = {"tenant": "acme", "plan": "gold"}
C = {"tenant": "acme", "plan": "platinum"}
ABSENT = "        state: absent\n"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One transition: the task, and what it must do."""

    label: str
    scope: str
    value: Optional[Dict[str, Any]]
    extra: str = ""
    check: bool = False
    action: str
    changed: int
    invokes: Dict[str, int]  # expected invocations by type
    in_smoke: bool = False


STEPS = [
    Step(label="CRUD create", scope="CRUD", value=A, action="create", changed=1, invokes={"RequestResponse": 1}, in_smoke=True),
    Step(label="CRUD no change", scope="CRUD", value=A, action="none", changed=0, invokes={}, in_smoke=True),
    Step(label="CRUD update, check mode", scope="CRUD", value=C, check=True, action="update", changed=1,
         invokes={"DryRun": 1}, in_smoke=True),
    Step(label="CRUD update", scope="CRUD", value=C, action="update", changed=1, invokes={"RequestResponse": 1}, in_smoke=True),
    Step(label="CRUD no change, check mode", scope="CRUD", value=C, check=True, action="none", changed=0, invokes={}),
    Step(label="CRUD replace (triggers changed): delete + create", scope="CRUD", value=C,
         extra="        triggers: {code: v2}\n", action="replace", changed=1, invokes={"RequestResponse": 2}),
    Step(label="CRUD absent, check mode", scope="CRUD", value=None, extra=ABSENT, check=True, action="delete", changed=1,
         invokes={"DryRun": 1}),
    Step(label="CRUD absent: delete", scope="CRUD", value=None, extra=ABSENT, action="delete", changed=1,
         invokes={"RequestResponse": 1}, in_smoke=True),
    Step(label="absent, no record", scope="CRUD", value=None, extra=ABSENT, action="none", changed=0, invokes={}, in_smoke=True),
    Step(label="CREATE_ONLY create, check mode", scope="CREATE_ONLY", value=A, check=True, action="create", changed=1,
         invokes={"DryRun": 1}),
    Step(label="CREATE_ONLY create", scope="CREATE_ONLY", value=A, action="create", changed=1, invokes={"RequestResponse": 1}),
    Step(label="CREATE_ONLY no change", scope="CREATE_ONLY", value=A, action="none", changed=0, invokes={}),
    Step(label="CREATE_ONLY input changed: replace", scope="CREATE_ONLY", value=C, action="replace", changed=1,
         invokes={"RequestResponse": 1}),
    Step(label="CREATE_ONLY absent: forget", scope="CREATE_ONLY", value=None, extra=ABSENT, action="forget", changed=1,
         invokes={}),
]


def measure(b: Harness) -> None:
    b.say("\n[5] AWS API calls per transition, as the endpoint counted them")
    steps = [s for s in STEPS if b.mode.all_transitions or s.in_smoke]
    cache = b.cache("transitions", fresh=True)
    floor_play = b.playbook("show_only.yml", ["    - ansible.builtin.set_fact:\n        r: {action: none, invocations: []}\n", SHOW])
    base = min(b.run("transition-floor-%d" % i, floor_play, b.cache("floor", fresh=True)).wall for i in range(2))
    rows = ["| transition | action | AWS API calls (endpoint) | expected | task time (s) | |", "|---|---|---|---|---:|---|"]
    wrong = 0
    for i, step in enumerate(steps):
        play = b.playbook("transition_%02d.yml" % i, [li_task("tr-" + step.scope.lower(), step.value, step.scope, step.extra,
                                                              register="r"), SHOW])
        run = b.run("transition-%02d" % i, play, cache, check=step.check)
        got = re.search(r"BENCH action=(\w+) invocations=(\d+)", run.output)
        got_action = got.group(1) if got else "?"
        invokes = {k: v for k, v in run.invokes.items() if v}
        total = sum(step.invokes.values())
        reads = _reads(step.invokes)
        ok = b.check(
            got_action == step.action and run.recap.get("changed", 0) == step.changed and invokes == step.invokes
            and run.api_total == total + reads and run.api.get("lambda.Invoke", 0) == total
            and run.api.get("lambda.GetFunctionConfiguration", 0) == reads,
            "transition %s%s: action %s, AWS API calls: %s" % (
                step.label, " (--check)" if step.check else "", step.action, _fmt_expected(step.invokes)),
            "action %s, changed=%s, calls %s" % (got_action, run.recap.get("changed"), _fmt_calls(run.api, run.invokes)))
        wrong += not ok
        rows.append("| %s%s | %s | %s | %s | %.2f | %s |" % (
            step.label, " (`--check`)" if step.check else "", got_action, _fmt_calls(run.api, run.invokes),
            _fmt_expected(step.invokes), max(run.wall - base, 0.0), "ok" if ok else "**WRONG**"))
    run = b.run("transition-lambda-execute", b.playbook("transition_le.yml", [le_task(0, A)]), cache)
    rows.append("| for comparison: one amazon.aws.lambda_execute | - | %s | - | %.2f | |" % (
        _fmt_calls(run.api, run.invokes), max(run.wall - base, 0.0)))
    b.table(Section("AWS API calls per transition (task time = playbook wall time minus a one-debug-task playbook's)", rows))
    b.figures.append(Figure(
        "5", "AWS API calls per transition: transitions whose calls differ from the expected", float(wrong), 0.0, fmt="{:.0f}",
        api="none for no change; one GetFunctionConfiguration and the invocations; DryRun only in check mode" if not wrong else "see table",
        note="%d transitions checked" % len(steps)))


def _fmt_calls(api: Dict[str, int], invokes: Dict[str, int]) -> str:
    if not api:
        return "none"
    parts: List[str] = []
    for op, n in sorted(api.items()):
        if op == "lambda.Invoke":
            kinds = ", ".join("%s %d" % (k, v) for k, v in invokes.items() if v)
            parts.append("%d Invoke (%s)" % (n, kinds))
        else:
            parts.append("%d %s" % (n, op.split(".", 1)[-1]))
    return ", ".join(parts)


def _reads(expected: Dict[str, int]) -> int:
    """A task that invokes (not a DryRun) first reads whether the function is durable, once
    (lifecycle.md, "Exactly once"; the task sets no ``durable``)."""
    return 1 if expected.get("RequestResponse") else 0


def _fmt_expected(expected: Dict[str, int]) -> str:
    if not expected:
        return "none"
    invokes = ", ".join("%d Invoke (%s)" % (v, k) for k, v in expected.items())
    return ("1 GetFunctionConfiguration, " + invokes) if _reads(expected) else invokes
