# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records without secrets (record_input, record_result), re-invoking on function changes
(reinvoke_on) and asynchronous calls (invocation_type), in the planner."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import function_state
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import InputDigest
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import MAX_ASYNC_PAYLOAD_BYTES
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan

SECRET = "s3cr3t-Pa55word"
F = "fn"


def desired(**overrides: Any):
    params: Dict[str, Any] = {"function_name": F, "input": {"user": "admin", "password": SECRET}}
    params.update(overrides)
    return parse_desired(params, salt=overrides.pop("_salt", None))


def stored_after(p, result='{"token":"%s"}' % SECRET) -> Record:
    """The record a run stores, read back from its fact text as the next run reads it."""
    new = p.with_result(result, "uuid")
    assert new is not None
    record = Record.from_data(json.loads(json.dumps(new.to_data())))
    assert record is not None
    return record


# -- record_input: digest ------------------------------------------------------------------


def test_a_digest_record_keeps_no_input_and_no_result_when_asked():
    p = plan(None, desired(record_input="digest", record_result=False))
    assert p.action == "create"
    data = p.with_result('{"token":"%s"}' % SECRET, "uuid").to_data()
    assert SECRET not in json.dumps(data)
    assert data["input"] is None and data["result"] is None
    assert set(data["input_digest"]) == {"salt", "sha256"}


def test_a_digest_record_does_not_reinvoke_on_the_same_input_in_another_key_order():
    first = stored_after(plan(None, desired(record_input="digest")))
    again = plan(first, desired(record_input="digest", input={"password": SECRET, "user": "admin"}))
    assert (again.action, again.changed, again.invocations) == ("none", False, ())
    as_text = plan(first, desired(record_input="digest", input='{ "password" : "%s", "user": "admin" }' % SECRET))
    assert as_text.action == "none"


def test_a_digest_record_replaces_on_a_changed_value():
    first = stored_after(plan(None, desired(record_input="digest")))
    changed = plan(first, desired(record_input="digest", input={"user": "admin", "password": "other"}))
    assert (changed.action, changed.reason) == ("replace", "input changed")
    assert [i.payload for i in changed.invocations] == [b'{"user":"admin","password":"other"}']


def test_two_hosts_with_the_same_input_get_different_salts_and_digests():
    one = stored_after(plan(None, desired(record_input="digest")))
    two = stored_after(plan(None, desired(record_input="digest")))
    assert one.input_digest.salt != two.input_digest.salt
    assert one.input_digest.sha256 != two.input_digest.sha256
    # each still recognises the input it was made with
    assert one.same_input({"password": SECRET, "user": "admin"}) and two.same_input({"password": SECRET, "user": "admin"})


def test_the_digest_is_a_salted_sha256_of_the_canonical_json():
    import hashlib

    digest = InputDigest.of({"b": 1, "a": [1, "x"]}, "salt")
    assert digest.sha256 == hashlib.sha256(b'salt\n{"a":[1,"x"],"b":1}').hexdigest()


def test_digest_with_crud_is_refused_saying_why():
    with pytest.raises(LifecycleError, match="record_input: digest cannot be used with lifecycle_scope CRUD: CRUD sends the previous input as prev_input"):
        desired(record_input="digest", lifecycle_scope="CRUD")


def test_full_to_digest_rewrites_the_record_without_invoking_and_drops_the_input():
    first = stored_after(plan(None, desired()))
    assert first.input["password"] == SECRET
    moved = plan(first, desired(record_input="digest", record_result=False))
    assert (moved.action, moved.changed, moved.invocations, moved.result) == ("update", True, (), None)
    assert "record_input changed to digest" in moved.reason
    assert SECRET not in json.dumps(moved.with_result(moved.result).to_data())
    back = plan(stored_after(moved, None), desired())
    assert (back.action, back.invocations) == ("update", ())
    assert back.record.input == {"user": "admin", "password": SECRET}


def test_a_digest_record_moving_to_crud_starts_with_create():
    first = stored_after(plan(None, desired(record_input="digest")))
    p = plan(first, desired(lifecycle_scope="CRUD"))
    assert p.action == "replace"
    assert [i.action for i in p.invocations] == ["create"]  # CREATE_ONLY old side: nothing to delete
    assert b'"prev_input":null' in p.invocations[0].payload


