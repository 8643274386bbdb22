# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the time of one change-path task goes, for lambda_invocation, amazon.aws.lambda_execute
and ansible.builtin.ping.

In place: a playbook of k tasks of each module, with a callback timing each task
(bench/callback_plugins/bench_timer.py) and an interpreter wrapper timing each module process
(bench/_module_wrapper.py). Directly: the kept AnsiballZ payloads run by hand (interleaved), once
more under ``-X importtime``, under bench/_phase_timer.py (boto3 session and client creation,
each AWS API call), and once under cProfile (kept in the work directory for --keep).
"""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

from harness import BENCH, PY, BenchError, Harness, Section, le_task, li_task, median, ping_task, rotate, small_input

MODULES = ("lambda_invocation", "lambda_execute", "ping")
ACTIONS = {"lambda_invocation": "cloudhooks.aws.lambda_invocation", "lambda_execute": "amazon.aws.lambda_execute",
           "ping": "ansible.builtin.ping"}
IMPORT_GROUPS = ("botocore/boto3", "amazon.aws", "cloudhooks.aws")


@dataclass
class InPlace:
    """Medians over the module's processes of the breakdown playbook."""

    wall: float
    cpu: float
    rss_kb: int
    task: float  # task start to result, as the controller's callback saw it


@dataclass
class Direct:
    """The kept payloads run directly: medians, phases (bench/_phase_timer.py) and import groups."""

    runs: Dict[str, float]  # "python", "wrapper", and each module
    phases: Dict[int, Dict[str, List[Dict[str, Any]]]]  # by network latency (ms), then by module
    imports: Dict[str, Dict[str, float]]

    def phase(self, name: str, key: str, latency_ms: int = 0) -> float:
        runs = self.phases[latency_ms].get(name) or []
        if not runs:
            return math.nan
        if key == "calls":
            return median([sum(c[1] for c in r["calls"]) for r in runs])
        if key == "client":
            return median([r["session_s"] + r["client_s"] for r in runs])
        return median([r[key] for r in runs])

    def calls_text(self, name: str, latency_ms: int = 0) -> str:
        runs = self.phases[latency_ms].get(name) or []
        if not runs:
            return "-"
        ops: Dict[str, List[float]] = {}
        for r in runs:
            for i, (op, sec) in enumerate(r["calls"]):
                ops.setdefault("%d. %s" % (i + 1, op), []).append(sec)
        return "%s (%s)" % (ms(self.phase(name, "calls", latency_ms)), ", ".join(
            "%s %s" % (op.split(". ", 1)[1], ms(median(v))) for op, v in ops.items()))


def where_the_time_goes(b: Harness, task_cost: Dict[str, float]) -> None:
    """The breakdown table; `task_cost` is figure 2's seconds per task at 0 ms ("li", "le", "ping")."""
    b.say("\n[2] where the time goes: module processes in place, then the AnsiballZ payloads run directly")
    in_place, payloads = _in_place(b)
    direct = _direct(b, payloads)
    b.check(True, "where the time goes: the kept AnsiballZ payloads of %s ran directly, %d time(s) each"
            % (", ".join(MODULES), b.mode.direct_reps))
    for name in b.mode.profiles:
        _profile(payloads[name], b.base_env(), b.work)
    b.table(Section(
        "Where the time of one change-path task goes (%d tasks of each in place; %d direct runs; "
        "`-X importtime` figures include its own overhead)" % (b.mode.breakdown_tasks, b.mode.direct_reps),
        _rows(task_cost, in_place, direct)))


