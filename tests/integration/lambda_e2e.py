# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the end-to-end tests (their fixtures are in conftest.py beside this file).

- Functions / Function: recorder functions (targets/lambda_invocation/files/recorder.py) deployed
  to the local endpoint, with what each received and the endpoint's Invoke counts for it.
- Ansible / Run: ansible-playbook runs of the target's playbooks (nox -s e2e-<core> says which
  ansible-core, from where, with which collections: see CORE below) with a fact cache of their
  own; each run's playbook saves its registered outcome per host as JSON, which Run reads back.

Nothing here calls real AWS: every run gets dummy credentials, the endpoint URL in its extra vars
(module_defaults) and in AWS_ENDPOINT_URL, and no AWS config files.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]


def _core_files() -> Dict[str, Path]:
    """requirements/ansible-<core>.txt per supported core (see noxfile.py)."""
    found = {p.name[len("ansible-"):-len(".txt")]: p for p in (ROOT / "requirements").glob("ansible-*.txt")}
    return dict(sorted(found.items(), key=lambda item: tuple(int(n) for n in item[0].split("."))))


# The ansible-core the playbooks run on, and where: nox -s e2e-<core> sets CLOUDHOOKS_CORE, the
# session's bin directory (CLOUDHOOKS_VENV_BIN: ansible-playbook, and the Python the tests run in)
# and the ansible_collections/ parent antsibull-nox laid out for that core (CLOUDHOOKS_COLLECTIONS:
# this collection beside amazon.aws and community.general).
CORE = os.environ.get("CLOUDHOOKS_CORE") or list(_core_files())[-1]
VENV_BIN = Path(os.environ.get("CLOUDHOOKS_VENV_BIN") or Path(sys.executable).parent)
COLLECTIONS = Path(os.environ.get("CLOUDHOOKS_COLLECTIONS") or ROOT / ".build" / "collections")
TARGET = ROOT / "tests" / "integration" / "targets" / "lambda_invocation"
INVENTORY = TARGET / "inventory"
RECORDER_SOURCE = (TARGET / "files" / "recorder.py").read_text(encoding="utf-8")

sys.path.insert(0, str(ROOT / "tools"))
import local_lambda  # noqa: E402  (tools/local_lambda: the local endpoint and its helpers)


