# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""record_keeping: the in-flight marker, progress after each invocation, recover, adoption and
lost races, against a file store in a temporary directory and a stand-in for the module."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Invocation, Record, Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import fact_name, parse_desired
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_keeping import (
    Keeper, KeepingFailed, adopter, legacy_jsonfile_facts,
)
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import Conflict, FileStore, StoreError, parse_url

CONTROLLER = {"host": "ci-7", "user": "runner", "pid": 4242, "worker_pid": 4243}


class Module:
    """Stands in for the module: records each call, and what the store held during it."""

    def __init__(self, store: FileStore, fail: Optional[Dict[int, str]] = None) -> None:
        self.store = store
        self.fail = fail or {}
        self.calls: List[List[Dict[str, Any]]] = []
        self.seen: List[Optional[Dict[str, Any]]] = []

    def __call__(self, invocations: List[Invocation]) -> Dict[str, Any]:
        number = len(self.calls)
        self.calls.append([i.describe() for i in invocations])
        stored = self.store.read("h", "t")
        self.seen.append(stored.document if stored else None)
        entries = [dict(i.describe(), status_code=200, response='{"n":%d}' % number) for i in invocations]
        if number in self.fail:
            return {"failed": True, "msg": getattr(self, "message", "boom. Nothing was invoked before it; the stored record is unchanged."),
                    "failure_kind": self.fail[number], "invocations": []}
        return {"changed": True, "invocations": entries, "result": '{"n":%d}' % number}

    def payloads(self) -> List[str]:
        return [entry["payload"] for call in self.calls for entry in call]


def desired(**options: Any):
    base = {"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD", "input": {"a": 1}}
    base.update(options)
    return parse_desired(base)


@pytest.fixture
def store(tmp_path):
    return FileStore(parse_url("file://%s" % tmp_path))


def keeper(store, module, *, facts=None, legacy=None, **kwargs) -> Keeper:
    wanted = kwargs.pop("wanted", None) or desired()
    return Keeper(store, "h", wanted, module, adopt=adopter(facts or {}, fact_name("t"), lambda: legacy),
                  controller=CONTROLLER, now=lambda: "2026-11-29T12:00:00Z", **kwargs)


def record(value: Any, function_name: str = "fn") -> Record:
    return Record(Target(function_name), "CRUD", "tf", {}, value, '{"old":true}')


def put(store, rec: Optional[Record], marker: Optional[Dict[str, Any]] = None) -> None:
    store.create("h", "t", {"v": 1, "nonce": "x", "record": json.loads(rec.to_fact()) if rec else None,
                            "in_flight": marker})


def test_marker_is_written_before_the_invocation_and_replaced_by_the_record(store):
    module = Module(store)
    result = keeper(store, module).run()
    assert result["action"] == "create" and result["changed"] is True
    marker = module.seen[0]["in_flight"]
    assert marker["action"] == "create" and marker["controller"] == CONTROLLER
    assert marker["since"] == "2026-11-29T12:00:00Z" and marker["prior"] is None
    assert [r["payload"] for r in marker["remaining"]] == ['{"a":1,"tf":{"action":"create","prev_input":null}}']
    document = store.read("h", "t").document
    assert document["in_flight"] is None and document["record"]["input"] == {"a": 1}
    assert document["record"]["result"] == '{"n":0}'
    assert result["record"].input == {"a": 1}


def test_nothing_to_do_writes_nothing(store):
    put(store, record({"a": 1}))
    version = store.read("h", "t").version
    module = Module(store)
    result = keeper(store, module).run()
    assert (result["changed"], result["action"], result["result"]) == (False, "none", '{"old":true}')
    assert module.calls == [] and store.read("h", "t").version == version


def test_a_sure_failure_removes_the_marker_and_keeps_the_record(store):
    put(store, record({"a": 0}))
    module = Module(store, fail={0: "not_completed"})
    with pytest.raises(KeepingFailed) as failed:
        keeper(store, module).run()
    assert "boom." in failed.value.result["msg"] and "Nothing was invoked before it" not in failed.value.result["msg"]
    assert "The stored record is unchanged" in failed.value.result["msg"]
    document = store.read("h", "t").document
    assert document["in_flight"] is None and document["record"]["input"] == {"a": 0}


def test_a_sure_failure_of_a_first_create_leaves_nothing(store):
    with pytest.raises(KeepingFailed):
        keeper(store, Module(store, fail={0: "not_completed"})).run()
    assert store.read("h", "t") is None


@pytest.mark.parametrize("kind", ["unknown", None])
def test_an_unknown_outcome_keeps_the_marker(store, kind):
    module = Module(store, fail={0: kind})
    with pytest.raises(KeepingFailed) as failed:
        keeper(store, module).run()
    assert "Whether the function ran is not known" in failed.value.result["msg"]
    assert store.read("h", "t").document["in_flight"]["action"] == "create"


