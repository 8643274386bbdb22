# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durable record stores end to end (issue 9): record_store file:// and s3:// (moto's S3 on the
session's endpoint, 127.0.0.1), through ansible-playbook.

The store is given with CLOUDHOOKS_RECORD_STORE in the environment of each run (the option
itself is tested where it matters); an S3 store uses the task's module_defaults (endpoint_url,
region) and the dummy credentials of the run's environment.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest

from lambda_e2e import CORE, Store, compact, fact_name, item_args, newest_core_only, process_tree, wait_for

CREATE = {"action": "create", "prev_input": None}


# -- loops ----------------------------------------------------------------------------------


def _five(functions, tmp_path, hint):
    flag = tmp_path / "fail-now"
    steady = functions.deploy("steady-" + hint)
    flaky = functions.deploy("flaky-" + hint, FAIL_FLAG=str(flag))
    entries = [item_args(flaky if n == 4 else steady, id="item-%d" % n, lifecycle_scope="CRUD", input={"n": n})
               for n in range(1, 6)]
    return flag, steady, flaky, entries


@newest_core_only
def test_loop_of_five_with_the_fourth_failing_reinvokes_only_the_fourth_with_a_store(functions, ansible, tmp_path, store):
    flag, steady, flaky, entries = _five(functions, tmp_path, store.kind)
    flag.touch()
    first = ansible.run(invocations=entries, env=store.env)
    assert [i["failed"] for i in first.items()] == [False, False, False, True, False], first.output
    assert [store.record("item-%d" % n)["input"] for n in (1, 2, 3, 5)] == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 5}]
    assert store.document("item-4") is None  # its create surely did not complete: no marker, no record

    flag.unlink()
    second = ansible.run(invocations=entries, env=store.env)
    assert second.rc == 0, second.output
    assert [i["action"] for i in second.items()] == ["none", "none", "none", "create", "none"]
    assert len(steady.events()) == 4  # 1, 2, 3 and 5 were created once, and only once
    assert flaky.events() == [compact({"n": 4, "tf": CREATE})] * 2
    assert store.record("item-4")["input"] == {"n": 4}


def test_loop_of_five_with_the_fourth_failing_reinvokes_all_with_facts(functions, ansible, tmp_path):
    """Today's behaviour, documented in docs/state.md: Ansible drops the facts of a failed loop."""
    flag, steady, flaky, entries = _five(functions, tmp_path, "facts")
    flag.touch()
    first = ansible.run(invocations=entries)
    assert [i["failed"] for i in first.items()] == [False, False, False, True, False], first.output
    flag.unlink()
    second = ansible.run(invocations=entries)
    assert second.rc == 0, second.output
    assert [i["action"] for i in second.items()] == ["create"] * 5
    assert len(steady.events()) == 8


# -- two runs at once -------------------------------------------------------------------------


@newest_core_only
def test_two_runs_at_once_invoke_once_twenty_times(functions, ansible, tmp_path, endpoint):
    """Two ansible-playbook processes started together on the same host and ids, 20 times: each
    run invokes one id in an S3 store, then one in a file store. The function receives exactly one
    invocation per id; the other run changes nothing or fails naming the run in flight."""
    fn = functions.deploy("contended", SLEEP_SECONDS="0.5")
    stores = [Store("s3", tmp_path, endpoint), Store("file", tmp_path, endpoint)]
    outcomes: List[str] = []
    for round_ in range(20):
        entries = [item_args(fn, id="race-%s-%d" % (store.kind, round_), lifecycle_scope="CRUD",
                             input={"round": round_, "store": store.kind}, record_store=store.url) for store in stores]
        pending = [ansible.start(invocations=entries), ansible.start(invocations=entries)]
        runs = [p.wait() for p in pending]
        output = "\n\n".join(run.output for run in runs)
        for index, store in enumerate(stores):
            record_id = "race-%s-%d" % (store.kind, round_)
            sent = [e for e in fn.events() if json.loads(e) == {"round": round_, "store": store.kind, "tf": CREATE}]
            assert len(sent) == 1, "%s\n\nwrites: %s" % (output, json.dumps(store.history(record_id), indent=1))
            items = [run.item(index) for run in runs]
            created = [i for i in items if i.get("action") == "create" and not i.get("failed")]
            others = [i for i in items if i not in created]
            assert len(created) == 1 and len(others) == 1, output
            other = others[0]
            if other.get("failed"):
                assert ("another run is invoking %s" % record_id in other["msg"]
                        or "an invocation of %s on localhost is in flight" % record_id in other["msg"]), other
                assert other["invocations"] == []
                outcomes.append("failed")
            else:
                assert (other["changed"], other["action"], other["invocations"]) == (False, "none", []), other
                outcomes.append("none")
            assert store.record(record_id)["input"] == {"round": round_, "store": store.kind}
    assert fn.counts()["RequestResponse"] == 40
    print("the other run: %d failed naming the run in flight, %d found nothing to do"
          % (outcomes.count("failed"), outcomes.count("none")))


