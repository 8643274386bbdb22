# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one driver (plugin_utils/runner.py) against a file store: the in-flight marker, progress
after each invocation, what each outcome leaves, recover, adoption and lost races (docs/lifecycle.md,
"Record stores" and "Module outcome")."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import legacy_jsonfile_facts
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Conflict
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import fact_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.file import FileStore

HOST = "h"
CONTROLLER = {"host": "ci-7", "user": "runner", "pid": 4242, "worker_pid": 4243}
CREATE = '{"a":1,"tf":{"action":"create","prev_input":null}}'
MODULE_DIED = {"failed": True, "msg": "Module result deserialization failed: No start of json char found",
               "module_stdout": "", "module_stderr": "Killed", "rc": -9, "_ansible_parsed": False}
REFUSED_ARGUMENTS = {"failed": True, "nothing_sent": True,
                     "msg": "argument 'validate_certs' is of type <class 'str'> and we were unable to convert to bool"}


def record(value: Any, function_name: str = "fn", scope: str = "CRUD") -> Record:
    return Record(Target(function_name), scope, "tf", {}, value, '{"old":true}')


def put(store, rec: Optional[Record], marker: Optional[Dict[str, Any]] = None, record_id: str = "t") -> None:
    store.create(HOST, record_id, {"v": 1, "nonce": "x", "record": rec.to_data() if rec else None, "in_flight": marker})


def document(store, record_id: str = "t") -> Optional[Dict[str, Any]]:
    found = store.read(HOST, record_id)
    return found.document if found else None


def watching(stand_in: Any, store: Any, record_id: str = "t", **kwargs: Any) -> Any:
    """A stand-in for the module that notes the store's document at each call."""
    return stand_in(lambda: document(store, record_id), **kwargs)


def test_marker_is_written_before_the_invocation_and_replaced_by_the_record(store, run, stand_in):
    module = watching(stand_in, store)
    result = run(store, module, {"input": {"a": 1}})
    assert result["action"] == "create" and result["changed"] is True
    marker = module.seen[0]["in_flight"]
    assert marker["action"] == "create" and marker["controller"] == CONTROLLER
    assert marker["since"] == "2026-11-29T12:00:00Z" and marker["prior"] is None
    assert [r["payload"] for r in marker["remaining"]] == [CREATE]
    stored = document(store)
    assert stored["in_flight"] is None and stored["record"]["input"] == {"a": 1}
    assert stored["record"]["result"] == '{"n":0}' and stored["record"]["id"] == "t"
    assert "ansible_facts" not in result  # a durable store puts nothing in facts


def test_nothing_to_do_writes_nothing_and_runs_no_module(store, run, stand_in):
    put(store, record({"a": 1}))
    version = store.read(HOST, "t").version
    module = watching(stand_in, store)
    result = run(store, module, {"input": {"a": 1}})
    assert (result["changed"], result["action"], result["result"]) == (False, "none", '{"old":true}')
    assert module.calls == [] and store.read(HOST, "t").version == version


@pytest.mark.parametrize("kind", ["not_completed", "function_error"])
def test_a_sure_failure_removes_the_marker_and_keeps_the_record(store, kind, run, stand_in):
    put(store, record({"a": 0}))
    result = run(store, watching(stand_in, store, fail={0: kind}), {"input": {"a": 1}})
    assert result["failed"] is True and result["failure_kind"] == kind
    assert result["msg"] == "boom. The stored record is unchanged (%s); the next run tries again." % store.where(HOST, "t")
    stored = document(store)
    assert stored["in_flight"] is None and stored["record"]["input"] == {"a": 0}


def test_a_sure_failure_of_a_first_create_leaves_nothing(store, run, stand_in):
    run(store, watching(stand_in, store, fail={0: "not_completed"}), {"input": {"a": 1}})
    assert store.read(HOST, "t") is None


def test_an_unknown_outcome_keeps_the_marker(store, run, stand_in):
    result = run(store, watching(stand_in, store, fail={0: "unknown"}), {"input": {"a": 1}})
    assert "Whether the function ran is not known" in result["msg"] and result["failure_kind"] == "unknown"
    assert document(store)["in_flight"]["action"] == "create"