def test_replace_keeps_the_finished_delete_half(store):
    put(store, record({"a": 1}, "old-fn"))
    module = Module(store, fail={1: "not_completed"})
    with pytest.raises(KeepingFailed) as failed:
        keeper(store, module).run()
    assert failed.value.result["changed"] is True and failed.value.result["action"] == "replace"
    assert "What succeeded before it is stored" in failed.value.result["msg"]
    # between the two: the old side is gone, the create still to send
    between = module.seen[1]
    assert between["record"] is None and [r["action"] for r in between["in_flight"]["remaining"]] == ["create"]
    after = store.read("h", "t").document
    assert (after["record"], after["in_flight"]) == (None, None)  # kept: "no record", not "never adopted"

    again = Module(store)
    result = keeper(store, again).run()
    assert result["action"] == "create" and [c[0]["action"] for c in again.calls] == ["create"]


def test_a_marker_fails_the_next_run_naming_it_and_check_mode_too(store):
    with pytest.raises(KeepingFailed):
        keeper(store, Module(store, fail={0: "unknown"})).run()
    for check_mode in (False, True):
        module = Module(store)
        with pytest.raises(KeepingFailed) as failed:
            keeper(store, module, check_mode=check_mode).run()
        msg = failed.value.result["msg"]
        assert "an invocation of t on h is in flight" in msg
        assert "create started 2026-11-29T12:00:00Z by runner@ci-7, ansible-playbook pid 4242" in msg
        assert "recover=assume_done" in msg and "recover=retry" in msg
        assert module.calls == []


def test_recover_assume_done_stores_the_planned_record_without_invoking(store):
    with pytest.raises(KeepingFailed):
        keeper(store, Module(store, fail={0: "unknown"})).run()
    module = Module(store)
    result = keeper(store, module, recover="assume_done").run()
    assert module.calls == [] and (result["changed"], result["action"]) == (True, "create")
    document = store.read("h", "t").document
    assert document["in_flight"] is None and document["record"]["input"] == {"a": 1}


def test_recover_retry_sends_what_was_left(store):
    with pytest.raises(KeepingFailed):
        keeper(store, Module(store, fail={0: "unknown"})).run()
    module = Module(store)
    result = keeper(store, module, recover="retry").run()
    assert module.payloads() == ['{"a":1,"tf":{"action":"create","prev_input":null}}']
    assert result["changed"] is True and store.read("h", "t").document["in_flight"] is None


def test_check_mode_with_recover_only_reports(store):
    with pytest.raises(KeepingFailed):
        keeper(store, Module(store, fail={0: "unknown"})).run()
    before = store.read("h", "t")
    module = Module(store)
    result = keeper(store, module, recover="retry", check_mode=True).run()
    assert result["recovered"]["how"] == "retry" and len(module.calls) == 1
    assert store.read("h", "t") == before


def test_absent_deletes_the_document(store):
    put(store, record({"a": 1}))
    module = Module(store)
    result = keeper(store, module, wanted=desired(state="absent", input=None)).run()
    assert result["action"] == "delete" and [c[0]["action"] for c in module.calls] == ["delete"]
    assert store.read("h", "t") is None and result["record"] is None


def test_adopted_from_the_fact_is_written_without_invoking(store):
    module = Module(store)
    result = keeper(store, module, facts={fact_name("t"): record({"a": 1}).to_fact()}).run()
    assert (result["action"], result["adopted_from"], module.calls) == ("none", "fact", [])
    assert store.read("h", "t").document["record"]["input"] == {"a": 1}


def test_adopted_from_a_legacy_file_but_not_past_a_null_fact(store, tmp_path):
    old = {fact_name("t"): record({"a": 1}).to_fact()}
    (tmp_path / "ansible_factsh").write_text(json.dumps(old))
    assert legacy_jsonfile_facts(str(tmp_path), "ansible_facts", "h") == old
    module = Module(store)
    result = keeper(store, module, facts={fact_name("t"): None}, legacy=old).run()
    assert result["action"] == "create"  # the record was forgotten since: the old file must not bring it back
    store.delete("h", "t", store.read("h", "t").version)
    result = keeper(store, Module(store), legacy=old).run()
    assert (result["action"], result["adopted_from"]) == ("none", "jsonfile")


def test_2_19_cache_files_are_not_legacy(tmp_path):
    (tmp_path / "h").write_text(json.dumps({"__payload__": "{}"}))
    assert legacy_jsonfile_facts(str(tmp_path), "", "h") is None
    assert legacy_jsonfile_facts(str(tmp_path), "", "missing") is None


