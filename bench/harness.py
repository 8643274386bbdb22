# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's harness: the local endpoint, the work directory (ansible.cfg, playbooks, fact
caches), running one playbook and timing it, the task texts, and the statistics of the rounds.

The figures (bench/figures/) use only what is here; bench.py puts them together.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# The interpreter bench/run chose (the main venv of .build/); ansible-playbook is beside it.
PY = Path(sys.executable)
PLAYBOOK = PY.parent / "ansible-playbook"

sys.path.insert(0, str(ROOT / "tools"))
import local_lambda  # noqa: E402  (tools/local_lambda)

FUNCTION = "bench"
HANDLER = '''import json


def handler(event, context):
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return {"ok": True, "bytes": len(body)}
'''
PAD = "x" * 64  # every small input is {"n": i, "pad": PAD}
MB = 1024 * 1024
PLAYBOOK_TIMEOUT = 900  # seconds; no single playbook of the full run comes near it


class BenchError(RuntimeError):
    """Something broke (not a figure being high)."""


@dataclass(frozen=True, kw_only=True)
class Mode:
    """How much each figure measures."""

    name: str
    nochange_tasks: int
    nochange_records: int
    growth_records: tuple[int, int]
    nochange_rounds: int
    change_tasks: int
    change_rounds: int
    latencies_ms: tuple[int, ...]  # the change path is measured at each of these network latencies
    size_bytes: int
    breakdown_tasks: int
    direct_reps: int
    cost_tasks: int  # 0: skip the cost of a big record on other tasks
    all_transitions: bool
    profiles: tuple[str, ...]  # modules whose AnsiballZ payload gets -X importtime and cProfile

    @property
    def smoke(self) -> bool:
        return self.name == "smoke"


FULL = Mode(
    name="full", nochange_tasks=200, nochange_records=200, growth_records=(10, 500), nochange_rounds=5,
    change_tasks=50, change_rounds=5, latencies_ms=(0, 20), size_bytes=5 * MB, breakdown_tasks=6, direct_reps=5,
    cost_tasks=20, all_transitions=True, profiles=("lambda_invocation", "lambda_execute"),
)
SMOKE = Mode(
    name="smoke", nochange_tasks=6, nochange_records=6, growth_records=(3, 6), nochange_rounds=1,
    change_tasks=2, change_rounds=1, latencies_ms=(0, 20), size_bytes=5 * MB, breakdown_tasks=1, direct_reps=1,
    cost_tasks=0, all_transitions=False, profiles=("lambda_invocation",),
)


@dataclass
class Run:
    """One playbook run: its times, its recap and what the endpoint saw."""

    label: str
    wall: float
    cpu: float
    tree_maxrss_kb: int
    rc: int
    recap: Dict[str, int]
    log: Path
    output: str
    api: Dict[str, int] = field(default_factory=dict)  # {"lambda.Invoke": n, ...}
    api_total: int = 0
    invokes: Dict[str, int] = field(default_factory=dict)  # {"RequestResponse": n, "DryRun": n, "Event": n}


@dataclass
class Figure:
    """One row of the results table. A figure without a target is information (no verdict)."""

    number: str
    name: str
    measured: Optional[float]
    target: Optional[float] = None
    fmt: str = "{:.2f}"
    spread: str = ""
    api: str = ""
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.measured is None or not math.isfinite(self.measured):
            return "n/a"
        if self.target is None:
            return "info"
        return "pass" if self.measured <= self.target else "FAIL"

    def text(self) -> str:
        if self.measured is None:
            return "-"
        return self.fmt.format(self.measured) if math.isfinite(self.measured) else "n/a"

    def target_text(self) -> str:
        return "-" if self.target is None else "<= " + self.fmt.format(self.target)


@dataclass
class Section:
    """A table of its own in the results (Markdown rows)."""

    title: str
    rows: List[str]


# -- the endpoint -----------------------------------------------------------------------------