def _in_place(b: Harness) -> tuple[Dict[str, InPlace], Dict[str, Path]]:
    k = b.mode.breakdown_tasks
    tasks = []
    for i in range(k):
        tasks += [li_task("brk-%04d" % i, small_input(i)), le_task(i, small_input(i)), ping_task(i)]
    mod_log, task_log = b.work / "logs" / "modules.jsonl", b.work / "logs" / "tasks.jsonl"
    keep = b.work / "tmp-remote"
    if keep.exists():
        shutil.rmtree(keep)
    b.run("breakdown", b.playbook("breakdown.yml", tasks), b.cache("breakdown", fresh=True),
          extra_args=["-e", "ansible_python_interpreter=%s" % b.wrapper()],
          extra_env={"BENCH_MODULE_LOG": str(mod_log), "ANSIBLE_KEEP_REMOTE_FILES": "1", "BENCH_TASK_LOG": str(task_log),
                     "ANSIBLE_CALLBACK_PLUGINS": str(BENCH / "callback_plugins"),
                     "ANSIBLE_CALLBACKS_ENABLED": "bench_timer"})
    entries = _jsonl(mod_log)
    task_entries = _jsonl(task_log)
    in_place: Dict[str, InPlace] = {}
    payloads: Dict[str, Path] = {}
    for name in MODULES:
        mine = [e for e in entries if e["module"] == name]
        timed = [e["s"] for e in task_entries if e["action"] == ACTIONS[name]]
        b.require(len(mine) == k and len(timed) == k,
                  "where the time goes: %d %s task(s) timed in place, module process and whole task" % (k, name),
                  "got %d module processes and %d task times" % (len(mine), len(timed)))
        in_place[name] = InPlace(wall=median([e["wall_s"] for e in mine]), cpu=median([e["cpu_s"] for e in mine]),
                                 rss_kb=max(e["maxrss_kb"] for e in mine), task=median(timed))
        found = sorted(keep.glob("*/AnsiballZ_%s.py" % name))
        if not found:
            raise BenchError("ANSIBLE_KEEP_REMOTE_FILES kept no AnsiballZ_%s.py under %s" % (name, keep))
        payloads[name] = found[0]
    return in_place, payloads


def _direct(b: Harness, payloads: Dict[str, Path]) -> Direct:
    env = b.base_env()
    runs: Dict[str, List[float]] = {"python": [], "wrapper": [], "ping": [], "lambda_invocation": [], "lambda_execute": []}
    phases: Dict[int, Dict[str, List[Dict[str, Any]]]] = {ms: {n: [] for n in b.mode.profiles} for ms in b.mode.latencies_ms}
    for rep in range(b.mode.direct_reps):
        for name in rotate(list(runs), rep):
            if name == "python":
                cmd = [str(PY), "-c", "pass"]
            elif name == "wrapper":
                cmd = [str(b.wrapper()), "-c", "pass"]
            else:
                cmd = [str(PY), str(payloads[name])]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, env=dict(env, BENCH_MODULE_LOG=""), timeout=300, check=False)
            runs[name].append(time.perf_counter() - start)
            if proc.returncode != 0 or (name in MODULES and b'"failed": true' in proc.stdout):
                raise BenchError("running %s directly failed: %s" % (payloads.get(name, name), proc.stdout[-2000:]))
        for latency in b.mode.latencies_ms:  # the AWS calls timed inside the module process
            b.endpoint.reset(latency)
            for name in b.mode.profiles:
                phases[latency][name].append(_phase_times(payloads[name], env, b.work))
        b.endpoint.reset(0)
    imports = {name: _import_groups(payloads[name], env) if name in b.mode.profiles + ("ping",) else {} for name in MODULES}
    return Direct(runs={k: median(v) for k, v in runs.items()}, phases=phases, imports=imports)