def test_the_diff_shows_the_stored_side_is_a_digest_never_the_input():
    first = stored_after(plan(None, desired(record_input="digest")))
    same = plan(first, desired(record_input="digest"))
    changed = plan(first, desired(record_input="digest", input={"password": "new-" + SECRET}))
    for p in (same, changed):
        text = json.dumps(p.diff)
        assert SECRET not in text
        assert "record_input: digest; the input itself is not stored" in p.diff["before"]["input"]
        assert p.diff["before"]["input"].startswith("salted SHA-256 " + first.input_digest.sha256)
    assert same.diff["after"]["input"] == same.diff["before"]["input"]
    assert changed.diff["after"]["input"] != changed.diff["before"]["input"]


def test_an_unreadable_input_digest_is_refused():
    fact = stored_after(plan(None, desired(record_input="digest"))).to_data()
    fact["input_digest"] = "abc"
    with pytest.raises(LifecycleError, match="unreadable.*input_digest"):
        Record.from_data(json.dumps(fact))


# -- record_result: false ----------------------------------------------------------------------


def test_record_result_false_stores_no_result_and_a_no_change_run_returns_null():
    first = plan(None, desired(record_result=False))
    kept = stored_after(first)
    assert kept.result is None
    again = plan(kept, desired(record_result=False))
    assert (again.action, again.result) == ("none", None)


def test_record_result_false_drops_a_stored_result_without_invoking():
    kept = stored_after(plan(None, desired()))
    assert kept.result is not None
    p = plan(kept, desired(record_result=False))
    assert (p.action, p.invocations, p.result) == ("update", (), None)
    assert p.with_result(p.result).result is None


# -- reinvoke_on ---------------------------------------------------------------------------------

CONFIG = {
    "CodeSha256": "abc=", "Runtime": "python3.12", "Handler": "index.handler", "MemorySize": 128, "Timeout": 3,
    "Environment": {"Variables": {"A": "1"}}, "Layers": [{"Arn": "arn:aws:lambda:us-east-1:1:layer:x:1", "CodeSize": 9}],
    "Role": "arn:aws:iam::123456789012:role/r", "Architectures": ["x86_64"], "LastModified": "2026-01-01",
}


def test_function_state_holds_the_code_sha_and_a_digest_of_the_configuration_only():
    state = function_state(CONFIG, ["code", "configuration"])
    assert state["code"] == "abc="
    assert len(state["configuration"]) == 64 and "1" not in json.dumps(state).replace(state["configuration"], "")
    assert function_state(CONFIG, ["code"]) == {"code": "abc="}
    # what does not count: LastModified, a layer's size
    other = dict(CONFIG, LastModified="2027-01-01", Layers=[{"Arn": CONFIG["Layers"][0]["Arn"], "CodeSize": 1}])
    assert function_state(other, ["configuration"]) == function_state(CONFIG, ["configuration"])


@pytest.mark.parametrize("change", [
    {"Runtime": "python3.13"}, {"Handler": "x.y"}, {"MemorySize": 256}, {"Timeout": 4},
    {"Environment": {"Variables": {"A": "2"}}}, {"Layers": []}, {"Role": "arn:aws:iam::123456789012:role/q"},
    {"Architectures": ["arm64"]},
])
def test_each_configuration_part_changes_the_digest(change):
    assert function_state(dict(CONFIG, **change), ["configuration"]) != function_state(CONFIG, ["configuration"])


def with_function(config, **options):
    d = desired(reinvoke_on=["code"], **options)
    return d.with_function(function_state(config, d.reinvoke_on))


def test_a_code_change_replaces_like_a_trigger_and_crud_deletes_then_creates():
    first = stored_after(plan(None, with_function(CONFIG, lifecycle_scope="CRUD")))
    assert first.function == {"code": "abc="}
    same = plan(first, with_function(CONFIG, lifecycle_scope="CRUD"))
    assert (same.action, same.invocations) == ("none", ())
    moved = plan(first, with_function(dict(CONFIG, CodeSha256="def="), lifecycle_scope="CRUD"))
    assert (moved.action, moved.reason) == ("replace", "function code changed (reinvoke_on)")
    assert [i.action for i in moved.invocations] == ["delete", "create"]
    assert moved.record.function == {"code": "def="}