class Endpoint:
    """tools/local_lambda in a process of its own (its own session: only it is ever killed)."""

    def __init__(self, log: Path, env: Dict[str, str]) -> None:
        self.url = ""
        self._log = log
        self._env = env
        self._proc: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> None:
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(
                [str(PY), str(ROOT / "tools" / "local_lambda" / "server.py"), "--host", "127.0.0.1", "--port", "0"],
                stdout=subprocess.PIPE, stderr=log, start_new_session=True, env=self._env,
            )
        line = _readline_within(self._proc, 60)
        match = re.match(r"LOCAL_LAMBDA_ENDPOINT=(http://127\.0\.0\.1:\d+)", line or "")
        if not match:
            raise BenchError("the local Lambda endpoint did not start (see %s)" % self._log)
        self.url = match.group(1)
        local_lambda.deploy(self.url, FUNCTION, HANDLER, timeout=60)

    def stop(self) -> None:
        stop_group(self._proc)
        self._proc = None

    def reset(self, latency_ms: int) -> None:
        """Before a playbook: counters to zero, and this network latency on every AWS API response."""
        local_lambda.reset_api_requests(self.url)
        local_lambda.reset_invocation_counts(self.url)
        local_lambda.set_latency_ms(self.url, latency_ms)

    def seen(self, run: Run) -> None:
        """What the endpoint received during `run`."""
        requests = local_lambda.api_requests(self.url)
        run.api = dict(requests.get("counts", {}))
        run.api_total = int(requests.get("total", 0))
        counts = local_lambda.invocation_counts(self.url).values()
        run.invokes = {kind: sum(c.get(kind, 0) for c in counts) for kind in ("RequestResponse", "DryRun", "Event")}


def stop_group(proc: Optional[subprocess.Popen[Any]]) -> None:
    """SIGTERM the process group of a process we started in its own session, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait(15)


def _readline_within(proc: subprocess.Popen[bytes], seconds: float) -> Optional[str]:
    """The first line of the process's stdout, or None after `seconds` (bounded wait)."""
    box: List[Optional[str]] = [None]

    def read() -> None:
        box[0] = proc.stdout.readline().decode(errors="replace")  # type: ignore[union-attr]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(seconds)
    return box[0]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# -- the work directory and the playbooks -----------------------------------------------------


