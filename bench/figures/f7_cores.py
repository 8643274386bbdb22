# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 7: the no-change path on the newest ansible-core beside 2.19 (the newest of the last
matrix), same playbooks, same records, same round; and how often each reads the jsonfile cache
from disk in one run (figure 1's question: does a core re-read every host's facts per task?)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Dict, List

from harness import BENCH, FUNCTION, PY, ROOT, Figure, Harness, Section, debug_task, li_task, median, per_task, rotate, small_input, spread

KEY = "cores"
TITLE = "no-change path on ansible-core 2.19 and on the newest"
OLD_CORE = "2.19"
SEED_RESULT = '{"ok": true, "bytes": 0}'


def measure(b: Harness) -> None:
    m = b.mode
    # nox -s bench (bench/run) installs ansible-core OLD_CORE into a venv of its own and says where.
    old_python = Path(os.environ.get("CLOUDHOOKS_BENCH_OLD_PYTHON") or ROOT / ".build" / ("venv-%s" % OLD_CORE) / "bin" / "python")
    if not old_python.is_file():
        b.check(False, "no-change path on ansible-core %s" % OLD_CORE,
                "%s is missing: run the benchmarks with bench/run" % old_python)
        return
    new_core = _core_of(PY)
    tasks = m.nochange_tasks
    b.say("\n[7] no-change path: %d lambda_invocation tasks with current records, ansible-core %s vs %s"
          % (tasks, OLD_CORE, new_core))
    play = b.playbook("cores_nochange_%d.yml" % tasks,
                      [li_task("cores-%04d" % i, small_input(i), "CRUD") for i in range(tasks)])
    debug = b.playbook("cores_debug_%d.yml" % tasks, [debug_task(i) for i in range(tasks)])
    empty = b.playbook("cores_empty.yml", [])
    cache = b.cache("cores", fresh=True)
    b.seed(cache, [{"id": "cores-%04d" % i, "function_name": FUNCTION, "scope": "CRUD", "input": small_input(i),
                    "result": SEED_RESULT} for i in range(tasks)])
    commands = {
        new_core: [str(PY), str(BENCH / "_count_cache_loads.py"), str(PY.parent / "ansible-playbook")],
        OLD_CORE: [str(old_python), str(BENCH / "_count_cache_loads.py"), str(old_python.parent / "ansible-playbook")],
    }
    li: Dict[str, List[float]] = {core: [] for core in commands}
    ratio: Dict[str, List[float]] = {core: [] for core in commands}
    loads: Dict[str, int] = {}
    for rnd in range(m.nochange_rounds):
        for core in rotate(list(commands), rnd):
            runs = {side: b.run("cores-%s-%s-r%d" % (core, side, rnd), path, cache, command=commands[core])
                    for side, path in rotate([("empty", empty), ("debug", debug), ("li", play)], rnd)}
            run = runs["li"]
            b.require(run.recap.get("changed", 0) == 0 and run.api_total == 0,
                      "no-change path on ansible-core %s, round %d: changed=0 and no AWS API call" % (core, rnd + 1),
                      "changed=%s and %d AWS API calls; see %s" % (run.recap.get("changed"), run.api_total, run.log))
            found = re.search(r"CACHE_LOADS=(\d+)", run.output)
            b.require(found is not None, "ansible-core %s: the cache reads were counted" % core, "see %s" % run.log)
            loads[core] = int(found.group(1)) if found else -1
            cost = per_task(run, runs["empty"], tasks)
            li[core].append(cost)
            ratio[core].append(cost / per_task(runs["debug"], runs["empty"], tasks))
    per_round = [li[new_core][i] / li[OLD_CORE][i] for i in range(m.nochange_rounds)]
    b.figures.append(Figure(
        "7", "No-change path, ansible-core %s / %s, per task (%d tasks)" % (new_core, OLD_CORE, tasks),
        median(per_round), spread=spread(per_round),
        note="%.1f vs %.1f ms/task; cache file reads per run: %d on %s, %d on %s"
        % (median(li[new_core]) * 1e3, median(li[OLD_CORE]) * 1e3, loads[new_core], new_core, loads[OLD_CORE], OLD_CORE),
    ))
    rows = ["| ansible-core | lambda_invocation ms/task | ratio to debug | cache file reads per run |", "|---|---:|---:|---:|"]
    for core in (OLD_CORE, new_core):
        rows.append("| %s | %.1f | %.2f | %d |" % (core, median(li[core]) * 1e3, median(ratio[core]), loads[core]))
    b.sections.append(Section("No-change path by ansible-core (%d tasks, %d records, medians)" % (tasks, tasks), rows))


def _core_of(python: Path) -> str:
    """The ansible-core version (major.minor) installed for that Python."""
    found = subprocess.run([str(python), "-c", "from ansible.release import __version__; print(__version__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return ".".join(found.split(".")[:2])