def test_a_module_that_died_is_an_unknown_outcome_and_keeps_the_marker(store, run, stand_in):
    """Defect 1: a module result that cannot be read (killed, no JSON) may come after the call."""
    result = run(store, watching(stand_in, store, raw={0: MODULE_DIED}), {"input": {"a": 1}})
    assert result["failure_kind"] == "unknown"
    assert "whether the function ran is not known" in result["msg"] and "Module result deserialization" in result["msg"]
    assert document(store)["in_flight"]["action"] == "create"


def test_a_module_that_refused_its_arguments_sent_nothing_and_leaves_no_marker(store, run, stand_in):
    """Defect 2: a failure the module reports before any call (no region, validate_certs: maybe, ...)."""
    put(store, record({"a": 0}))
    result = run(store, watching(stand_in, store, raw={0: REFUSED_ARGUMENTS}), {"input": {"a": 1}})
    assert result["failure_kind"] == "not_completed" and "validate_certs" in result["msg"]
    assert document(store)["in_flight"] is None and document(store)["record"]["input"] == {"a": 0}
    again = run(store, watching(stand_in, store), {"input": {"a": 1}})
    assert (again["action"], again.get("failed")) == ("update", None)


def test_a_parsed_failure_that_does_not_say_nothing_was_sent_is_unknown(store, run, stand_in):
    """A traceback the module's wrapper turned into a result could come from after the call."""
    traceback = {"failed": True, "msg": "Unexpected failure during module execution: boom", "exception": "..."}
    result = run(store, watching(stand_in, store, raw={0: traceback}), {"input": {"a": 1}})
    assert result["failure_kind"] == "unknown" and document(store)["in_flight"] is not None


def test_replace_keeps_the_finished_delete_half(store, run, stand_in):
    put(store, record({"a": 1}, "old-fn"))
    module = watching(stand_in, store, fail={1: "not_completed"})
    result = run(store, module, {"input": {"a": 1}})
    assert result["changed"] is True and result["action"] == "replace"
    assert "What succeeded before it is stored" in result["msg"]
    between = module.seen[1]  # the module runs once per invocation: progress is stored between them
    assert between["record"] is None and [r["action"] for r in between["in_flight"]["remaining"]] == ["create"]
    assert (document(store)["record"], document(store)["in_flight"]) == (None, None)  # "no record", not "never adopted"
    again = watching(stand_in, store)
    result = run(store, again, {"input": {"a": 1}})
    assert result["action"] == "create" and [json.loads(p)["tf"]["action"] for p in again.payloads()] == ["create"]


def test_a_marker_fails_the_next_run_naming_it_and_check_mode_too(store, run, stand_in):
    run(store, watching(stand_in, store, fail={0: "unknown"}), {"input": {"a": 1}})
    marker = document(store)["in_flight"]
    for check_mode, durable in ((False, None), (True, None), (False, False)):
        module = watching(stand_in, store)
        result = run(store, module, {"input": {"a": 1}, "durable": durable}, check_mode=check_mode)
        assert "an invocation of t on h is in flight" in result["msg"]
        assert "create started 2026-11-29T12:00:00Z by runner@ci-7, ansible-playbook pid 4242" in result["msg"]
        assert "recover=assume_done" in result["msg"] and "recover=retry" in result["msg"]
        assert result["in_flight"]["action"] == "create" and result["invocations"] == []
        # Unless the task says the function is not durable, the module is asked whether it is (recover:
        # auto would look the execution up in Lambda); it is not, so nothing is invoked.
        assert [(call.get("probe"), call["keys"]) for call in module.calls] == (
            [] if durable is False else [([{"function_name": "fn", "qualifier": "$LATEST"}], {})])
        assert document(store)["in_flight"] == marker


