# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 19: exactly once, even across a crash. Durable functions recovered from Lambda after a
`kill -9`, idempotency keys that a retry keeps, safe retries of the errors after which the function
did not run, and expect_result; against the local endpoint's durable functions and injected faults."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from lambda_e2e import Store, item_args, kill, local_lambda, newest_core_only, process_tree, wait_for

pytestmark = newest_core_only

DID_NOT_RUN = ["TooManyRequestsException", "ResourceConflictException", "ResourceNotReadyException",
               "EC2ThrottledException", "ENINotReadyException", "SnapStartNotReadyException",
               "SnapStartRegenerationFailureException", "EFSMountTimeoutException",
               "CodeArtifactUserPendingException", "CodeArtifactUserDeletedException"]
MAY_HAVE_RUN = ["ServiceException", "EFSIOException"]


def _events(fn) -> List[Dict[str, Any]]:
    return [json.loads(e) for e in fn.events()]


def _crud(fn, value: Dict[str, Any], **options: Any) -> List[Dict[str, Any]]:
    return [item_args(fn, id="once", lifecycle_scope="CRUD", input=value, **options)]


def _kill_when(ansible, store: Store, entry: List[Dict[str, Any]], ready) -> None:
    pending = ansible.start(invocations=entry, env=store.env)
    try:
        wait_for(ready, "the moment to kill")
        kill(process_tree(pending.process.pid))  # the whole controller: ansible-playbook, its workers, the module
        pending.process.wait()
    finally:
        pending.stop()


# -- a durable function, recovered from Lambda ----------------------------------------------------


@pytest.mark.parametrize("when", ["running", "finished"])
def test_a_durable_function_killed_in_flight_runs_once_and_is_recovered_from_lambda(functions, ansible, store, endpoint, when):
    """The controller is killed while the handler runs, or after it finished but before the answer came
    back (the endpoint holds it 30 s); one plain run later records the first execution's result."""
    fn = functions.deploy("durable", durable=True, SLEEP_SECONDS="2" if when == "running" else "0")
    if when == "finished":
        local_lambda.delay_next_answers(endpoint, fn.name, 30)
    value = {"tenant": "acme"}
    ready = (lambda: len(_events(fn)) == 1) if when == "running" else (lambda: fn.finished() == 1)
    _kill_when(ansible, store, _crud(fn, value), ready)
    assert store.document("once")["in_flight"]["action"] == "create"
    wait_for(lambda: fn.finished() == 1, "the first execution to end")
    [first] = [e for e in local_lambda.durable_executions(endpoint) if fn.name in e["FunctionArn"]]
    assert first["Status"] == "SUCCEEDED"
    local_lambda.clear_faults(endpoint)

    run = ansible.run(invocations=_crud(fn, value), env=store.env)
    item = run.item()
    assert run.rc == 0 and not item.get("failed"), run.output
    assert fn.handler_runs() == 1 and len(_events(fn)) == 1  # the handler ran exactly once, in all
    assert item["recovered"]["how"] == "lambda" and item["recovered"]["found"] == ["SUCCEEDED"]
    assert "recovered from Lambda" in item["msg"] and "had succeeded" in item["msg"]
    assert item["result"] == first["Result"] and store.record("once")["result"] == first["Result"]
    assert store.document("once")["in_flight"] is None
    again = ansible.run(invocations=_crud(fn, value), env=store.env).item()
    assert (again["changed"], again["action"], fn.handler_runs()) == (False, "none", 1)


def test_a_durable_function_is_invoked_by_name_and_a_new_transition_gets_a_new_one(functions, ansible, file_store, endpoint):
    fn = functions.deploy("durable", durable=True)
    created = ansible.run(invocations=_crud(fn, {"n": 1}), env=file_store.env).item()
    updated = ansible.run(invocations=_crud(fn, {"n": 2}), env=file_store.env).item()
    names = [e["DurableExecutionName"] for e in local_lambda.durable_executions(endpoint) if fn.name in e["FunctionArn"]]
    assert sorted(names) == sorted([created["invocations"][0]["idempotency_key"], updated["invocations"][0]["idempotency_key"]])
    assert names[0] != names[1] and fn.handler_runs() == 2


# -- idempotency_key for any function ---------------------------------------------------------------