def test_a_configuration_change_replaces_and_a_code_change_alone_does_not_when_not_asked():
    d = desired(reinvoke_on=["configuration"])
    first = stored_after(plan(None, d.with_function(function_state(CONFIG, d.reinvoke_on))))
    new_code = dict(CONFIG, CodeSha256="def=")
    assert plan(first, d.with_function(function_state(new_code, d.reinvoke_on))).action == "none"
    new_env = dict(CONFIG, Environment={"Variables": {"A": "2"}})
    p = plan(first, d.with_function(function_state(new_env, d.reinvoke_on)))
    assert (p.action, p.reason) == ("replace", "function configuration changed (reinvoke_on)")


def test_adding_or_removing_reinvoke_on_only_rewrites_the_record():
    plain = stored_after(plan(None, desired()))
    added = plan(plain, with_function(CONFIG))
    assert (added.action, added.invocations) == ("update", ())
    assert added.record.function == {"code": "abc="}
    removed = plan(stored_after(added), desired())
    assert (removed.action, removed.invocations, removed.record.function) == ("update", (), {})


def test_the_function_state_is_read_only_for_state_present():
    assert desired(reinvoke_on=["code"]).needs_function
    assert not desired(reinvoke_on=["code"], state="absent").needs_function
    assert not desired(reinvoke_on=["code"], state="forgotten").needs_function
    assert not desired().needs_function


def test_an_unreadable_function_entry_is_refused():
    fact = stored_after(plan(None, with_function(CONFIG))).to_data()
    fact["function"] = {"code": 1}
    with pytest.raises(LifecycleError, match="unreadable"):
        Record.from_data(json.dumps(fact))


def test_records_without_the_new_fields_are_written_as_before():
    fact = stored_after(plan(None, desired())).to_data()
    assert "input_digest" not in fact and "function" not in fact


# -- invocation_type: Event ------------------------------------------------------------------------


def test_event_payloads_are_those_of_request_response():
    for scope in ("CREATE_ONLY", "CRUD"):
        sync = plan(None, desired(lifecycle_scope=scope))
        queued = plan(None, desired(lifecycle_scope=scope, invocation_type="Event"))
        assert [i.payload for i in queued.invocations] == [i.payload for i in sync.invocations]


def test_event_payload_over_the_asynchronous_limit_is_refused_before_anything_is_invoked():
    assert MAX_ASYNC_PAYLOAD_BYTES == 1048576
    fits = {"x": "a" * (MAX_ASYNC_PAYLOAD_BYTES - len('{"x":""}'))}
    assert len(plan(None, desired(input=fits, invocation_type="Event")).invocations[0].payload) == MAX_ASYNC_PAYLOAD_BYTES
    over = {"x": "a" * (MAX_ASYNC_PAYLOAD_BYTES - len('{"x":""}') + 1)}
    with pytest.raises(LifecycleError, match=r"over Lambda's asynchronous limit of 1048576 bytes \(invocation_type: Event\)"):
        plan(None, desired(input=over, invocation_type="Event"))
    assert plan(None, desired(input=over)).action == "create"  # synchronously it fits


def test_tail_log_with_event_is_refused():
    with pytest.raises(LifecycleError, match="tail_log cannot be used with invocation_type: Event"):
        desired(invocation_type="Event", tail_log=True)


def test_a_digest_record_keeps_its_salt_when_only_the_record_changes():
    first = stored_after(plan(None, desired(record_input="digest")))
    p = plan(Record.from_data(first.to_data()), desired(record_input="digest", record_result=False))
    assert (p.action, p.invocations) == ("update", ())
    assert p.record.input_digest == first.input_digest
    replaced = plan(Record.from_data(first.to_data()), desired(record_input="digest", triggers={"t": "2"}))
    assert replaced.action == "replace"
    assert replaced.record.same_input({"user": "admin", "password": SECRET})


def test_an_adopted_terraform_record_is_rewritten_without_invoking_for_digest_and_reinvoke_on():
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan_adopted

    terraform = Record(Target(F), "CREATE_ONLY", "tf", {}, {"user": "admin", "password": SECRET}, '"ok"')
    digest = plan_adopted(terraform, desired(record_input="digest"))
    assert (digest.action, digest.invocations) == ("update", ())
    assert SECRET not in json.dumps(digest.with_result(digest.result).to_data())
    watched = plan_adopted(terraform, with_function(CONFIG))
    assert (watched.action, watched.invocations, watched.record.function) == ("update", (), {"code": "abc="})