# -- the controller killed --------------------------------------------------------------------


def _kill_while_in_flight(ansible, fn, store: Store, record_id: str, value: Dict[str, Any]) -> None:
    pending = ansible.start(invocations=[item_args(fn, id=record_id, lifecycle_scope="CRUD", input=value)],
                            env=store.env)
    try:
        wait_for(lambda: any(json.loads(e).get("id") == record_id for e in fn.events()), "the slow handler to start")
        for pid in process_tree(pending.process.pid):  # the controller dies: ansible-playbook, workers, module
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pending.process.wait()
    finally:
        pending.stop()


@newest_core_only
def test_killed_run_leaves_a_marker_then_check_mode_assume_done_and_retry(functions, ansible, store):
    fn = functions.deploy("slow-" + store.kind, SLEEP_SECONDS="4")

    def entry(record_id: str, value: Dict[str, Any], **options: Any) -> List[Dict[str, Any]]:
        return [item_args(fn, id=record_id, lifecycle_scope="CRUD", input=value, **options)]

    first, second = {"id": "stuck-1"}, {"id": "stuck-2"}
    _kill_while_in_flight(ansible, fn, store, "stuck-1", first)
    marker = store.document("stuck-1")["in_flight"]
    assert marker["action"] == "create" and marker["record"]["input"] == first
    assert [r["payload"] for r in marker["remaining"]] == [compact({**first, "tf": CREATE})]

    # lambda_invocation_info shows it (check mode: it only reads).
    listed = ansible.run("info.yml", info={}, env=store.env, check=True).outcome()
    assert [(r["id"], r["in_flight"], r["in_flight_action"], r["has_record"]) for r in listed["records"]] == [
        ("stuck-1", True, "create", False)]
    shown = ansible.run("info.yml", info={"id": "stuck-1"}, env=store.env).outcome()
    assert shown["record"]["in_flight"] == marker and shown["record_store"] == store.url

    # The next run stops on it, saying what, since when and from where, and the ways on.
    stopped = ansible.run(invocations=entry("stuck-1", first), env=store.env)
    item = stopped.item()
    assert item["failed"] is True, stopped.output
    for words in ("an invocation of stuck-1 on localhost is in flight", "create started %s" % marker["since"],
                  "ansible-playbook pid %s" % marker["controller"]["pid"], "recover=assume_done", "recover=retry"):
        assert words in item["msg"]

    # Check mode says the same and changes nothing; recover in check mode only reports.
    checked = ansible.run(invocations=entry("stuck-1", first), env=store.env, check=True)
    assert "is in flight" in checked.item().get("msg", ""), checked.output
    assert checked.item()["invocations"] == []
    checked_recover = ansible.run(invocations=entry("stuck-1", first, recover="retry"), env=store.env, check=True)
    assert checked_recover.item()["changed"] is True and checked_recover.item()["recovered"]["how"] == "retry"
    assert [i.get("dry_run") for i in checked_recover.item()["invocations"]] == [True]
    assert store.document("stuck-1")["in_flight"] == marker
    wait_for(lambda: fn.finished() == 1, "the killed run's handler to finish")
    assert fn.counts()["RequestResponse"] == 1

    # assume_done: the planned record is stored, nothing is invoked.
    assumed = ansible.run(invocations=entry("stuck-1", first, recover="assume_done"), env=store.env)
    assert assumed.rc == 0, assumed.output
    assert (assumed.item()["changed"], assumed.item()["action"], assumed.item()["invocations"]) == (True, "create", [])
    assert store.document("stuck-1")["in_flight"] is None and store.record("stuck-1")["input"] == first
    assert fn.counts()["RequestResponse"] == 1
    assert ansible.run(invocations=entry("stuck-1", first), env=store.env).item()["action"] == "none"

    # retry: the planned invocation is sent again, once.
    _kill_while_in_flight(ansible, fn, store, "stuck-2", second)
    retried = ansible.run(invocations=entry("stuck-2", second, recover="retry"), env=store.env)
    assert retried.rc == 0, retried.output
    assert [i["payload"] for i in retried.item()["invocations"]] == [compact({**second, "tf": CREATE})]
    assert store.document("stuck-2")["in_flight"] is None and store.record("stuck-2")["input"] == second
    assert [json.loads(e)["id"] for e in fn.events()] == ["stuck-1", "stuck-2", "stuck-2"]
    again = ansible.run(invocations=entry("stuck-2", second, recover="retry"), env=store.env)
    assert again.item()["action"] == "none" and fn.counts()["RequestResponse"] == 3


