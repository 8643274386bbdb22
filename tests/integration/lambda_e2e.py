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

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

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

# Which tests run on which core. The newest core runs every test. The oldest runs those whose
# outcome can depend on ansible-core: facts and the fact cache, check and diff mode, loops, hosts
# and delegation, no_log and warnings, how a failed or killed module's result reaches the action
# plugin, AWX. A test marked ``newest_core_only`` exercises what the record stores, the module and
# Lambda do once the action plugin has its task (races between controllers, kill -9 and recover,
# durable executions, Terraform state): the same code on every core, so run once, on the newest.
NEWEST = CORE == list(_core_files())[-1]
newest_core_only = pytest.mark.skipif(not NEWEST, reason="does not depend on ansible-core: runs on the newest core only")
RECORDER_SOURCE = (TARGET / "files" / "recorder.py").read_text(encoding="utf-8")

sys.path.insert(0, str(ROOT / "tools"))
import local_lambda  # noqa: E402  (tools/local_lambda: the local endpoint and its helpers)


def compact(value: Any) -> str:
    """JSON as the collection sends it (and as the recorder re-serialises what it received)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


FACT_PREFIX = "cloudhooks_aws_lambda_invocation_"


def fact_name(record_id: str, prefix: str = FACT_PREFIX) -> str:
    """The fact that holds the record of ``record_id``, as docs/state.md ("The record") names it."""
    slug = re.sub(r"[^a-z0-9]+", "_", record_id.lower()).strip("_")[:40]
    hashed = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    return "%s%s_%s" % (prefix, slug, hashed) if slug else prefix + hashed


def record_in_facts(facts: Dict[str, Any], record_id: str) -> Optional[Dict[str, Any]]:
    """The record of ``record_id`` in a host's facts (docs/state.md): a for_each key's (ID[KEY]) in the
    keys' fact of ID, any other in the fact of its id."""
    keyed = re.fullmatch(r"(.+)\[(.+)\]", record_id, re.S)
    if keyed:
        group = facts.get(fact_name(keyed.group(1), FACT_PREFIX + "keys_"))
        found = (json.loads(group)["keys"] if group else {}).get(keyed.group(2))
        return dict(found) if found else None
    value = facts.get(fact_name(record_id))
    return dict(json.loads(value)) if value else None


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

    def handler_runs(self) -> int:
        """How many times the endpoint ran this function's handler (a durable execution found again does not)."""
        return int(local_lambda.invocation_counts(self.endpoint).get(self.name, {}).get("handler_runs", 0))

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
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", test_name.replace("test_", "", 1)).strip("-")[:33].strip("-")
        # a parametrized test's cases differ after the cut: a hash of the whole name keeps them apart
        self.slug = "%s-%s" % (slug, hashlib.sha256(test_name.encode("utf-8")).hexdigest()[:6])
        self.count = 0

    def deploy(self, hint: str = "fn", *, timeout: int = 30, durable: bool = False, **env: str) -> Function:
        """A new recorder function; ``env`` adds to its environment (FAIL_FLAG, SLEEP_SECONDS, ...);
        ``durable``: a Lambda durable function (DurableConfig)."""
        self.count += 1
        name = "%s-%s-%d" % (self.slug, hint, self.count)
        log = self.tmp_path / ("%s.events.jsonl" % name)
        full_env = {"EVENT_LOG": str(log), **env}
        config = {"ExecutionTimeout": 900, "RetentionPeriodInDays": 1} if durable else None
        local_lambda.deploy(self.endpoint, name, RECORDER_SOURCE, env=full_env, timeout=timeout, durable_config=config)
        return Function(name, self.endpoint, log, full_env, timeout)


def item_args(function: Function, **options: Any) -> Dict[str, Any]:
    """One entry of invoke.yml's `invocations`: the module's options for one invocation."""
    return {"function_name": function.name, **options}


# -- ansible-playbook -------------------------------------------------------------------------


class SavedOutcomes:
    """The outcomes a playbook saved, one JSON file per host in ``results_dir``."""

    results_dir: Path

    @property
    def output(self) -> str:
        raise NotImplementedError

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


@dataclass
class Run(SavedOutcomes):
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
        return record_in_facts(self.facts(host), record_id)


# -- record stores, waiting, killing -----------------------------------------------------------


class Store:
    """A record store of a test, and a look at what it holds (read straight from disk or S3)."""

    def __init__(self, kind: str, tmp_path: Path, endpoint: str) -> None:
        self.kind = kind
        self.endpoint = endpoint
        if kind == "file":
            self.root = tmp_path / "records"
            self.root.mkdir()
            self.url = "file://%s" % self.root
        else:
            self.bucket = "records-%s" % uuid.uuid4().hex[:12]
            self.s3 = local_lambda.client(endpoint, "s3")
            self.s3.create_bucket(Bucket=self.bucket)
            # versioned, as docs/state.md recommends: history() shows every write
            self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
            self.url = "s3://%s/ci/state" % self.bucket

    @property
    def env(self) -> Dict[str, str]:
        return {"CLOUDHOOKS_RECORD_STORE": self.url}

    def _name(self, record_id: str, host: str) -> str:
        """DIR/<host>/<id>.json, the names encoded as docs/state.md says ("The documents")."""
        def encoded(text: str) -> str:
            return "".join(c if re.fullmatch(r"[a-z0-9_.-]", c) and not (i == 0 and c == ".")
                           else "".join("%%%02X" % b for b in c.encode("utf-8")) for i, c in enumerate(text))
        return "%s/%s.json" % (encoded(host), encoded(record_id))

    def document(self, record_id: str, host: str = "localhost") -> Optional[Dict[str, Any]]:
        if self.kind == "file":
            path = self.root / self._name(record_id, host)
            return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key="ci/state/" + self._name(record_id, host))["Body"]
        except self.s3.exceptions.NoSuchKey:
            return None
        return json.loads(body.read())

    def history(self, record_id: str, host: str = "localhost") -> List[Any]:
        """Every version of an S3 document, oldest first (for a failure's message)."""
        if self.kind == "file":
            return [self.document(record_id, host)]
        key = "ci/state/" + self._name(record_id, host)
        found = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
        versions = sorted(found.get("Versions", []) + found.get("DeleteMarkers", []), key=lambda v: v["LastModified"])
        out = []
        for version in versions:
            if "ETag" not in version:
                out.append("deleted")
                continue
            body = self.s3.get_object(Bucket=self.bucket, Key=key, VersionId=version["VersionId"])["Body"].read()
            out.append(json.loads(body))
        return out

    def record(self, record_id: str, host: str = "localhost") -> Optional[Dict[str, Any]]:
        document = self.document(record_id, host)
        return document["record"] if document else None

    def corrupt(self, record_id: str, host: str = "localhost") -> None:
        if self.kind == "file":
            (self.root / self._name(record_id, host)).write_bytes(b"\x00not json")
        else:
            self.s3.put_object(Bucket=self.bucket, Key="ci/state/" + self._name(record_id, host), Body=b"\x00not json")


def wait_for(condition: Any, what: str, seconds: float = 120) -> None:
    """Poll until ``condition()`` holds (a readiness wait, not a timed assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting for " + what
        time.sleep(0.1)


def process_tree(pid: int) -> List[int]:
    """pid and all its descendants (ansible-core's workers call setsid: a process group is not enough)."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def kill(pids: List[int]) -> None:
    """SIGKILL each of the processes, those still there."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
