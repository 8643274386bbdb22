# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 4: size. A CRUD record created with a small input, then updated to a ~5 MB input: it
must complete, and the module process's peak RSS stays under MODULE_RSS_LIMIT_MB. Then what one
big record stored on the host costs every other task of the play (4b)."""
from __future__ import annotations

import base64
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from harness import (
    MB, Figure, Harness, Run, Section, calls_per_task, debug_task, first_msg, li_task, median, per_task, rotate, spread,
)

KEY = "size"
TITLE = "a 5 MB CRUD update, and what a big record costs other tasks"
MODULE_RSS_LIMIT_MB = 200
SHOW = "    - ansible.builtin.debug:\n        msg: \"BENCH action={{ r.action }} bytes={{ r.result_json.bytes | default('-') }}\"\n"


@dataclass
class Update:
    """One CRUD update run under the module wrapper and the playbook RSS recorder."""

    run: Run
    module: Dict[str, Any]  # bench/_module_wrapper.py's line: wall_s, cpu_s, maxrss_kb
    received: int  # bytes the function received
    playbook: Dict[str, int]  # bench/_playbook_rss.py: self_maxrss_kb, children_maxrss_kb


def measure(b: Harness) -> None:
    size = b.mode.size_bytes
    b.say("\n[4] size: CRUD create with a small input, then an update to a %.1f MB input" % (size / MB))
    blob = base64.b64encode(random.Random(5).randbytes(size * 3 // 4 + 3)).decode()[:size]  # not compressible
    (b.work / "playbooks" / "big.json").write_text(json.dumps({"big_blob": blob}))
    big = b.playbook("size_update_big.yml", [
        li_task("size", None, "CRUD", extra="        input:\n          blob: \"{{ big_blob }}\"\n", register="r"), SHOW],
        vars_files=["big.json"])
    cache = b.cache("size", fresh=True)
    b.run("size-create", b.playbook("size_create.yml", [li_task("size", {"blob": "small"}, "CRUD", register="r"), SHOW]), cache)
    updates: Dict[str, Update] = {}
    if b.mode.cost_tasks:  # full mode: a small update first, for comparison
        small = b.playbook("size_update_small.yml", [li_task("size", {"blob": "small-2"}, "CRUD", register="r"), SHOW])
        updates["small update"] = _update(b, "small", small, cache)
    updates["%.1f MB update" % (size / MB)] = big_update = _update(b, "big", big, cache)
    nochange = b.run("size-nochange-big", big, cache)
    b.check(nochange.api_total == 0 and nochange.recap.get("changed", 0) == 0,
            "size: the %.1f MB record is then recognised as current (changed=0, no AWS API call)" % (size / MB),
            "changed=%s, %d API calls" % (nochange.recap.get("changed"), nochange.api_total))
    absent = b.playbook("size_absent.yml", [li_task("size", None, "CRUD", extra="        state: absent\n", register="r")])
    gone = b.run("size-absent-big", absent, cache, expect_ok=False)
    module_mb = big_update.module["maxrss_kb"] / 1024
    b.check(module_mb <= MODULE_RSS_LIMIT_MB, "size: the module process stays under %d MB (%.0f MB)"
            % (MODULE_RSS_LIMIT_MB, module_mb), "%.0f MB" % module_mb)
    b.figures.append(Figure(
        "4", "Size: %.1f MB CRUD update completes; peak RSS of the module process (MB)" % (size / MB),
        module_mb, MODULE_RSS_LIMIT_MB, fmt="{:.0f}",
        api=calls_per_task(big_update.run.api, 1),
        note="function received %d bytes; ansible-playbook %.0f MB (largest process of its tree %.0f MB)"
        % (big_update.received, big_update.playbook["self_maxrss_kb"] / 1024, big_update.run.tree_maxrss_kb / 1024),
    ))
    b.table(Section("Size: CRUD update to a %.1f MB input" % (size / MB), _rows(updates, nochange, gone)))
    if b.mode.cost_tasks:
        _cost_on_other_tasks(b, cache)


def _update(b: Harness, label: str, playbook: Path, cache: Path) -> Update:
    mod_log = b.work / "logs" / ("size-%s.jsonl" % label)
    rss_out = b.work / "logs" / ("size-%s-playbook-rss.json" % label)
    run = b.run("size-update-" + label, playbook, cache, extra_args=["-e", "ansible_python_interpreter=%s" % b.wrapper()],
                extra_env={"BENCH_MODULE_LOG": str(mod_log)}, rss_out=rss_out)
    mods = [json.loads(line) for line in mod_log.read_text().splitlines() if line.strip()]
    match = re.search(r"BENCH action=(\w+) bytes=(\d+)", run.output)
    b.require(len(mods) == 1 and run.invokes.get("RequestResponse") == 1 and bool(match) and match.group(1) == "update",
              "size: the %s update ran one module process, one Invoke, and reported action=update" % label,
              "%d module runs, invocations %s, %s; see %s" % (len(mods), run.invokes, match and match.group(0), run.log))
    assert match is not None
    return Update(run=run, module=mods[0], received=int(match.group(2)), playbook=json.loads(rss_out.read_text()))


def _rows(updates: Dict[str, Update], nochange: Run, gone: Run) -> List[str]:
    def row(label: str, cell: Any) -> str:
        return "| %s | %s |" % (label, " | ".join(cell(u) for u in updates.values()))

    absent_msg = first_msg(gone.output)
    last = "-  | " * (len(updates) - 1)
    return [
        "| | " + " | ".join(updates) + " |",
        "|---|" + "---:|" * len(updates),
        row("payload received by the function (bytes)", lambda u: "%d" % u.received),
        row("playbook wall time, one task (s)", lambda u: "%.2f" % u.run.wall),
        row("module process wall time (s)", lambda u: "%.2f" % u.module["wall_s"]),
        row("peak RSS, module process (MB)", lambda u: "%.0f" % (u.module["maxrss_kb"] / 1024)),
        row("peak RSS, ansible-playbook main process (MB)", lambda u: "%.0f" % (u.playbook["self_maxrss_kb"] / 1024)),
        row("peak RSS, largest process under ansible-playbook (worker or module) (MB)",
            lambda u: "%.0f" % (u.playbook["children_maxrss_kb"] / 1024)),
        "| no-change run afterwards, one task (s) | %s%.2f |" % (last, nochange.wall),
        "| `state: absent` afterwards | %s%s |" % (last, "ok" if gone.rc == 0 else "fails: " + (
            absent_msg[:160] + "..." if len(absent_msg) > 160 else absent_msg)),
    ]


def _cost_on_other_tasks(b: Harness, cache: Path) -> None:
    """debug tasks with the big record stored on the host, against debug tasks with no record."""
    t = b.mode.cost_tasks
    dbg = b.playbook("debug_%d.yml" % t, [debug_task(i) for i in range(t)])
    empty = b.playbook("empty.yml", [])
    none_cache = b.cache("none", fresh=True)
    with_big: List[float] = []
    without: List[float] = []
    for rnd in range(max(1, b.mode.change_rounds)):
        runs = {}
        for side in rotate(["empty-big", "debug-big", "empty-none", "debug-none"], rnd):
            runs[side] = b.run("cost-%s-r%d" % (side, rnd), dbg if side.startswith("debug") else empty,
                               cache if side.endswith("big") else none_cache)
        with_big.append(per_task(runs["debug-big"], runs["empty-big"], t))
        without.append(per_task(runs["debug-none"], runs["empty-none"], t))
    ratios = [a / c for a, c in zip(with_big, without)]
    b.figures.append(Figure(
        "4b", "debug per task with the %.1f MB record stored / with no record" % (b.mode.size_bytes / MB),
        median(ratios), spread=spread(ratios),
        note="%.0f vs %.0f ms/task" % (median(with_big) * 1e3, median(without) * 1e3)))