# -- a replace whose create half fails --------------------------------------------------------


@newest_core_only
def test_replace_whose_create_fails_after_the_delete_sends_only_the_create_next(functions, ansible, tmp_path, store):
    flag = tmp_path / "fail-now"
    old = functions.deploy("old-" + store.kind)
    new = functions.deploy("new-" + store.kind, FAIL_FLAG=str(flag))
    value = {"tenant": "acme"}

    def run(fn):
        return ansible.run(invocations=[item_args(fn, id="tenant", lifecycle_scope="CRUD", input=value)], env=store.env)

    assert run(old).rc == 0
    flag.touch()
    failed = run(new)
    item = failed.item()
    assert item["failed"] is True and item["action"] == "replace", failed.output
    assert "What succeeded before it is stored" in item["msg"]
    assert [i["action"] for i in item["invocations"]] == ["delete", "create"]
    assert store.document("tenant")["record"] is None and store.document("tenant")["in_flight"] is None

    flag.unlink()
    fixed = run(new)
    assert fixed.rc == 0, fixed.output
    assert [i["action"] for i in fixed.item()["invocations"]] == ["create"]
    assert old.events() == [compact({**value, "tf": CREATE}), compact({**value, "tf": {"action": "delete", "prev_input": value}})]
    assert new.events() == [compact({**value, "tf": CREATE})] * 2
    assert store.record("tenant")["function_name"] == new.name


# -- adoption ---------------------------------------------------------------------------------


def test_a_record_in_facts_is_adopted_without_invoking(functions, ansible, store):
    fn = functions.deploy("adopt-" + store.kind)
    entry = [item_args(fn, id="adopt-me", lifecycle_scope="CRUD", input={"a": 1})]
    assert ansible.run(invocations=entry).rc == 0  # record_store facts: the record is in the fact cache
    adopted = ansible.run(invocations=entry, env=store.env)
    assert adopted.rc == 0, adopted.output
    assert (adopted.item()["action"], adopted.item()["adopted_from"], adopted.item()["invocations"]) == ("none", "fact", [])
    assert store.record("adopt-me")["input"] == {"a": 1}
    assert fn.counts()["RequestResponse"] == 1
    # The record moved into the store: the fact that held its input is null now (a jsonfile cache is 0644).
    in_facts = ansible.run("info.yml", info={"record_store": "facts"}).outcome()["records"]
    assert in_facts == [] and ansible.facts()[fact_name("adopt-me")] is None
    assert b'"a":1' not in ansible.cache_bytes() and b'"a": 1' not in ansible.cache_bytes()
    in_store = ansible.run("info.yml", info={"id": "adopt-me"}, env=store.env).outcome()
    assert in_store["record"]["record"]["input"] == {"a": 1} and in_store["records"][0]["id"] == "adopt-me"
    # From now on the store is read: the fact is not.
    changed = ansible.run(invocations=[item_args(fn, id="adopt-me", lifecycle_scope="CRUD", input={"a": 2})],
                          env=store.env)
    assert changed.item()["action"] == "update" and store.record("adopt-me")["input"] == {"a": 2}