def test_recover_assume_done_stores_the_planned_record_without_invoking(store, run, stand_in):
    run(store, watching(stand_in, store, fail={0: "unknown"}), {"input": {"a": 1}})
    module = watching(stand_in, store)
    result = run(store, module, {"input": {"a": 1}, "recover": "assume_done"})
    assert module.calls == [] and (result["changed"], result["action"]) == (True, "create")
    assert result["recovered"]["how"] == "assume_done"
    assert document(store)["in_flight"] is None and document(store)["record"]["input"] == {"a": 1}


def test_recover_retry_sends_what_was_left(store, run, stand_in):
    run(store, watching(stand_in, store, fail={0: "unknown"}), {"input": {"a": 1}})
    module = watching(stand_in, store)
    result = run(store, module, {"input": {"a": 1}, "recover": "retry"})
    assert module.payloads() == [CREATE]
    assert result["changed"] is True and document(store)["in_flight"] is None
    assert result["recovered"]["how"] == "retry" and result["result"] == '{"n":0}'


def test_check_mode_with_recover_only_reports(store, run, stand_in):
    run(store, watching(stand_in, store, fail={0: "unknown"}), {"input": {"a": 1}})
    before = store.read(HOST, "t")
    module = watching(stand_in, store)
    result = run(store, module, {"input": {"a": 1}, "recover": "retry"}, check_mode=True)
    assert result["recovered"]["how"] == "retry" and len(module.calls) == 1
    assert store.read(HOST, "t") == before


def test_absent_deletes_the_document(store, run, stand_in):
    put(store, record({"a": 1}))
    module = watching(stand_in, store)
    result = run(store, module, {"state": "absent"})
    assert result["action"] == "delete" and [json.loads(p)["tf"]["action"] for p in module.payloads()] == ["delete"]
    assert store.read(HOST, "t") is None


def test_forgetting_a_create_only_record_deletes_the_document_without_invoking(store, run, stand_in):
    put(store, record({"a": 1}, scope="CREATE_ONLY"))
    module = watching(stand_in, store)
    result = run(store, module, {"state": "absent", "lifecycle_scope": "CREATE_ONLY"})
    assert (result["action"], result["changed"], module.calls) == ("forget", True, [])
    assert store.read(HOST, "t") is None


def test_adopted_from_the_fact_is_written_without_invoking_and_leaves_the_fact(store, run, stand_in):
    """Defect 6: with a durable store the input is not left in a fact (a 0644 cache file)."""
    module = watching(stand_in, store)
    facts = {fact_name("t"): json.dumps(record({"a": 1}).to_data())}
    result = run(store, module, {"input": {"a": 1}}, facts=facts)
    assert (result["action"], result["adopted_from"], module.calls) == ("none", "fact", [])
    assert document(store)["record"]["input"] == {"a": 1}
    assert result["ansible_facts"] == {fact_name("t"): None}


def test_adopted_from_a_legacy_file_but_not_past_a_null_fact(store, tmp_path, run, stand_in):
    old = {fact_name("t"): json.dumps(record({"a": 1}).to_data())}
    (tmp_path / "ansible_factsh").write_text(json.dumps(old))
    assert legacy_jsonfile_facts(str(tmp_path), "ansible_facts", "h") == old
    result = run(store, watching(stand_in, store), {"input": {"a": 1}}, facts={fact_name("t"): None}, legacy=old)
    assert result["action"] == "create"  # the record was forgotten since: the old file must not bring it back
    store.delete(HOST, "t", store.read(HOST, "t").version)
    result = run(store, watching(stand_in, store), {"input": {"a": 1}}, legacy=old)
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


def test_losing_the_race_to_another_runs_marker_fails_naming_it(tmp_path, run, stand_in):
    marker = {"action": "create", "since": "2026-11-29T11:59:59Z", "remaining": [], "done": [],
              "controller": {"host": "laptop", "user": "ann", "pid": 7}, "record": None, "prior": None}
    store = RacingStore(parse_url("file://%s" % tmp_path), {"v": 1, "nonce": "o", "record": None, "in_flight": marker})
    module = stand_in()
    result = run(store, module, {"input": {"a": 1}})
    assert "another run is invoking t on h right now (create started 2026-11-29T11:59:59Z by ann@laptop" in result["msg"]
    assert module.calls == []


