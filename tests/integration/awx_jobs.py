# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX-shaped jobs for the end-to-end tests: ansible-runner with a private data dir per job, and
AWX's fact cache around each job (test_awx_runner.py uses this).

What AWX does around a job with "Enable Fact Storage" (use_fact_cache) on, and what Awx below
does the same way (AWX's awx/main/tasks/facts.py, as of PR #16361; docs/state.md says more):

- a fresh private data dir per job (AWX: tempfile.mkdtemp(prefix="awx_<job id>_")), with
  project/ (a copy of the project), inventory/hosts, env/extravars and env/envvars;
- before the job, start_fact_cache: for every host of the inventory whose facts were modified
  less than ANSIBLE_FACT_CACHE_TIMEOUT seconds ago (0: no limit), its facts as plain JSON in
  artifacts/<job id>/fact_cache/<host>, mode 0600, the file's mtime set 2 s back; a host with no
  facts, or older ones, gets no file. Then artifacts/<job id>/host_cache_summary.json:
  {"last_write_time": ..., "hosts_cached": {host: whether a file was written}};
- ansible-runner, with fact_cache_type "jsonfile", sets ANSIBLE_CACHE_PLUGIN=jsonfile and
  ANSIBLE_CACHE_PLUGIN_CONNECTION=artifacts/<job id>/fact_cache (ansible_runner/config/_base.py);
  nothing sets ANSIBLE_CACHE_PLUGIN_TIMEOUT;
- after the job, finish_fact_cache: the files of fact_cache/ named like a host of the summary and
  modified at or after the summary's mtime are read, and a host whose facts differ from the
  database's gets them, with "modified" now; a host whose file AWX wrote and that is gone now
  gets {} (cleared); every other file, and every other host, is left alone. AWX does this after
  failed jobs too (not after a canceled one whose artifacts never came back).

Not done here: AWX's check that another job changed a host's facts while this one ran (it then
does not clear them), job slicing, constructed inventories, the transfer of the private data dir
to an execution node, and the container itself: ansible-playbook runs from .build/venv-<core>.

The project is awx_project/ beside this file (job.yml), copied into each job's project/. Nothing
here calls real AWS: the endpoint is the session's local one.
"""

from __future__ import annotations

import codecs
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from lambda_e2e import VENV_BIN, SavedOutcomes, decode_cached_facts

UTC = datetime.timezone.utc
PROJECT = Path(__file__).resolve().parent / "awx_project"  # the job template's project


@dataclass
class HostRow:
    """One row of AWX's main_host table, as far as facts go."""

    ansible_facts: Dict[str, Any] = field(default_factory=dict)
    ansible_facts_modified: Optional[datetime.datetime] = None


@dataclass
class FactReport:
    """What finish_fact_cache did, host by host (AWX logs the same counts)."""

    updated: List[str] = field(default_factory=list)
    cleared: List[str] = field(default_factory=list)
    unmodified: List[str] = field(default_factory=list)


class FactDatabase:
    """AWX's database of host facts, kept by the test between jobs. ``now`` is AWX's clock: ``age``
    moves every ``ansible_facts_modified`` back, as if that much time had passed."""

    def __init__(self) -> None:
        self.hosts: Dict[str, HostRow] = {}

    def row(self, host: str) -> HostRow:
        return self.hosts.setdefault(host, HostRow())

    def facts(self, host: str = "localhost") -> Dict[str, Any]:
        return dict(self.row(host).ansible_facts)

    def age(self, seconds: float) -> None:
        for row in self.hosts.values():
            if row.ansible_facts_modified is not None:
                row.ansible_facts_modified -= datetime.timedelta(seconds=seconds)

    # -- AWX's start_fact_cache and finish_fact_cache, on this database --------------------

    def start_fact_cache(self, hosts: List[str], artifacts_dir: Path, timeout: int) -> Dict[str, bool]:
        fact_cache_dir = artifacts_dir / "fact_cache"
        fact_cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        now = datetime.datetime.now(UTC)
        hosts_cached: Dict[str, bool] = {}
        last_write_time = None
        for host in hosts:
            row = self.row(host)
            modified = row.ansible_facts_modified
            if not modified or (timeout and modified < now - datetime.timedelta(seconds=timeout)):
                hosts_cached[host] = False  # facts are expired (or none): no file
                continue
            path = fact_cache_dir / host
            with codecs.open(str(path), "w", encoding="utf-8") as handle:
                os.chmod(handle.name, 0o600)
                json.dump(row.ansible_facts, handle)
            backdated = path.stat().st_mtime - 2
            os.utime(path, (backdated, backdated))
            last_write_time = backdated
            hosts_cached[host] = True
        summary = {"last_write_time": last_write_time, "hosts_cached": hosts_cached}
        (artifacts_dir / "host_cache_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        return hosts_cached

    def finish_fact_cache(self, artifacts_dir: Path) -> FactReport:
        report = FactReport()
        summary_path = artifacts_dir / "host_cache_summary.json"
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        facts_write_time = summary_path.stat().st_mtime
        hosts_cached: Dict[str, bool] = summary["hosts_cached"]
        fact_cache_dir = artifacts_dir / "fact_cache"
        seen, updates = set(), []
        if fact_cache_dir.is_dir():
            for path in sorted(fact_cache_dir.iterdir()):
                if path.name not in hosts_cached or path.is_symlink() or not path.is_file():
                    continue  # not a host of this job: AWX does not look at it
                seen.add(path.name)
                if path.stat().st_mtime >= facts_write_time:
                    updates.append(path.name)
                else:
                    report.unmodified.append(path.name)
        for host, was_written in hosts_cached.items():
            if host in seen:
                continue
            if was_written:  # AWX wrote the file and it is gone: Ansible removed it (clear_facts)
                self._clear(host)
                report.cleared.append(host)
            else:
                report.unmodified.append(host)
        for host in updates:
            try:
                new_facts = json.loads((fact_cache_dir / host).read_text(encoding="utf-8"))
            except ValueError:
                continue
            row = self.row(host)
            if new_facts != row.ansible_facts:
                row.ansible_facts, row.ansible_facts_modified = new_facts, datetime.datetime.now(UTC)
                report.updated.append(host)
            else:
                report.unmodified.append(host)
        return report

    def _clear(self, host: str) -> None:
        row = self.row(host)
        row.ansible_facts, row.ansible_facts_modified = {}, datetime.datetime.now(UTC)


@dataclass
class Job(SavedOutcomes):
    """One finished AWX-shaped job."""

    ident: int
    private_data_dir: Path
    status: str
    rc: int
    facts: Optional[FactReport]

    @property
    def artifacts(self) -> Path:
        return self.private_data_dir / "artifacts" / str(self.ident)

    @property
    def fact_cache(self) -> Path:
        return self.artifacts / "fact_cache"

    @property
    def stdout(self) -> str:
        path = self.artifacts / "stdout"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    @property
    def output(self) -> str:
        return "job %d (%s, rc %d) in %s\n--- stdout\n%s" % (self.ident, self.status, self.rc, self.private_data_dir, self.stdout)

    @property
    def results_dir(self) -> Path:
        return self.private_data_dir / "results"

    def cached_facts(self, host: str = "localhost") -> Dict[str, Any]:
        """What ansible-playbook left in the job's jsonfile cache for ``host``, whatever the file's
        name (``<host>`` up to ansible-core 2.18, ``s1_<host>`` from 2.19 on)."""
        for name in ("s1_%s" % host, host):
            path = self.fact_cache / name
            if path.is_file():
                return decode_cached_facts(path.read_text(encoding="utf-8"))
        return {}


# ansible_runner.run in a process of its own, as AWX runs it in the execution environment's
# container (ansible-runner worker): the test process runs the endpoint's threads, and
# ansible-runner forks a pty for ansible-playbook; its status and rc are in the artifacts.
_RUN = """
import json, sys
import ansible_runner
ansible_runner.run(**json.loads(sys.argv[1]))
"""


def _runner_environ() -> Dict[str, str]:
    """ansible-runner starts from its own environment (config/_base.py: ``self.env =
    os.environ.copy()``), then env/envvars: leave out whatever of the test's own could change the job."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "AWS_", "BOTO", "CLOUDHOOKS_"))}


class Awx:
    """Launches jobs as AWX does, one after the other, sharing only ``db`` (and whatever the test
    gives them: a store's URL in the job's environment, say)."""

    def __init__(self, endpoint: str, collections: Path, tmp_path: Path, fact_cache_timeout: int = 0) -> None:
        self.endpoint = endpoint
        self.collections = collections
        self.base = tmp_path / "awx"  # AWX_ISOLATION_BASE_PATH
        self.base.mkdir(parents=True, exist_ok=True)
        self.fact_cache_timeout = fact_cache_timeout  # AWX's ANSIBLE_FACT_CACHE_TIMEOUT setting
        self.db = FactDatabase()
        self.jobs: List[Job] = []

    def envvars(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The job's environment, as AWX's build_env gives it (ANSIBLE_* settings, AWX_TASK_ENV, the
        credentials' variables) plus what the execution environment would have on its PATH."""
        env = {
            "PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "/usr/bin:/bin")),
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),  # in an EE: the image's collections
            "ANSIBLE_FACT_CACHE_TIMEOUT": str(self.fact_cache_timeout),  # AWX passes it on; Ansible ignores it
            "ANSIBLE_NOCOLOR": "1",
            "AWS_ACCESS_KEY_ID": "testing",  # an "Amazon Web Services" credential injects these
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        env.update(extra or {})
        return env

    def launch(
        self,
        *,
        invocations: Optional[List[Dict[str, Any]]] = None,
        envvars: Optional[Dict[str, str]] = None,
        use_fact_cache: bool = True,
        hosts: Optional[List[str]] = None,
        project: Optional[Path] = None,
        playbook: str = "job.yml",
        extravars: Optional[Dict[str, Any]] = None,
    ) -> Job:
        """Run one job to the end: prepare its private data dir, write the fact cache (when the job
        template has fact storage on), run ansible-runner, and save the facts back as AWX does.

        Without ``project``, the project is awx_project/ and its job.yml runs ``invocations``; with
        it (a directory such as examples/), its ``playbook`` runs with ``extravars``."""
        ident = len(self.jobs) + 1
        hosts = hosts or ["localhost"]
        private_data_dir = Path(tempfile.mkdtemp(prefix="awx_%d_" % ident, dir=str(self.base)))
        for sub in ("inventory", "env"):
            (private_data_dir / sub).mkdir()
        project_dir = private_data_dir / "project"  # AWX copies the synced project into each job
        if project is None:
            shutil.copytree(PROJECT, project_dir)
            extravars = {"lambda_endpoint": self.endpoint, "results_dir": str(private_data_dir / "results"),
                         "invocations": invocations or []}
        else:
            shutil.copytree(project, project_dir)
        (private_data_dir / "results").mkdir()
        # AWX writes a script that prints the inventory as JSON (write_inventory_file); the same hosts:
        local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
        inventory = {"all": {"hosts": hosts, "vars": {}}, "_meta": {"hostvars": {h: local for h in hosts}}}
        script = private_data_dir / "inventory" / "hosts"
        script.write_text("#! %s\nprint(%r)\n" % (VENV_BIN / "python", json.dumps(inventory)), encoding="utf-8")
        script.chmod(0o700)
        (private_data_dir / "env" / "extravars").write_text(json.dumps(extravars or {}), encoding="utf-8")
        (private_data_dir / "env" / "envvars").write_text(json.dumps(self.envvars(envvars)), encoding="utf-8")

        artifacts = private_data_dir / "artifacts" / str(ident)
        if use_fact_cache:
            self.db.start_fact_cache(hosts, artifacts, self.fact_cache_timeout)
        kwargs = {"private_data_dir": str(private_data_dir), "playbook": playbook, "ident": str(ident),
                  "inventory": str(script), "fact_cache_type": "jsonfile" if use_fact_cache else "", "quiet": True}
        subprocess.run([sys.executable, "-c", _RUN, json.dumps(kwargs)], env=_runner_environ(), check=True,
                       stdin=subprocess.DEVNULL, timeout=600)
        report = self.db.finish_fact_cache(artifacts) if use_fact_cache else None
        status = (artifacts / "status").read_text(encoding="utf-8").strip()
        rc = int((artifacts / "rc").read_text(encoding="utf-8").strip())
        job = Job(ident, private_data_dir, status, rc, report)
        self.jobs.append(job)
        return job