class Harness:
    """The work directory, the endpoint, the playbook runs, and what the figures found."""

    def __init__(self, mode: Mode, work: Path, collections: Path, *, verbose: bool) -> None:
        self.mode = mode
        self.work = work
        self.collections = collections
        self.verbose = verbose
        self.figures: List[Figure] = []
        self.sections: List[Section] = []
        self.problems: List[str] = []
        self.checks = 0
        self._runs = 0
        self._child: Optional[subprocess.Popen[bytes]] = None
        for sub in ("logs", "playbooks", "home"):
            (work / sub).mkdir(parents=True)
        (work / "aws-none").write_text("")
        self._write_config()
        self.endpoint = Endpoint(work / "logs" / "server.log", isolated_env(work, ""))

    # - reporting: what is checked is always printed; the rest only in full mode -

    def say(self, text: str) -> None:
        """Progress and measurements: printed in full mode (smoke mode prints only its checks)."""
        if not self.mode.smoke or self.verbose:
            print(text)

    def check(self, ok: bool, what: str, wrong: str = "") -> bool:
        """Something that must hold whatever the figures: printed, and a problem when it does not."""
        self.checks += 1
        if ok:
            print("  ok      " + what)
        else:
            print("  WRONG   %s: %s" % (what, wrong))
            self.problems.append("%s: %s" % (what, wrong))
        return ok

    def require(self, ok: bool, what: str, wrong: str) -> None:
        """A check the rest of the figure depends on: stops the benchmark when it does not hold."""
        if not self.check(ok, what, wrong):
            raise BenchError("%s: %s" % (what, wrong))

    def table(self, section: Section) -> None:
        self.sections.append(section)
        self.say("")
        self.say("  " + section.title)
        for line in section.rows:
            self.say("  " + line)

    # - processes -

    def stop(self) -> None:
        stop_group(self._child)
        self._child = None
        self.endpoint.stop()

    def base_env(self) -> Dict[str, str]:
        return isolated_env(self.work, self.endpoint.url)

    def _write_config(self) -> None:
        (self.work / "ansible.cfg").write_text(
            "[defaults]\n"
            f"inventory = {self.work}/inventory.ini\n"
            f"collections_path = {self.collections}\n"
            "collections_scan_sys_path = False\n"
            "fact_caching = jsonfile\n"
            f"fact_caching_connection = {self.work}/facts-default\n"
            "fact_caching_timeout = 0\n"
            "gathering = explicit\n"
            "retry_files_enabled = False\n"
            f"local_tmp = {self.work}/tmp-local\n"
            f"remote_tmp = {self.work}/tmp-remote\n"
            f"interpreter_python = {PY}\n"
        )
        (self.work / "inventory.ini").write_text(f"localhost ansible_connection=local ansible_python_interpreter={PY}\n")

    def wrapper(self) -> Path:
        """An interpreter (one path, as Ansible wants it) that runs bench/_module_wrapper.py."""
        path = self.work / "module-python"
        if not path.exists():
            path.write_text('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (PY, BENCH / "_module_wrapper.py"))
            path.chmod(0o755)
        return path

    def playbook(self, name: str, tasks: Sequence[str], vars_files: Sequence[str] = ()) -> Path:
        aws = (
            f"      endpoint_url: {self.endpoint.url}\n      region: us-east-1\n"
            "      access_key: testing\n      secret_key: testing\n"
        )
        text = (
            "---\n- name: bench\n  hosts: localhost\n  gather_facts: false\n"
            + ("  vars_files:\n" + "".join(f"    - {v}\n" for v in vars_files) if vars_files else "")
            + "  module_defaults:\n    group/amazon.aws.aws:\n" + aws
            + "    group/cloudhooks.aws.aws:\n" + aws
            + "  tasks:" + ("\n" + "".join(tasks) if tasks else " []\n")
        )
        path = self.work / "playbooks" / name
        path.write_text(text)
        return path

    def cache(self, name: str, fresh: bool = False) -> Path:
        path = self.work / ("facts-" + name)
        if fresh and path.exists():
            shutil.rmtree(path)
        path.mkdir(exist_ok=True)
        return path

    def seed(self, cache: Path, records: Sequence[Dict[str, Any]], per_key: bool = False) -> None:
        """Current records written straight into a jsonfile fact cache (bench/_seed.py); ``per_key``:
        each record a fact of its own, as for_each keys were before 0.2.0."""
        spec = self.work / "seed.json"
        spec.write_text(json.dumps(records))
        proc = subprocess.run(
            [str(PY), str(BENCH / "_seed.py"), str(self.collections), str(cache), "localhost", str(spec)]
            + (["per-key"] if per_key else []),
            capture_output=True, text=True, env=self.base_env(), timeout=120, check=False,
        )
        if proc.returncode != 0:
            raise BenchError("seeding the fact cache failed: %s" % proc.stderr.strip())

    # - one playbook run -

    def run(
        self,
        label: str,
        playbook: Path,
        cache: Path,
        *,
        check: bool = False,
        expect_ok: bool = True,
        latency_ms: int = 0,
        extra_args: Sequence[str] = (),
        extra_env: Optional[Dict[str, str]] = None,
        rss_out: Optional[Path] = None,
        command: Sequence[str] = (),
    ) -> Run:
        """Run one playbook: wall time, CPU time and the largest RSS of its whole process tree, and
        the calls the endpoint received (with `latency_ms` added to each of its answers)."""
        self._runs += 1
        log = self.work / "logs" / ("%03d-%s.log" % (self._runs, label))
        env = self.base_env()
        env["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(cache)
        env.update(extra_env or {})
        # command: what runs instead of this venv's ansible-playbook (another core's, say)
        cmd = list(command or [str(PLAYBOOK)]) + [str(playbook)] + (["--check"] if check else []) + list(extra_args)
        if rss_out is not None:
            cmd = [str(PY), str(BENCH / "_playbook_rss.py"), str(rss_out)] + cmd
        self.endpoint.reset(latency_ms)
        wall, cpu, maxrss, rc = self._timed(cmd, env, log)
        output = log.read_text(errors="replace")
        result = Run(label=label, wall=wall, cpu=cpu, tree_maxrss_kb=maxrss, rc=rc, recap=_recap(output), log=log,
                     output=output)
        self.endpoint.seen(result)
        if self.verbose:
            print("    %-28s %7.2f s  rc=%d  recap=%s  api=%s" % (label, wall, rc, result.recap, result.api or "{}"))
        if expect_ok and (rc != 0 or result.recap.get("failed", 0) or result.recap.get("unreachable", 0)):
            raise BenchError("playbook %s failed (rc=%d); see %s:\n%s" % (label, rc, log, tail(output)))
        return result

    def _timed(self, cmd: List[str], env: Dict[str, str], log: Path) -> tuple[float, float, int, int]:
        """(wall s, CPU s, max RSS kB, exit code) of a command and everything it started."""
        with open(log, "wb") as out:
            start = time.perf_counter()
            self._child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                           cwd=str(self.work), start_new_session=True)
            timer = threading.Timer(PLAYBOOK_TIMEOUT, _kill_group, (self._child.pid,))
            timer.start()
            try:
                status, usage = os.wait4(self._child.pid, 0)[1:]
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
            self._child.returncode = os.waitstatus_to_exitcode(status)
            rc = self._child.returncode
            self._child = None
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, rc


def isolated_env(work: Path, url: str) -> Dict[str, str]:
    """This environment without Ansible's, AWS's or a proxy's settings: the work directory's
    ansible.cfg, no AWS config files, and (once it runs) the endpoint as AWS_ENDPOINT_URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "AWS_", "BOTO"))}
    env.update(
        ANSIBLE_CONFIG=str(work / "ansible.cfg"),
        ANSIBLE_HOME=str(work / "home"),
        ANSIBLE_NOCOLOR="1",
        AWS_CONFIG_FILE=str(work / "aws-none"),
        AWS_SHARED_CREDENTIALS_FILE=str(work / "aws-none"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(var, None)
    if url:
        env["AWS_ENDPOINT_URL"] = url  # a second guard: nothing may reach real AWS
    return env


def _recap(output: str) -> Dict[str, int]:
    match = re.search(r"^localhost\s+:\s+(.*)$", output, re.M)
    if not match:
        return {}
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:])


def first_msg(output: str) -> str:
    """The first "msg" of a playbook's output (a failed task's message)."""
    match = re.search(r'"msg": "((?:[^"\\]|\\.)*)"', output)
    return match.group(1) if match else tail(output, 3)


# -- task texts -------------------------------------------------------------------------------


def li_task(record_id: str, value: Any, scope: str = "CREATE_ONLY", extra: str = "", register: str = "") -> str:
    return (
        f"    - name: lambda_invocation {record_id}\n"
        "      cloudhooks.aws.lambda_invocation:\n"
        f"        function_name: {FUNCTION}\n"
        f"        id: {record_id}\n"
        f"        lifecycle_scope: {scope}\n"
        + (f"        input: {json.dumps(value)}\n" if value is not None else "")
        + extra
        + (f"      register: {register}\n" if register else "")
    )


def debug_task(i: int) -> str:
    return f"    - name: debug {i:04d}\n      ansible.builtin.debug:\n        msg: bench-{i:04d}\n"


def ping_task(i: int) -> str:
    return f"    - name: ping {i:04d}\n      ansible.builtin.ping:\n"


def le_task(i: int, value: Any) -> str:
    return (
        f"    - name: lambda_execute {i:04d}\n      amazon.aws.lambda_execute:\n"
        f"        name: {FUNCTION}\n        payload: {json.dumps(value)}\n"
    )


def small_input(i: int) -> Dict[str, Any]:
    return {"n": i, "pad": PAD}


# -- statistics of the rounds -----------------------------------------------------------------


def per_task(run: Run, empty: Run, tasks: int) -> float:
    """Seconds per task; NaN when the noise is larger than the tasks' time (possible in smoke mode)."""
    spent = run.wall - empty.wall
    return spent / tasks if spent > 0 else math.nan


def rotate(items: Sequence[Any], k: int) -> List[Any]:
    k %= len(items)
    return list(items[k:]) + list(items[:k])


def median(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return statistics.median(finite) if finite else math.nan


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2:
        return "1 round"
    return "%s-%s over %d rounds" % (fmt.format(min(values)), fmt.format(max(values)), len(values))


def calls_per_task(counts: Dict[str, int], tasks: int) -> str:
    """AWS API calls of a run, per task: "lambda.Invoke 1/task"."""
    if not counts:
        return "none"
    return " + ".join("%s %s/task" % (op, _num(n / tasks)) for op, n in sorted(counts.items()))


def _num(x: float) -> str:
    return ("%.2f" % x).rstrip("0").rstrip(".")
