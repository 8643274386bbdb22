# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 9: what the records of a for_each with many keys cost every other task of the host
(issue 18, defect 5). 100 debug tasks on a host whose fact cache holds 5,000 keys' records, one fact
for the id as the collection now keeps them, against the same tasks on a clean host; and, for
comparison, the layout before 0.2.0 (one fact per key). ansible-core copies each top-level fact into
every task's variables, so the cost of a task grows with the number of facts, not their size."""
from __future__ import annotations

from typing import Dict, List

from harness import FUNCTION, Figure, Harness, Section, debug_task, median, per_task, rotate, spread

KEY = "many_keys"
TITLE = "debug tasks on a host with 5,000 for_each records in facts, against a clean host"
KEYS = {"full": 5000, "smoke": 50}
TASKS = {"full": 100, "smoke": 5}
SEED_RESULT = '{"ok": true}'


def measure(b: Harness) -> None:
    keys, tasks = KEYS[b.mode.name], TASKS[b.mode.name]
    b.say("\n[9] %d debug tasks on a host with %d for_each records in facts (one fact, and one per key) vs a clean host"
          % (tasks, keys))
    records = [{"id": "tenants[t%05d]" % i, "function_name": FUNCTION, "scope": "CRUD", "input": {"tenant": i},
                "result": SEED_RESULT} for i in range(keys)]
    caches = {"clean": b.cache("keys-clean", fresh=True), "one fact": b.cache("keys-one", fresh=True),
              "per key": b.cache("keys-per-key", fresh=True)}
    b.seed(caches["one fact"], records)
    b.seed(caches["per key"], records, per_key=True)
    debug = b.playbook("keys_debug_%d.yml" % tasks, [debug_task(i) for i in range(tasks)])
    empty = b.playbook("keys_empty.yml", [])
    cost: Dict[str, List[float]] = {side: [] for side in caches}
    for rnd in range(b.mode.nochange_rounds):
        for side in rotate(list(caches), rnd):
            runs = {kind: b.run("keys-%s-%s-r%d" % (side.replace(" ", "-"), kind, rnd), play, caches[side])
                    for kind, play in rotate([("empty", empty), ("debug", debug)], rnd)}
            cost[side].append(per_task(runs["debug"], runs["empty"], tasks))
    one = [cost["one fact"][i] / cost["clean"][i] for i in range(b.mode.nochange_rounds)]
    old = [cost["per key"][i] / cost["clean"][i] for i in range(b.mode.nochange_rounds)]
    b.figures.append(Figure("9a", "debug tasks, host with %d for_each records (one fact) / clean host" % keys,
                            median(one), None if b.mode.smoke else 1.15, spread=spread(one),
                            note="%.1f vs %.1f ms/task" % (median(cost["one fact"]) * 1e3, median(cost["clean"]) * 1e3)))
    b.figures.append(Figure("9b", "the same, records one fact per key (before 0.2.0) / clean host", median(old),
                            spread=spread(old), note="%.1f ms/task" % (median(cost["per key"]) * 1e3)))
    b.table(Section("A host's records and every other task (%d debug tasks, %d for_each records, medians)" % (tasks, keys), [
        "| the host's facts | ms per debug task | / clean host |", "|---|---:|---:|",
        "| clean | %.1f | 1.00 |" % (median(cost["clean"]) * 1e3),
        "| %d records, one fact (0.2.0) | %.1f | %.2f |" % (keys, median(cost["one fact"]) * 1e3, median(one)),
        "| %d records, one fact per key (before) | %.1f | %.2f |" % (keys, median(cost["per key"]) * 1e3, median(old)),
    ]))
