# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exactly once (docs/lifecycle.md): idempotency keys per transition, recover: auto asking Lambda
about a durable function's executions, and the options' checks."""

from __future__ import annotations

import json
import re
from typing import Any, Dict

import pytest

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import idempotency_key
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan

HOST = "h"
CREATE = '{"a":1,"tf":{"action":"create","prev_input":null}}'


def desired(**options: Any):
    return parse_desired(dict({"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD", "input": {"a": 1}}, **options))


def document(store, record_id: str = "t") -> Dict[str, Any]:
    found = store.read(HOST, record_id)
    return found.document if found else None


# -- the key -------------------------------------------------------------------------------------


def test_the_key_is_printable_stable_per_transition_and_new_for_the_next():
    key = idempotency_key("t[acme]", "create", "serial-1")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", key) and key.startswith("create-")
    assert key == idempotency_key("t[acme]", "create", "serial-1")
    assert key != idempotency_key("t[acme]", "create", "serial-2")  # the next transition
    assert key != idempotency_key("t[globex]", "create", "serial-1")  # another key of the for_each
    assert key != idempotency_key("t[acme]", "update", "serial-1")
    from dataclasses import replace
    keyed = plan(None, replace(desired(), serial="serial-1")).invocations[0]
    assert keyed.key == idempotency_key("t", "create", "serial-1")


def test_without_the_option_the_payload_is_terraforms_byte_for_byte():
    from dataclasses import replace
    p = plan(None, replace(desired(), serial="s"))
    assert p.invocations[0].payload == CREATE.encode()
    with_key = plan(None, replace(desired(idempotency_key=True), serial="s")).invocations[0]
    assert json.loads(with_key.payload)["tf"] == {"action": "create", "prev_input": None,
                                                  "idempotency_key": idempotency_key("t", "create", "s")}


@pytest.mark.parametrize("options, message", [
    ({"idempotency_key": True, "lifecycle_scope": "CREATE_ONLY"}, "idempotency_key: true needs lifecycle_scope CRUD"),
    ({"expect_result": {"ok": True}, "invocation_type": "Event"}, "expect_result cannot be used with invocation_type: Event"),
])
def test_bad_options_are_refused_naming_them(options, message):
    with pytest.raises(LifecycleError, match=message):
        desired(**options)


# -- through the runner ------------------------------------------------------------------------


def test_a_retry_sends_the_same_keys_and_the_next_transition_new_ones(store, run, stand_in):
    run(store, stand_in(fail={0: "unknown"}), {"input": {"a": 1}, "idempotency_key": True, "durable": False})
    marker = document(store)["in_flight"]
    first = marker["remaining"][0]["idempotency_key"]
    assert marker["serial"] and json.loads(marker["remaining"][0]["payload"])["tf"]["idempotency_key"] == first
    retry = stand_in()
    run(store, retry, {"input": {"a": 1}, "idempotency_key": True, "recover": "retry"})
    assert retry.names() == [first] and json.loads(retry.payloads()[0])["tf"]["idempotency_key"] == first
    update = stand_in()
    run(store, update, {"input": {"a": 2}, "idempotency_key": True})
    assert update.names()[0].startswith("update-") and update.names()[0] != first


def test_a_digest_retry_plans_again_with_the_markers_serial(store, run, stand_in):
    options = {"lifecycle_scope": "CREATE_ONLY", "record_input": "digest", "input": {"pw": "x"}}
    run(store, stand_in(fail={0: "unknown"}), options)
    key = document(store)["in_flight"]["remaining"][0]["idempotency_key"]
    retry = stand_in()
    run(store, retry, dict(options, recover="retry"))
    assert retry.names() == [key]


def test_auto_asks_lambda_and_records_a_succeeded_execution_without_invoking(store, run, stand_in):
    run(store, stand_in(fail={0: "unknown"}), {"input": {"a": 1}})
    key = document(store)["in_flight"]["remaining"][0]["idempotency_key"]
    lambda_ = stand_in(durable=True, executions={key: {"Status": "SUCCEEDED", "Result": '{"first":true}'}})
    result = run(store, lambda_, {"input": {"a": 1}})
    assert result.get("failed") is None, result.get("msg")
    assert [entry.get("lookup") for call in lambda_.calls for e in call["keys"].values() for entry in e] == [True]
    assert result["recovered"]["how"] == "lambda" and result["recovered"]["found"] == ["SUCCEEDED"]
    assert "recovered from Lambda" in result["msg"] and "had succeeded" in result["msg"]
    assert result["result_json"] == {"first": True}
    assert document(store)["record"]["result"] == '{"first":true}' and document(store)["in_flight"] is None


def test_auto_on_a_failed_execution_fails_as_a_function_error_and_removes_the_marker(store, run, stand_in):
    run(store, stand_in(fail={0: "unknown"}), {"input": {"a": 1}})
    key = document(store)["in_flight"]["remaining"][0]["idempotency_key"]
    result = run(store, stand_in(durable=True, executions={key: {"Status": "FAILED"}}), {"input": {"a": 1}})
    assert result["failed"] is True and result["failure_kind"] == "function_error"
    assert (document(store)["record"], document(store)["in_flight"]) == (None, None)  # the next run invokes again
    again = stand_in(durable=True)
    run(store, again, {"input": {"a": 1}})
    assert again.names()[0] != key


def test_auto_on_a_function_that_is_not_durable_refuses_and_leaves_the_marker_as_it_was(store, run, stand_in):
    run(store, stand_in(fail={0: "unknown"}), {"input": {"a": 1}})
    before = store.read(HOST, "t")
    module = stand_in(durable=False)
    result = run(store, module, {"input": {"a": 1}})
    assert result["failed"] is True and "is in flight" in result["msg"] and "recover=retry" in result["msg"]
    # It asked which functions are durable, and nothing else: the marker may be a run's still going,
    # whose write of its outcome must find the document as it left it.
    assert [call["probe"] for call in module.calls] == [[{"function_name": "fn", "qualifier": "$LATEST"}]]
    assert module.payloads() == []
    after = store.read(HOST, "t")
    assert (after.document, after.version) == (before.document, before.version)
    declared = stand_in()
    result = run(store, declared, {"input": {"a": 1}, "durable": False})
    assert "is in flight" in result["msg"] and declared.calls == []  # durable: false: no need to ask


def test_for_each_auto_recovers_every_key_from_lambda(store, run, stand_in):
    keys = {"k%d" % n: {"n": n} for n in range(3)}
    run(store, stand_in(fail={0: "unknown"}), {"for_each": keys})
    names = {k: document(store, "t[%s]" % k)["in_flight"]["remaining"][0]["idempotency_key"] for k in keys}
    executions = {names["k0"]: {"Status": "SUCCEEDED", "Result": '"zero"'}}  # k1, k2: never started
    module = stand_in(durable=True, executions=executions)
    result = run(store, module, {"for_each": keys})
    assert result.get("failed") is None, result.get("msg")
    assert result["recovered_keys"] == {k: "lambda" for k in keys}
    assert sorted(module.names()) == sorted(names.values())  # the same names: Lambda de-duplicates
    assert document(store, "t[k0]")["record"]["result"] == '"zero"'