def compact(value: Any) -> str:
    """JSON as the collection sends it (and as the recorder re-serialises what it received)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def fact_name(record_id: str) -> str:
    """The fact that holds the record of ``record_id`` (the collection's own naming)."""
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import fact_name as name_of

    return str(name_of(record_id))


def decode_cached_facts(data: Any) -> Dict[str, Any]:
    """A host's facts as a cache plugin stored them (2.19 and later wrap them in {"__payload__": "<json>"})."""
    value = json.loads(data)
    if isinstance(value, dict) and set(value) == {"__payload__"}:
        value = json.loads(value["__payload__"])
    return dict(value)


# -- functions --------------------------------------------------------------------------------


@dataclass
class Function:
    """A deployed recorder function and what it received."""

    name: str
    endpoint: str
    log: Path
    env: Dict[str, str]
    timeout: int

    def entries(self) -> List[Dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").split("\n")  # not splitlines(): events may hold U+2028
        return [json.loads(line) for line in lines if line]

    def received(self) -> List[Dict[str, Any]]:
        """One entry per event received: event (compact JSON text), label, version, tenant."""
        return [e for e in self.entries() if e["phase"] == "received"]

    def events(self) -> List[str]:
        """The events received, as compact JSON text, in order."""
        return [e["event"] for e in self.received()]

    def finished(self) -> int:
        """How many invocations ran to the end of the handler."""
        return sum(1 for e in self.entries() if e["phase"] == "done")

    def counts(self) -> Dict[str, int]:
        """Invoke requests the endpoint received for this function, per InvocationType."""
        found = local_lambda.invocation_counts(self.endpoint).get(self.name, {})
        return {kind: found.get(kind, 0) for kind in ("RequestResponse", "DryRun", "Event")}

    def publish(self, label: str, **env: str) -> str:
        """Deploy again with LABEL=label (and env) and publish a version; returns its number."""
        self.env = {**self.env, "LABEL": label, **env}
        config = local_lambda.deploy(
            self.endpoint, self.name, RECORDER_SOURCE, env=self.env, timeout=self.timeout, publish=True)
        return str(config["Version"])


class Functions:
    """Deploys recorder functions with names unique to the test (so the endpoint's counters,
    kept per function name, are never shared and never need a reset)."""

    def __init__(self, endpoint: str, tmp_path: Path, test_name: str) -> None:
        self.endpoint = endpoint
        self.tmp_path = tmp_path
        self.slug = re.sub(r"[^a-zA-Z0-9]+", "-", test_name.replace("test_", "", 1)).strip("-")[:40]
        self.count = 0

    def deploy(self, hint: str = "fn", *, timeout: int = 30, **env: str) -> Function:
        """A new recorder function; ``env`` adds to its environment (FAIL_FLAG, SLEEP_SECONDS, ...)."""
        self.count += 1
        name = "%s-%s-%d" % (self.slug, hint, self.count)
        log = self.tmp_path / ("%s.events.jsonl" % name)
        full_env = {"EVENT_LOG": str(log), **env}
        local_lambda.deploy(self.endpoint, name, RECORDER_SOURCE, env=full_env, timeout=timeout)
        return Function(name, self.endpoint, log, full_env, timeout)


def item_args(function: Function, **options: Any) -> Dict[str, Any]:
    """One entry of invoke.yml's `invocations`: the module's options for one invocation."""
    return {"function_name": function.name, **options}


# -- ansible-playbook -------------------------------------------------------------------------


@dataclass
class Run:
    """One finished ansible-playbook run and the outcomes its playbook saved, per host."""

    args: List[str]
    rc: int
    stdout: str
    stderr: str
    results_dir: Path
    seconds: float

    @property
    def output(self) -> str:
        return "$ %s\n--- stdout\n%s\n--- stderr\n%s" % (" ".join(self.args), self.stdout, self.stderr)

    def outcome(self, host: str = "localhost") -> Dict[str, Any]:
        path = self.results_dir / ("%s.json" % host)
        assert path.is_file(), "no outcome saved for %s\n%s" % (host, self.output)
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def items(self, host: str = "localhost") -> List[Dict[str, Any]]:
        """The per-item results of a looped task (or the one result of a task without a loop)."""
        outcome = self.outcome(host)
        return list(outcome["results"]) if "results" in outcome else [outcome]

    def item(self, index: int = 0, host: str = "localhost") -> Dict[str, Any]:
        return self.items(host)[index]

    def warnings(self, text: str) -> int:
        """How many times a warning containing ``text`` was printed (wrapped lines re-joined)."""
        joined = re.sub(r"\s+", " ", self.stdout + "\n" + self.stderr)
        return joined.count(text)


@dataclass
class Pending:
    """An ansible-playbook run started in the background."""

    process: "subprocess.Popen[str]"
    args: List[str]
    results_dir: Path
    started: float

    def wait(self, timeout: float = 600) -> Run:
        stdout, stderr = self.process.communicate(timeout=timeout)
        return Run(self.args, self.process.returncode, stdout, stderr, self.results_dir, time.monotonic() - self.started)

    def stop(self) -> None:
        """End the run (its own process group) if it is still going."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.communicate(timeout=30)


@dataclass
class Ansible:
    """Runs the target's playbooks against the endpoint, with a fact cache of its own.

    ``cache`` of a run: "jsonfile" (the default: the directory ``facts_dir``, no expiry); None to
    set no fact-cache setting at all (Ansible's default, the memory cache, unless the ansible.cfg
    of ``cwd`` says otherwise); or a dict of ANSIBLE_CACHE_* variables.
    Each run gets a directory of its own (run-NN) with its extra vars and saved outcomes; without
    ``cwd`` it runs there, beside an empty ansible.cfg, so no other configuration applies.
    """

    endpoint: str
    collections: Path
    tmp_path: Path
    runs: int = 0
    facts_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.facts_dir = self.tmp_path / "facts"
        self.facts_dir.mkdir(parents=True, exist_ok=True)

    def env(self, cache: Any = "jsonfile", extra: Optional[Dict[str, str]] = None, aws_env: bool = True) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "AWS_", "BOTO"))}
        if not aws_env:
            # No AWS_* variable at all: the task's own options must carry the connection. HOME is a
            # directory of the run's own, so no ~/.aws files are read either.
            home = self.tmp_path / "home-without-aws"
            home.mkdir(exist_ok=True)
            env.update(
                PATH="%s:%s" % (VENV_BIN, env.get("PATH", "/usr/bin:/bin")),
                HOME=str(home),
                ANSIBLE_COLLECTIONS_PATH=str(self.collections),
                ANSIBLE_LOCAL_TEMP=str(self.tmp_path / "ansible-local"),
                ANSIBLE_NOCOLOR="1",
                ANSIBLE_CACHE_PLUGIN="jsonfile",
                ANSIBLE_CACHE_PLUGIN_CONNECTION=str(self.facts_dir),
                ANSIBLE_CACHE_PLUGIN_TIMEOUT="0",
                NO_PROXY="127.0.0.1,localhost",
                no_proxy="127.0.0.1,localhost",
            )
            env.update(extra or {})
            return env
        env.update(
            PATH="%s:%s" % (VENV_BIN, env.get("PATH", "/usr/bin:/bin")),
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_LOCAL_TEMP=str(self.tmp_path / "ansible-local"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_TIMEOUT="5",  # should anything try to reach web1 (nothing must), fail fast
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=self.endpoint,  # belt and braces: module_defaults set it too
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        if cache == "jsonfile":
            env.update(
                ANSIBLE_CACHE_PLUGIN="jsonfile",
                ANSIBLE_CACHE_PLUGIN_CONNECTION=str(self.facts_dir),
                ANSIBLE_CACHE_PLUGIN_TIMEOUT="0",
            )
        elif isinstance(cache, dict):
            env.update(cache)
        elif cache is not None:
            raise ValueError("cache must be 'jsonfile', None or a dict, not %r" % (cache,))
        env.update(extra or {})
        return env

    def start(
        self,
        playbook: str = "invoke.yml",
        *,
        check: bool = False,
        diff: bool = False,
        cache: Any = "jsonfile",
        cwd: Optional[Path] = None,
        env: Optional[Dict[str, str]] = None,
        aws_env: bool = True,
        **extra_vars: Any,
    ) -> Pending:
        self.runs += 1
        run_dir = self.tmp_path / ("run-%02d" % self.runs)
        results_dir = run_dir / "results"
        results_dir.mkdir(parents=True)
        if cwd is None:
            cwd = run_dir
            (run_dir / "ansible.cfg").write_text("", encoding="utf-8")
        variables = {"lambda_endpoint": self.endpoint, "results_dir": str(results_dir), **extra_vars}
        vars_file = run_dir / "vars.json"
        vars_file.write_text(json.dumps(variables, ensure_ascii=False), encoding="utf-8")
        args = [str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY), str(TARGET / playbook), "-e", "@%s" % vars_file]
        if check:
            args.append("--check")
        if diff:
            args.append("--diff")
        process = subprocess.Popen(
            args, cwd=str(cwd), env=self.env(cache, env, aws_env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        return Pending(process, args, results_dir, time.monotonic())

    def run(self, playbook: str = "invoke.yml", **kwargs: Any) -> Run:
        """Run a playbook of the target to the end; extra keyword arguments become extra vars."""
        pending = self.start(playbook, **kwargs)
        try:
            return pending.wait()
        finally:
            pending.stop()

    # -- the fact cache (jsonfile) ---------------------------------------------------------

    def cache_file(self, host: str = "localhost") -> Path:
        """The jsonfile cache's file for ``host``: ``s1_<host>`` from ansible-core 2.19 on (a schema
        prefix), ``<host>`` before."""
        found = sorted(self.facts_dir.glob("s[0-9]*_%s" % host))
        return found[-1] if found else self.facts_dir / host

    def cache_bytes(self, host: str = "localhost") -> Optional[bytes]:
        path = self.cache_file(host)
        return path.read_bytes() if path.exists() else None

    def facts(self, host: str = "localhost") -> Dict[str, Any]:
        data = self.cache_bytes(host)
        return decode_cached_facts(data) if data else {}

    def record(self, record_id: str, host: str = "localhost") -> Optional[Dict[str, Any]]:
        """The stored record of ``record_id`` on ``host`` (None: no record, or forgotten)."""
        value = self.facts(host).get(fact_name(record_id))
        return dict(json.loads(value)) if value else None