def test_losing_the_race_to_a_finished_run_means_nothing_to_do(tmp_path, run, stand_in):
    done = {"v": 1, "nonce": "o", "record": record({"a": 1}).to_data(), "in_flight": None}
    store = RacingStore(parse_url("file://%s" % tmp_path), done)
    module = stand_in()
    result = run(store, module, {"input": {"a": 1}})
    assert (result["changed"], result["action"], module.calls) == (False, "none", [])


def test_a_write_whose_answer_was_lost_finds_itself(tmp_path, run, stand_in):
    class Retried(FileStore):
        def create(self, host, record_id, document):
            super().create(host, record_id, document)
            raise Conflict("412 on the retried request")

    store = Retried(parse_url("file://%s" % tmp_path))
    assert run(store, stand_in(), {"input": {"a": 1}})["action"] == "create"


def test_a_store_that_refuses_the_marker_fails_before_invoking(tmp_path, run, stand_in):
    class ReadOnly(FileStore):
        def create(self, host, record_id, document):
            raise StoreError("record_store x: access denied for PutObject")

    module = stand_in()
    result = run(ReadOnly(parse_url("file://%s" % tmp_path)), module, {"input": {"a": 1}})
    assert result["msg"] == "record_store x: access denied for PutObject. Nothing was invoked."
    assert module.calls == []


def test_record_result_false_keeps_no_result_in_the_store(store, run, stand_in):
    result = run(store, watching(stand_in, store), {"input": {"a": 1}, "record_result": False})
    assert result["result"] == '{"n":0}'  # the run that invoked returns the response
    assert document(store)["record"]["result"] is None


def test_a_digest_marker_keeps_no_payload_and_retry_plans_again_from_the_task(store, run, stand_in):
    secret = {"password": "hunter2"}
    options = {"lifecycle_scope": "CREATE_ONLY", "record_input": "digest", "input": secret}
    run(store, watching(stand_in, store, fail={0: "unknown"}), options)
    assert "hunter2" not in json.dumps(document(store))  # the marker stays (outcome unknown), without the input
    assert document(store)["in_flight"]["remaining"][0]["payload"] is None
    again = watching(stand_in, store)
    result = run(store, again, dict(options, recover="retry"))
    assert again.payloads() == ['{"password":"hunter2"}'] and result["action"] == "create"
    assert document(store)["in_flight"] is None and "hunter2" not in json.dumps(document(store))


def test_reinvoke_on_reads_the_function_once_before_planning(store, run, stand_in):
    module = watching(stand_in, store, function={"code": "sha-1"})
    run(store, module, {"input": {"a": 1}, "reinvoke_on": ["code"]})
    assert [call["describe"] for call in module.calls] == [["code"], []]
    assert document(store)["record"]["function"] == {"code": "sha-1"}
    module = watching(stand_in, store, function={"code": "sha-2"})
    result = run(store, module, {"input": {"a": 1}, "reinvoke_on": ["code"]})
    assert result["action"] == "replace"


def test_a_function_that_cannot_be_read_fails_before_anything_is_written(store, run, stand_in):
    refused = {"failed": True, "nothing_sent": True, "msg": "function not found by the GetFunctionConfiguration"}
    module = watching(stand_in, store, raw={0: refused})
    result = run(store, module, {"input": {"a": 1}, "reinvoke_on": ["code"]})
    assert result["msg"] == refused["msg"] and store.read(HOST, "t") is None and len(module.calls) == 1


def test_a_durable_store_keeps_the_inputs_key_order_for_prev_input(store, run, stand_in):
    """docs/lifecycle.md, Payload encoding: the input's own key order is kept, in every store."""
    run(store, stand_in(), {"input": {"b": 1, "a": 2}})
    module = stand_in()
    run(store, module, {"input": {"b": 1, "a": 3}})
    assert module.payloads() == ['{"b":1,"a":3,"tf":{"action":"update","prev_input":{"b":1,"a":2}}}']