def test_idempotency_key_is_the_same_for_a_retry_and_new_for_the_next_update(functions, ansible, file_store):
    fn = functions.deploy("slow", SLEEP_SECONDS="2")
    _kill_when(ansible, file_store, _crud(fn, {"n": 1}, idempotency_key=True), lambda: len(_events(fn)) == 1)
    wait_for(lambda: fn.finished() == 1, "the killed run's handler to finish")
    retried = ansible.run(invocations=_crud(fn, {"n": 1}, idempotency_key=True, recover="retry"), env=file_store.env)
    assert retried.rc == 0, retried.output
    first, second = _events(fn)
    assert first == second and first["tf"]["idempotency_key"].startswith("create-")  # the function can tell
    ansible.run(invocations=_crud(fn, {"n": 2}, idempotency_key=True), env=file_store.env)
    update = _events(fn)[2]["tf"]
    assert update["action"] == "update" and update["idempotency_key"] not in (first["tf"]["idempotency_key"],)
    plain = ansible.run(invocations=_crud(fn, {"n": 3}), env=file_store.env).item()  # without the option
    assert plain["invocations"][0]["payload"] == json.dumps(
        {"n": 3, "tf": {"action": "update", "prev_input": {"n": 2}}}, separators=(",", ":"))


# -- safe retries --------------------------------------------------------------------------------------


def test_every_did_not_run_error_is_retried_and_the_function_runs_once(functions, ansible, file_store, endpoint):
    """One for_each key per error code: each key's first Invoke is answered with one of them before the
    handler runs (the endpoint counts Invoke requests and handler runs apart)."""
    fn = functions.deploy("retried")
    for code in DID_NOT_RUN:
        local_lambda.fail_next_invokes(endpoint, fn.name, code, when="before")
    keys = {code: {"code": code} for code in DID_NOT_RUN}
    run = ansible.run(invocations=[item_args(fn, id="codes", for_each=keys, max_concurrency=len(keys))],
                      env=file_store.env)
    assert run.rc == 0 and not run.item().get("failed"), run.output
    assert local_lambda.pending_faults(endpoint) == []  # every code was answered once
    assert fn.handler_runs() == len(DID_NOT_RUN) and sorted(e["code"] for e in _events(fn)) == sorted(DID_NOT_RUN)
    assert fn.counts()["RequestResponse"] == 2 * len(DID_NOT_RUN)


@pytest.mark.parametrize("code", MAY_HAVE_RUN)
def test_a_may_have_run_error_is_never_resent_and_keeps_the_marker(functions, ansible, file_store, endpoint, code):
    fn = functions.deploy("maybe")
    local_lambda.fail_next_invokes(endpoint, fn.name, code, when="after")  # the handler ran, then the error
    item = ansible.run(invocations=_crud(fn, {"n": 1}), env=file_store.env).item()
    assert item["failed"] is True and item["failure_kind"] == "unknown"
    assert code in item["msg"] and "the function may have run, so it was not sent again" in item["msg"]
    assert "the in-flight marker at" in item["msg"] and file_store.document("once")["in_flight"]["action"] == "create"
    assert fn.counts()["RequestResponse"] == 1 and fn.handler_runs() == 1


# -- expect_result -----------------------------------------------------------------------------------


def test_expect_result_not_met_fails_keeps_the_record_and_the_next_run_invokes_again(functions, ansible, file_store):
    fn = functions.deploy("judged", LABEL="pending")
    expect = {"label": "ready", "received": {"n": 1}}
    failed = ansible.run(invocations=_crud(fn, {"n": 1}, expect_result=expect), env=file_store.env).item()
    assert failed["failed"] is True and failed["failure_kind"] == "function_error"
    assert 'does not meet expect_result: label is "pending", not "ready"' in failed["msg"]
    assert file_store.document("once") is None  # no record, no marker: the next run tries again
    fn.publish("ready")  # the function is fixed
    met = ansible.run(invocations=_crud(fn, {"n": 1}, expect_result=expect), env=file_store.env).item()
    assert (bool(met.get("failed")), met["action"]) == (False, "create")
    assert file_store.record("once")["input"] == {"n": 1} and len(_events(fn)) == 2


def test_expect_result_applies_to_each_for_each_key(functions, ansible, file_store):
    fn = functions.deploy("judged")
    keys = {"a": {"ok": True}, "b": {"ok": False}}
    run = ansible.run(invocations=[item_args(fn, id="each", for_each=keys, expect_result={"received": {"ok": True}})],
                      env=file_store.env).item()
    assert sorted(run["failed_keys"]) == ["b"] and "received.ok is false, not true" in run["failed_keys"]["b"]
    assert file_store.record("each[a]") is not None and file_store.document("each[b]") is None
