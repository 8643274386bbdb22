# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX-shaped runs (issue 20, part 4): each job is a fresh private data dir run by ansible-runner,
with AWX's jsonfile fact cache written before it and read back after it (awx_jobs.py beside this
file says how, and docs/state.md, "AWX, Automation Platform and execution environments", why).

What carries a record from one job to the next:

- the facts store: only AWX's database of host facts, and only while ansible-core can read the
  files AWX writes. AWX writes and reads ``fact_cache/<host>`` as plain JSON, which is what
  ansible-core 2.18 and older use. ansible-core 2.19 and later use ``s1_<host>`` holding
  ``{"__payload__": ...}``: they never see AWX's file, and AWX never reads theirs, so every job
  starts without records. ansible-core 2.22 writes ``<host>`` as plain JSON again when the
  jsonfile cache's ``persist_metadata`` is off (ANSIBLE_CACHE_JSONFILE_PERSIST_METADATA=false,
  which the facts tests put in the job's environment). The tests assert what the core under test
  (CLOUDHOOKS_CORE) does; run them on 2.18 (``scripts/nox -s e2e-2.18``) to see the facts store
  work under AWX.
- a ``file://`` or ``s3://`` store: the store itself, whatever the fact cache did.

Run from the repository root:
    scripts/nox -s e2e-2.22 -- tests/integration/test_awx_runner.py
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from awx_jobs import Awx, FactDatabase
from lambda_e2e import CORE, compact, item_args, local_lambda, newest_core_only, record_in_facts

# AWX's files reach ansible-playbook, and ansible-playbook's reach AWX, up to ansible-core 2.18,
# and again from 2.22 on with the jsonfile cache's persist_metadata off (FACTS_ENV).
_CORE = tuple(int(n) for n in CORE.split("."))
AWX_FACTS_REACH_THE_JOB = _CORE < (2, 19) or _CORE >= (2, 22)
# What docs/state.md tells AWX users of the facts store to put in the job's environment:
# ansible-core 2.22's jsonfile then writes <host> as plain JSON again; 2.21 and older ignore it.
FACTS_ENV = {"ANSIBLE_CACHE_JSONFILE_PERSIST_METADATA": "false"}

GOLD = {"tenant": "acme", "plan": "gold"}
PLATINUM = {"tenant": "acme", "plan": "platinum"}
HOUR = 3600


def payload(value: Dict[str, Any], action: str = "create", prev: Optional[Dict[str, Any]] = None) -> str:
    """The event a CRUD function receives (compact JSON, the lifecycle block last)."""
    return compact({**value, "tf": {"action": action, "prev_input": prev}})