def ms(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else "%.0f" % (x * 1e3)


def _rows(task_cost: Dict[str, float], in_place: Dict[str, InPlace], d: Direct) -> List[str]:
    runs, imports = d.runs, d.imports
    wrap_cost = max(runs["wrapper"] - runs["python"], 0.0)
    extra = {n: runs[n] - runs["ping"] for n in MODULES}
    rest = {}
    for n in ("lambda_invocation", "lambda_execute"):
        known = sum(imports[n].get(g, 0.0) - imports["ping"].get(g, 0.0) for g in IMPORT_GROUPS)
        rest[n] = extra[n] - known - d.phase(n, "client") - d.phase(n, "waiter_s") - d.phase(n, "calls")
    short = {"lambda_invocation": "li", "lambda_execute": "le", "ping": "ping"}

    def row(label: str, cell: Callable[[str], str], ping: str = "") -> str:
        return "| %s | %s |" % (label, " | ".join(ping if (ping and n == "ping") else cell(n) for n in MODULES))

    return [
        "| ms per task (medians) | lambda_invocation | amazon.aws.lambda_execute | ansible.builtin.ping |",
        "|---|---:|---:|---:|",
        row("**whole task**, figure 2 at 0 ms (playbook time per task)", lambda n: ms(task_cost[short[n]])),
        row("whole task in place (callback: task start to result)", lambda n: ms(in_place[n].task)),
        row("**Ansible outside the module process** (task - module process - wrapper %s ms): fork, templating, action plugin, "
            "AnsiballZ build, temp dir, transfer, chmod, clean-up" % ms(wrap_cost),
            lambda n: ms(in_place[n].task - in_place[n].wall - wrap_cost)),
        row("**module process** in place, wall (CPU)", lambda n: "%s (%s)" % (ms(in_place[n].wall), ms(in_place[n].cpu))),
        row("module process run directly", lambda n: ms(runs[n])),
        row("- module start: Python, AnsiballZ, ansible.module_utils (= ping run directly)", lambda n: ms(runs["ping"])),
        row("  - of which Python start-up (`python -c pass`)", lambda n: ms(runs["python"])),
        row("  - of which importing ansible.module_utils (`-X importtime`)", lambda n: ms(imports["ping"].get("ansible", math.nan))),
        row("- **more than ping**", lambda n: ms(extra[n]), ping="0"),
        row("  - importing botocore/boto3 (`-X importtime`)", lambda n: ms(imports[n].get("botocore/boto3", 0.0)), ping="-"),
        row("  - importing amazon.aws module_utils (incl. boto3 when imported there)", lambda n: ms(imports[n].get("amazon.aws", 0.0)), ping="-"),
        row("  - importing cloudhooks.aws module_utils (the wire form, the Lambda client)", lambda n: ms(imports[n].get("cloudhooks.aws", 0.0)), ping="-"),
        row("  - botocore session + client creation (service model, endpoint rules)", lambda n: ms(d.phase(n, "client")), ping="-"),
        row("  - building waiters", lambda n: ms(d.phase(n, "waiter_s")), ping="-"),
        *[row("  - AWS API calls at %d ms: HTTP round trips (Invoke includes the handler's cold start on the endpoint)"
              % latency, lambda n, at=latency: d.calls_text(n, at), ping="-") for latency in sorted(d.phases)],
        row("  - the rest (module code, argument checks, other imports, JSON)", lambda n: ms(rest.get(n, math.nan)), ping="-"),
        row("peak RSS of the module process (MB)", lambda n: "%.0f" % (in_place[n].rss_kb / 1024)),
    ]


def _jsonl(path: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _phase_times(payload: Path, env: Dict[str, str], work: Path) -> Dict[str, Any]:
    out = work / ("phases-%s.json" % payload.stem)
    out.unlink(missing_ok=True)
    proc = subprocess.run([str(PY), str(BENCH / "_phase_timer.py"), str(payload), str(out)], capture_output=True,
                          env=env, timeout=300, check=False)
    if not out.exists():
        raise BenchError("timing %s failed: %s" % (payload, proc.stderr[-2000:]))
    return dict(json.loads(out.read_text()))


def _import_groups(payload: Path, env: Dict[str, str]) -> Dict[str, float]:
    """Seconds spent importing, per group of top-level imports (python -X importtime)."""
    proc = subprocess.run([str(PY), "-X", "importtime", str(payload)], capture_output=True, env=env,
                          timeout=300, check=False)
    groups: Dict[str, float] = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if not match or match.group(3):  # only top-level imports: nested ones are in their parent
            continue
        group = _import_group(match.group(4))
        groups[group] = groups.get(group, 0.0) + int(match.group(2)) / 1e6
    return groups


def _import_group(name: str) -> str:
    if name.startswith(("botocore", "boto3", "s3transfer", "jmespath", "dateutil", "urllib3")):
        return "botocore/boto3"
    if name.startswith("ansible_collections.amazon"):
        return "amazon.aws"
    if name.startswith("ansible_collections.cloudhooks"):
        return "cloudhooks.aws"
    if name.startswith(("ansible", "ansible_collections")):
        return "ansible"
    return "other"


_PROFILE_HARNESS = r'''
import cProfile, pstats, runpy, sys
payload, out = sys.argv[1], sys.argv[2]
sys.argv = [payload]
prof = cProfile.Profile()
try:
    prof.runcall(runpy.run_path, payload, run_name="__main__")
except SystemExit:
    pass
finally:
    prof.dump_stats(out + ".pstats")
    with open(out + ".txt", "w") as handle:
        stats = pstats.Stats(prof, stream=handle)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
'''


def _profile(payload: Path, env: Dict[str, str], work: Path) -> Path:
    """cProfile of one module run, kept as profile-<module>.pstats/.txt in the work directory."""
    out = work / ("profile-%s" % payload.stem.replace("AnsiballZ_", ""))
    subprocess.run([str(PY), "-c", _PROFILE_HARNESS, str(payload), str(out)], capture_output=True,
                   env=env, timeout=300, check=False)
    if not Path(str(out) + ".txt").exists():
        raise BenchError("cProfile of %s failed" % payload)
    return out