class RacingStore(FileStore):
    """Another run writes its marker (or its finished record) just before this run's marker."""

    def __init__(self, spec, other: Dict[str, Any]) -> None:
        super().__init__(spec)
        self.other = other

    def create(self, host, record_id, document):
        if self.other is not None:
            other, self.other = self.other, None
            super().create(host, record_id, other)
        return super().create(host, record_id, document)


def test_losing_the_race_to_another_runs_marker_fails_naming_it(tmp_path):
    marker = {"action": "create", "since": "2026-11-29T11:59:59Z", "remaining": [], "done": [],
              "controller": {"host": "laptop", "user": "ann", "pid": 7}, "record": None, "prior": None}
    store = RacingStore(parse_url("file://%s" % tmp_path), {"v": 1, "nonce": "o", "record": None, "in_flight": marker})
    module = Module(store)
    with pytest.raises(KeepingFailed) as failed:
        keeper(store, module).run()
    assert "another run is invoking t on h right now (create started 2026-11-29T11:59:59Z by ann@laptop" in \
        failed.value.result["msg"]
    assert module.calls == []


def test_losing_the_race_to_a_finished_run_means_nothing_to_do(tmp_path):
    done = {"v": 1, "nonce": "o", "record": json.loads(record({"a": 1}).to_fact()), "in_flight": None}
    store = RacingStore(parse_url("file://%s" % tmp_path), done)
    module = Module(store)
    result = keeper(store, module).run()
    assert (result["changed"], result["action"], module.calls) == (False, "none", [])


def test_a_write_whose_answer_was_lost_finds_itself(tmp_path):
    class Retried(FileStore):
        def create(self, host, record_id, document):
            super().create(host, record_id, document)
            raise Conflict("412 on the retried request")

    store = Retried(parse_url("file://%s" % tmp_path))
    result = keeper(store, Module(store)).run()
    assert result["action"] == "create"


def test_forgetting_a_create_only_record_deletes_the_document_without_invoking(store):
    """The path state=forgotten takes too: a plan with no invocation and no record to keep."""
    put(store, Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None))
    module = Module(store)
    result = keeper(store, module, wanted=desired(state="absent", input=None, lifecycle_scope="CREATE_ONLY")).run()
    assert (result["action"], result["changed"], module.calls) == ("forget", True, [])
    assert store.read("h", "t") is None and result["record"] is None


def test_a_store_that_refuses_the_marker_fails_before_invoking(tmp_path):
    class ReadOnly(FileStore):
        def create(self, host, record_id, document):
            raise StoreError("record_store x: access denied for PutObject")

    store = ReadOnly(parse_url("file://%s" % tmp_path))
    module = Module(store)
    with pytest.raises(KeepingFailed) as failed:
        keeper(store, module).run()
    assert failed.value.result["msg"] == "record_store x: access denied for PutObject Nothing was invoked."
    assert module.calls == []


def test_record_result_false_keeps_no_result_in_the_store(store):
    module = Module(store)
    result = keeper(store, module, wanted=desired(record_result=False)).run()
    assert result["result"] == '{"n":0}'  # the run that invoked returns the response
    assert store.read("h", "t").document["record"]["result"] is None


def test_a_digest_marker_keeps_no_payload_and_retry_plans_again_from_the_task(store):
    secret = {"password": "hunter2"}
    wanted = desired(lifecycle_scope="CREATE_ONLY", record_input="digest", input=secret)
    module = Module(store, fail={0: "unknown"})
    with pytest.raises(KeepingFailed):
        keeper(store, module, wanted=wanted).run()
    text = json.dumps(store.read("h", "t").document)
    assert "hunter2" not in text  # the marker stays (outcome unknown), without the input
    assert store.read("h", "t").document["in_flight"]["remaining"][0]["payload"] is None
    again = Module(store)
    result = keeper(store, again, wanted=wanted, recover="retry").run()
    assert again.payloads() == ['{"password":"hunter2"}'] and result["action"] == "create"
    document = store.read("h", "t").document
    assert document["in_flight"] is None and "hunter2" not in json.dumps(document)


@pytest.mark.parametrize("note", [
    "boom. The stored record is unchanged.",
    "failed to invoke fn (the stored record is unchanged): An error occurred (Boom)",
])
def test_the_modules_note_on_the_record_gives_way_to_the_stores(store, note):
    module = Module(store, fail={0: "not_completed"})
    module.message = note
    with pytest.raises(KeepingFailed) as failed:
        keeper(store, module).run()
    msg = failed.value.result["msg"]
    assert "The stored record is unchanged (" in msg  # the store's own note, naming where
    assert "the stored record is unchanged)" not in msg and "unchanged." not in msg.split("The stored record is unchanged (")[0]
    assert ("An error occurred (Boom)" in msg) == ("Boom" in note)