def test_a_record_in_an_ansible_core_2_18_jsonfile_cache_is_adopted_without_invoking(functions, ansible, store):
    fn = functions.deploy("legacy-" + store.kind)
    record = {"v": 1, "function_name": fn.name, "qualifier": "$LATEST", "tenant_id": None, "scope": "CRUD",
              "key": "tf", "triggers": {}, "input": {"old": True}, "result": '{"from": "2.18"}'}
    # ansible-core 2.17/2.18 wrote the host's facts, as plain JSON, to <cache dir>/<host>.
    (ansible.facts_dir / "localhost").write_text(json.dumps({fact_name("legacy"): json.dumps(record)}), encoding="utf-8")
    adopted = ansible.run(invocations=[item_args(fn, id="legacy", lifecycle_scope="CRUD", input={"old": True})],
                          env=store.env)
    assert adopted.rc == 0, adopted.output
    # ansible-core 2.18 reads that file as the host's facts itself; 2.19 and later do not, and the
    # action plugin reads it as an old cache file.
    legacy_reader = "fact" if tuple(int(n) for n in CORE.split(".")) < (2, 19) else "jsonfile"
    assert (adopted.item()["action"], adopted.item()["adopted_from"]) == ("none", legacy_reader)
    assert adopted.item()["result_json"] == {"from": "2.18"}
    assert store.record("legacy")["input"] == {"old": True}
    assert fn.counts()["RequestResponse"] == 0


# -- state absent -----------------------------------------------------------------------------


@newest_core_only
def test_state_absent_deletes_the_record_from_the_store(functions, ansible, store):
    fn = functions.deploy("absent-" + store.kind)
    assert ansible.run(invocations=[item_args(fn, id="gone", lifecycle_scope="CRUD", input={"a": 1})], env=store.env).rc == 0
    removed = ansible.run(invocations=[item_args(fn, id="gone", lifecycle_scope="CRUD", state="absent")], env=store.env)
    assert removed.rc == 0 and removed.item()["action"] == "delete", removed.output
    assert store.document("gone") is None
    assert ansible.record("gone") is None  # the fact follows: null
    again = ansible.run(invocations=[item_args(fn, id="gone", lifecycle_scope="CRUD", state="absent")], env=store.env)
    assert again.item()["action"] == "none" and fn.counts()["RequestResponse"] == 2


# -- the store itself failing -----------------------------------------------------------------


class _Denied(BaseHTTPRequestHandler):
    """An S3 endpoint that refuses everything, as S3 does without the permissions."""

    def _deny(self) -> None:
        body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = _deny

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def denying_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Denied)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@newest_core_only
def test_store_failures_are_clear_errors_and_nothing_is_invoked(functions, ansible, tmp_path, endpoint, denying_endpoint):
    fn = functions.deploy("careful")
    s3 = Store("s3", tmp_path, endpoint)

    def run(url: str, record_id: str = "careful") -> Dict[str, Any]:
        entry = [item_args(fn, id=record_id, input={"a": 1}, record_store=url)]
        outcome = ansible.run(invocations=entry)
        assert outcome.item()["failed"] is True, outcome.output
        return outcome.item()

    missing = run("s3://no-such-bucket-%s/state" % uuid.uuid4().hex[:8])
    assert "does not exist" in missing["msg"] and "Nothing was invoked" in missing["msg"]
    denied = run("s3://%s/state?endpoint_url=%s" % (s3.bucket, denying_endpoint))
    assert "access denied for GetObject" in denied["msg"] and "s3:GetObject, s3:PutObject" in denied["msg"]

    for store in (s3, Store("file", tmp_path, endpoint)):
        record_id = "careful-" + store.kind
        ok = ansible.run(invocations=[item_args(fn, id=record_id, input={"a": 1}, record_store=store.url)])
        assert ok.rc == 0, ok.output
        before = fn.counts()["RequestResponse"]
        store.corrupt(record_id)
        corrupted = run(store.url, record_id)
        assert "is unreadable" in corrupted["msg"] and "Nothing was invoked" in corrupted["msg"]
        assert fn.counts()["RequestResponse"] == before
    bad = run("s3://Bad_Bucket/x")
    assert "is not an S3 bucket name" in bad["msg"]
    assert fn.counts()["RequestResponse"] == 2  # the two good runs only