def tenants(fn: Any, **for_each: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One task: id ``tenants``, one key (and record, ``tenants[KEY]``) per tenant."""
    return [item_args(fn, id="tenants", lifecycle_scope="CRUD", for_each=for_each)]


def sent_to(fn: Any, tenant: str) -> List[str]:
    """The events of one tenant, in order (the keys of one for_each run are invoked concurrently)."""
    return [e for e in fn.events() if json.loads(e).get("tenant") == tenant]


# -- the facts store --------------------------------------------------------------------------


def test_facts_store_second_job_invokes_nothing_until_the_facts_outlive_awx_fact_cache_timeout(
        functions, endpoint, collections_path, tmp_path):
    """Job 1 creates. Job 2, in a fresh private data dir, gets the facts AWX saved after job 1 and
    invokes nothing. An hour and a second later, with AWX's "Per-Host Ansible Fact Cache Timeout"
    (ANSIBLE_FACT_CACHE_TIMEOUT) at one hour, AWX writes no facts for the host: job 3 sends
    ``create`` again, for a tenant that exists. With the timeout at 0 (AWX's default: no limit),
    facts of any age are written, and job 4, thirty days on, invokes nothing.

    With ansible-core 2.19 to 2.21 in the execution environment, AWX's file is not read and
    ansible-core's is not saved: every job sends ``create``."""
    fn = functions.deploy("tenant")
    awx = Awx(endpoint, collections_path, tmp_path, fact_cache_timeout=HOUR)
    entries = [item_args(fn, id="tenant", lifecycle_scope="CRUD", input=GOLD)]

    first = awx.launch(invocations=entries, envvars=FACTS_ENV)
    assert first.status == "successful", first.output
    assert first.item()["action"] == "create"
    assert fn.events() == [payload(GOLD)]
    assert record_in_facts(first.cached_facts(), "tenant")["input"] == GOLD  # the job's own cache has it
    if AWX_FACTS_REACH_THE_JOB:
        assert [p.name for p in first.fact_cache.iterdir()] == ["localhost"]
        assert first.facts.updated == ["localhost"]  # changed during the job: AWX saves it
        assert record_in_facts(awx.db.facts(), "tenant")["input"] == GOLD
    else:
        assert [p.name for p in first.fact_cache.iterdir()] == ["s1_localhost"]
        assert first.facts.updated == [] and awx.db.facts() == {}  # AWX looks at fact_cache/localhost only

    second = awx.launch(invocations=entries, envvars=FACTS_ENV)
    assert second.private_data_dir != first.private_data_dir and second.status == "successful", second.output
    summary = json.loads((second.artifacts / "host_cache_summary.json").read_text(encoding="utf-8"))
    assert summary["hosts_cached"] == {"localhost": AWX_FACTS_REACH_THE_JOB}
    if AWX_FACTS_REACH_THE_JOB:
        assert (second.item()["action"], second.item()["invocations"]) == ("none", [])
        assert fn.events() == [payload(GOLD)]
        assert second.facts.unmodified == ["localhost"]  # nothing written: the record stays as saved
    else:
        assert second.item()["action"] == "create"
        assert fn.events() == [payload(GOLD)] * 2

    awx.db.age(HOUR + 1)  # no job for an hour and a second
    third = awx.launch(invocations=entries, envvars=FACTS_ENV)
    # Older than the timeout: AWX wrote no file for the host before the job.
    assert json.loads((third.artifacts / "host_cache_summary.json").read_text(encoding="utf-8"))["hosts_cached"] == {
        "localhost": False}
    assert third.item()["action"] == "create", third.output
    assert fn.events()[-1] == payload(GOLD)  # `create` with prev_input null: nothing says it exists

    awx.fact_cache_timeout = 0  # AWX's default: facts never expire
    awx.db.age(30 * 86400)
    fourth = awx.launch(invocations=entries, envvars=FACTS_ENV)
    if AWX_FACTS_REACH_THE_JOB:
        assert (third.facts.updated, fourth.item()["action"]) == (["localhost"], "none"), fourth.output
        assert fn.events() == [payload(GOLD)] * 2  # jobs 1 and 3
    else:
        assert fourth.item()["action"] == "create"
        assert fn.events() == [payload(GOLD)] * 4
    assert fn.counts()["RequestResponse"] == len(fn.events())


def test_facts_store_a_failed_key_fails_the_job_and_awx_keeps_the_facts_from_before(
        functions, endpoint, collections_path, tmp_path):
    """Job 1 creates acme. Job 2 updates acme (sent, and it succeeds) and creates globex, whose
    function fails: the task fails, the job fails, and Ansible keeps no fact of the task, so the
    host's cache file is left as AWX wrote it, and AWX keeps the facts of job 1 (it saves only a
    file that changed). Job 3, globex fixed, sends acme the same update again, with the same
    prev_input, then creates globex. (With ansible-core 2.19 to 2.21, every job sends ``create``.)"""
    flag = tmp_path / "globex-fails"
    flag.touch()
    fn = functions.deploy("tenants")
    awx = Awx(endpoint, collections_path, tmp_path)
    globex = {"tenant": "globex", "plan": "gold", "fail_while": str(flag)}

    first = awx.launch(invocations=tenants(fn, acme=GOLD), envvars=FACTS_ENV)
    assert first.status == "successful", first.output
    saved_after_first = awx.db.facts()

    second = awx.launch(invocations=tenants(fn, acme=PLATINUM, globex=globex), envvars=FACTS_ENV)
    assert (second.status, second.rc) == ("failed", 2), second.output
    item = second.item()
    assert item["failed"] is True and list(item["failed_keys"]) == ["globex"], item
    if AWX_FACTS_REACH_THE_JOB:
        assert item["actions"] == {"acme": "update", "globex": "create"}
        assert sent_to(fn, "acme") == [payload(GOLD), payload(PLATINUM, "update", GOLD)]
        assert second.facts.unmodified == ["localhost"] and second.facts.updated == []
        assert awx.db.facts() == saved_after_first
        assert record_in_facts(awx.db.facts(), "tenants[acme]")["input"] == GOLD  # not what was sent last
    else:
        assert item["actions"] == {"acme": "create", "globex": "create"}
        assert sent_to(fn, "acme") == [payload(GOLD), payload(PLATINUM)]
        assert awx.db.facts() == saved_after_first == {}
    assert record_in_facts(awx.db.facts(), "tenants[globex]") is None

    flag.unlink()
    third = awx.launch(invocations=tenants(fn, acme=PLATINUM, globex=globex), envvars=FACTS_ENV)
    assert third.status == "successful", third.output
    if AWX_FACTS_REACH_THE_JOB:
        assert third.item()["actions"] == {"acme": "update", "globex": "create"}
        assert sent_to(fn, "acme") == [payload(GOLD)] + [payload(PLATINUM, "update", GOLD)] * 2
        assert third.facts.updated == ["localhost"]
        assert record_in_facts(awx.db.facts(), "tenants[acme]")["input"] == PLATINUM
        assert record_in_facts(awx.db.facts(), "tenants[globex]")["input"] == globex
    else:
        assert third.item()["actions"] == {"acme": "create", "globex": "create"}
        assert sent_to(fn, "acme") == [payload(GOLD)] + [payload(PLATINUM)] * 2
    assert sent_to(fn, "globex") == [payload(globex)] * 2  # failed in job 2, created in job 3


# -- durable stores ---------------------------------------------------------------------------


def encoded(text: str) -> str:
    """A host or id as a store's document names it (docs/state.md, "The documents")."""
    out = []
    for index, char in enumerate(text):
        if char in "abcdefghijklmnopqrstuvwxyz0123456789_-" or (char == "." and index):
            out.append(char)
        else:
            out.extend("%%%02X" % byte for byte in char.encode("utf-8"))
    return "".join(out)


class DurableStore:
    """A store that outlives every job: a directory (a persistent volume mounted into the
    execution environment), or a bucket of the endpoint's S3 (moto), created here."""

    def __init__(self, kind: str, tmp_path: Path, endpoint: str) -> None:
        self.kind = kind
        if kind == "file":
            self.root = tmp_path / "persistent-volume" / "lambda-records"
            self.root.mkdir(parents=True, mode=0o700)
            self.url = "file://%s" % self.root
        else:
            self.bucket = "awx-records-%s" % uuid.uuid4().hex[:12]
            self.prefix = "awx/lambda"
            self.s3 = local_lambda.client(endpoint, "s3")
            self.s3.create_bucket(Bucket=self.bucket)
            self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
            self.url = "s3://%s/%s" % (self.bucket, self.prefix)

    @property
    def env(self) -> Dict[str, str]:
        """What a custom credential type (or the job template's environment) injects."""
        return {"CLOUDHOOKS_RECORD_STORE": self.url}

    def document(self, record_id: str, host: str = "localhost") -> Optional[Dict[str, Any]]:
        name = "%s/%s.json" % (encoded(host), encoded(record_id))
        if self.kind == "file":
            path = self.root / name
            return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key="%s/%s" % (self.prefix, name))["Body"]
        except self.s3.exceptions.NoSuchKey:
            return None
        return dict(json.loads(body.read()))

    def record(self, record_id: str) -> Optional[Dict[str, Any]]:
        document = self.document(record_id)
        assert document is None or document["in_flight"] is None, document
        return document["record"] if document else None


@pytest.fixture(params=["file", "s3"])
def durable_store(request: pytest.FixtureRequest, tmp_path: Path, endpoint: str) -> DurableStore:
    return DurableStore(request.param, tmp_path, endpoint)


@newest_core_only
def test_durable_store_second_job_invokes_nothing_whatever_the_fact_cache_did(
        functions, endpoint, collections_path, tmp_path, durable_store):
    """With CLOUDHOOKS_RECORD_STORE in the job's environment, the record is read from and written
    to the store, which is outside the job's private data dir and container: a directory on a
    volume that outlives the job, or an S3 bucket. So a job in a fresh private data dir finds
    what the last job stored, whether or not AWX handed it any facts (fact storage on or off,
    facts expired or cleared, an ansible-core whose cache files AWX cannot read), and invokes
    nothing. A failed key does not cost the keys that succeeded: each key's record is written as
    soon as it succeeds, and the next job invokes only the failed key."""
    store = durable_store
    fn = functions.deploy("tenants-" + store.kind)
    awx = Awx(endpoint, collections_path, tmp_path, fact_cache_timeout=HOUR)
    flag = tmp_path / "globex-fails"
    globex = {"tenant": "globex", "plan": "gold", "fail_while": str(flag)}

    first = awx.launch(invocations=tenants(fn, acme=GOLD), envvars=store.env)
    assert first.status == "successful", first.output
    assert first.item()["actions"] == {"acme": "create"}
    document = store.document("tenants[acme]")
    assert (document["host"], document["id"], document["record"]["input"]) == ("localhost", "tenants[acme]", GOLD)
    assert fn.events() == [payload(GOLD)]

    second = awx.launch(invocations=tenants(fn, acme=GOLD), envvars=store.env)  # AWX's facts, as saved
    assert second.private_data_dir != first.private_data_dir
    assert (second.status, second.item()["actions"], second.item()["changed"]) == ("successful", {"acme": "none"}, False)
    assert fn.events() == [payload(GOLD)]

    flag.touch()
    third = awx.launch(invocations=tenants(fn, acme=PLATINUM, globex=globex), envvars=store.env)
    assert (third.status, list(third.item()["failed_keys"])) == ("failed", ["globex"]), third.output
    assert store.record("tenants[acme]")["input"] == PLATINUM  # kept, though the task failed
    assert store.document("tenants[globex]") is None  # its create surely did not complete: nothing stored

    flag.unlink()
    awx.db = FactDatabase()  # AWX's facts gone (a new inventory, a cleanup, clear_facts) ...
    fourth = awx.launch(invocations=tenants(fn, acme=PLATINUM, globex=globex), envvars=store.env,
                        use_fact_cache=False)  # ... and fact storage off
    assert (fourth.status, fourth.item()["actions"]) == ("successful", {"acme": "none", "globex": "create"}), fourth.output
    assert not fourth.fact_cache.exists()
    # As parsed JSON: a store document keeps the record with its keys sorted (record_store.py
    # serialises documents with sort_keys), so prev_input comes back as {"plan": ..., "tenant": ...}.
    assert [json.loads(e) for e in sent_to(fn, "acme")] == [
        json.loads(payload(GOLD)), json.loads(payload(PLATINUM, "update", GOLD))]
    assert sent_to(fn, "globex") == [payload(globex)] * 2  # failed in job 3, created in job 4
    assert store.record("tenants[globex]")["input"] == globex
    assert fn.counts()["RequestResponse"] == 4


# -- the example, as a job template would run it ------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@newest_core_only
def test_example_demo_as_four_jobs_with_an_s3_store(endpoint, collections_path, tmp_path):
    """examples/ as the project (its ansible.cfg included) and demo.yml as the playbook, run as
    four jobs as docs/state.md sets them up for AWX: the store in CLOUDHOOKS_RECORD_STORE, the
    tenant's plan and state as extra vars. The example function (examples/function/index.py)
    receives create, nothing, update with the previous input, and delete; the bucket holds the
    record after each job, and none after the delete."""
    events = tmp_path / "tenant-provisioner.events.jsonl"
    local_lambda.deploy(endpoint, "tenant-provisioner", (EXAMPLES / "function" / "index.py").read_text(encoding="utf-8"),
                        env={"EVENT_LOG": str(events)}, timeout=30)
    store = DurableStore("s3", tmp_path, endpoint)
    awx = Awx(endpoint, collections_path, tmp_path)
    env = {**store.env, "LOCAL_LAMBDA_ENDPOINT": endpoint}

    def job(**extravars: str) -> Any:
        launched = awx.launch(project=EXAMPLES, playbook="demo.yml", extravars=extravars, envvars=env)
        assert launched.status == "successful", launched.output
        return launched

    def received() -> List[Dict[str, Any]]:
        return [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()] if events.exists() else []

    gold_tf = {"action": "create", "prev_input": None}
    assert "action: create" in job().stdout
    assert received() == [{**GOLD, "tf": gold_tf}]
    assert store.record("tenant-provisioner")["input"] == GOLD
    assert "action: none" in job().stdout
    assert "action: update" in job(tenant_plan="platinum").stdout
    assert "action: delete" in job(tenant_plan="platinum", tenant_state="absent").stdout
    assert received() == [{**GOLD, "tf": gold_tf},
                          {**PLATINUM, "tf": {"action": "update", "prev_input": GOLD}},
                          {**PLATINUM, "tf": {"action": "delete", "prev_input": PLATINUM}}]
    assert store.document("tenant-provisioner") is None
