# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""for_each through the one driver: one record per key (ID[KEY]), markers before the module runs,
each key's outcome written after it, recover on every key that holds a marker, Terraform adoption
per key and reinvoke_on for the task (docs/lifecycle.md, "for_each")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import key_id
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import key_of
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_task
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore

HOST = "h"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "terraform"


def doc(store, key: str) -> Any:
    stored = store.read(HOST, key_id("t", key))
    return stored.document if stored else None


def markers(store, keys):
    return lambda: {key: (doc(store, key) or {}).get("in_flight") for key in keys}


def each(store, keys, **options: Any) -> Dict[str, Any]:
    return dict({"for_each": {k: {"n": i} for i, k in enumerate(keys)}}, **options)


def test_key_ids_are_id_then_key_in_brackets():
    assert key_id("t", "a b") == "t[a b]"
    assert key_of("t", "t[a b]") == "a b"
    assert key_of("t", "t2[a]") is None
    assert key_of("t", "t") is None
    assert key_of("t", "t[]") is None


@pytest.mark.parametrize("extra, message", [
    ({"for_each": {"a": {}}, "input": {"x": 1}}, "for_each and input are mutually exclusive"),
    ({"for_each": {1: {}}}, "for_each key 1 is not a string (a int)"),
    ({"for_each": {"a": {}, "b": [1]}}, "for_each key 'b': input must be a JSON object"),
    ({"for_each": {"a": None}}, "for_each key 'a' has no input"),
    ({"for_each": {"a": {}}, "max_concurrency": 0}, "max_concurrency must be"),
])
def test_bad_input_names_the_key(extra, message):
    with pytest.raises(LifecycleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_task(dict({"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD"}, **extra))


def test_markers_before_the_run_records_after_failed_keys_left_to_retry(store, run, stand_in):
    keys = "abcde"
    module = stand_in(markers(store, keys), fail={(0, "b"): "not_completed", (0, "d"): "unknown"})
    outcome = run(store, module, each(store, keys))
    assert outcome["failed"] is True and sorted(outcome["failed_keys"]) == ["b", "d"]
    assert "'b': boom" in outcome["msg"] and "'d': boom" in outcome["msg"]
    assert all(marker["action"] == "create" for marker in module.seen[0].values())  # every key, before it ran
    assert doc(store, "a")["record"]["input"] == {"n": 0} and doc(store, "a")["record"]["id"] == "t[a]"
    assert doc(store, "a")["in_flight"] is None
    assert doc(store, "b") is None  # surely not run: no record, no marker
    assert doc(store, "d")["in_flight"]["action"] == "create"  # may have run: the marker stays
    assert outcome["results"]["a"]["result_json"] == {"n": 0}

    store.delete(HOST, "t[d]", store.read(HOST, "t[d]").version)  # the user checked the function's side
    again_module = stand_in(markers(store, keys))
    again = run(store, again_module, each(store, keys))
    assert "failed" not in again and again_module.keys() == [["b", "d"]]
    assert {k: v for k, v in again["actions"].items() if v != "none"} == {"b": "create", "d": "create"}


def test_removed_keys_are_deleted_with_their_stored_input_and_nothing_to_do_runs_nothing(store, run, stand_in):
    module = stand_in()
    run(store, module, {"for_each": {"a": {"n": 1}, "b": {"n": 2}}})
    same = run(store, module, {"for_each": {"a": {"n": 1}, "b": {"n": 2}}})
    assert len(module.calls) == 1 and same["changed"] is False
    removed = run(store, module, {"for_each": {"a": {"n": 1}}})
    assert removed["actions"] == {"a": "none", "b": "delete"}
    [[deleted]] = module.calls[-1]["keys"].values()
    assert list(module.calls[-1]["keys"]) == ["b"] and deleted.pop("idempotency_key").startswith("delete-")
    assert deleted == {
        "action": "delete", "function_name": "fn", "qualifier": "$LATEST", "tenant_id": None,
        "payload": json.dumps({"n": 2, "tf": {"action": "delete", "prev_input": {"n": 2}}}, separators=(",", ":"))}
    assert doc(store, "b") is None
    gone = run(store, module, {"state": "absent"})
    assert gone["actions"] == {"a": "delete"} and store.ids(HOST) == []


def test_markers_on_keys_stop_the_task_listing_every_one(store, run, stand_in):
    run(store, stand_in(fail={0: "unknown"}), each(store, "abc"))
    module = stand_in()
    result = run(store, module, each(store, "abcd", durable=False))
    assert module.calls == [] and result["failed"] is True
    assert "3 for_each key(s) of t on h have an invocation in flight" in result["msg"]
    assert all("'%s' at %s" % (k, store.where(HOST, key_id("t", k))) in result["msg"] for k in "abc")
    assert sorted(result["in_flight"]) == ["a", "b", "c"]


@pytest.mark.parametrize("how", ["retry", "assume_done"])
def test_recover_applies_to_every_key_that_holds_a_marker(store, how, run, stand_in):
    """Before, recover was silently ignored with for_each; now it is a for_each key's as a record's."""
    run(store, stand_in(fail={(0, "a"): "unknown", (0, "c"): "unknown"}), each(store, "abc"))
    module = stand_in()
    result = run(store, module, each(store, "abcd", recover=how))
    assert "failed" not in result, result.get("msg")
    sent = sorted(json.loads(p)["n"] for p in module.payloads())
    assert sent == ([0, 2, 3] if how == "retry" else [3])  # 'b' succeeded before: never sent again
    assert all(doc(store, k)["in_flight"] is None and doc(store, k)["record"] for k in "abcd")
    assert result["recovered_keys"] == {"a": how, "c": how}


def test_a_module_that_died_keeps_every_key_marked(store, run, stand_in):
    died = {"failed": True, "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error", "rc": 137,
            "module_stdout": "", "module_stderr": ""}
    result = run(store, stand_in(raw={0: died}), each(store, "abcd"))
    assert sorted(result["failed_keys"]) == ["a", "b", "c", "d"]
    assert all("whether the function ran is not known" in text for text in result["failed_keys"].values())
    assert all(doc(store, k)["in_flight"]["action"] == "create" for k in "abcd")


def test_a_module_that_sent_nothing_removes_every_marker(store, run, stand_in):
    refused = {"failed": True, "nothing_sent": True, "msg": "no AWS region is set"}
    result = run(store, stand_in(raw={0: refused}), each(store, "ab"))
    assert sorted(result["failed_keys"]) == ["a", "b"] and store.ids(HOST) == []


def test_an_input_too_large_names_its_key_before_anything_is_written(store, run, stand_in):
    module = stand_in()
    result = run(store, module, {"for_each": {"a": {"n": 1}, "big": {"s": "x" * 6291456}}})
    assert "for_each key 'big': input is too large" in result["msg"]
    assert module.calls == [] and store.ids(HOST) == []


def test_record_result_false_and_a_digest_keep_response_and_input_out_of_the_store(store, run, stand_in):
    module = stand_in(fail={(0, "b"): "unknown"})
    outcome = run(store, module, {"for_each": {"a": {"pw": "s3cret"}, "b": {"pw": "s3cret"}},
                                  "lifecycle_scope": "CREATE_ONLY", "record_input": "digest", "record_result": False})
    assert outcome["results"]["a"]["result_json"] == {"n": 0}  # returned by the run that invoked
    stored = doc(store, "a")["record"]
    assert stored["result"] is None and stored["input"] is None and "input_digest" in stored
    assert doc(store, "b")["in_flight"]["remaining"][0]["payload"] is None  # the marker that stays
    assert "s3cret" not in json.dumps([doc(store, "a"), doc(store, "b")])


def test_reinvoke_on_reads_the_function_once_for_every_key(store, run, stand_in):
    module = stand_in(function={"code": "sha-1"})
    run(store, module, each(store, "abc", reinvoke_on=["code"]))
    assert [call["describe"] for call in module.calls] == [["code"], []]
    assert all(doc(store, k)["record"]["function"] == {"code": "sha-1"} for k in "abc")
    changed = stand_in(function={"code": "sha-2"})
    result = run(store, changed, each(store, "abc", reinvoke_on=["code"]))
    assert result["actions"] == {k: "replace" for k in "abc"} and changed.calls[0]["describe"] == ["code"]


def test_terraform_for_each_instances_are_adopted_as_keys(store, tmp_path, run, stand_in):
    state = json.loads((FIXTURES / "terraform-1.9-aws-6.25.tfstate").read_text())
    for resource in state["resources"]:
        for instance in resource["instances"]:
            instance["attributes"]["tenant_id"] = None  # a task's keys share its tenant_id
    path = tmp_path / "tenants.tfstate"
    path.write_text(json.dumps(state))
    module = stand_in()
    options = {"function_name": "tenant-provisioner", "terraform_state": str(path),
               "terraform_address": "aws_lambda_invocation.tenant",
               "for_each": {"acme": {"plan": "gold", "tenant": "acme"}, "globex": {"plan": "gold", "tenant": "globex"},
                            "initech": {"plan": "bronze", "tenant": "initech"}}}
    result = run(store, module, options)
    assert result["actions"] == {"acme": "adopt", "globex": "update", "initech": "create"}, result.get("msg")
    sent = {json.loads(p)["tenant"]: json.loads(p)["tf"] for p in module.payloads()}
    assert sent == {"globex": {"action": "update", "prev_input": {"plan": "silver", "tenant": "globex"}},
                    "initech": {"action": "create", "prev_input": None}}  # what terraform apply would send next
    assert doc(store, "acme")["record"]["result"] == '{"ok":true}'


def test_terraform_count_instances_are_adopted_by_index(store, run, stand_in):
    module = stand_in()
    options = {"function_name": "arn:aws:lambda:us-east-1:123456789012:function:db-migrate", "qualifier": "7",
               "terraform_key": "lifecycle", "terraform_state": str(FIXTURES / "terraform-1.9-aws-6.25.tfstate"),
               "terraform_address": "module.db.aws_lambda_invocation.migrate",
               "for_each": {"0": {"step": 1, "big": 9007199254740993}, "1": {"step": 2}}}
    result = run(store, module, options)
    assert result["actions"] == {"0": "adopt", "1": "adopt"}, result.get("msg")
    assert module.calls == [] and doc(store, "0")["record"]["key"] == "lifecycle"


def test_an_indexed_address_with_for_each_is_refused(store, run, stand_in):
    options = {"function_name": "tenant-provisioner", "terraform_state": str(FIXTURES / "terraform-1.9-aws-6.25.tfstate"),
               "terraform_address": 'aws_lambda_invocation.tenant["acme"]', "for_each": {"acme": {"tenant": "acme"}}}
    result = run(store, stand_in(), options)
    assert "with for_each give the resource without an index (aws_lambda_invocation.tenant)" in result["msg"]


def test_with_facts_every_key_shares_one_fact(run, stand_in):
    """Defect 5: the keys of one id are one fact, whatever their number."""
    store = FactsStore(parse_url("facts"), HOST, {}, "uuid-1")
    result = run(store, stand_in(), each(store, ["k%03d" % n for n in range(300)]))
    assert len(result["ansible_facts"]) == 1
    value = json.loads(next(iter(result["ansible_facts"].values())))
    assert value["id"] == "t" and len(value["keys"]) == 300


def test_with_facts_a_failed_key_sets_no_fact_and_warns(run, stand_in):
    store = FactsStore(parse_url("facts"), HOST, {}, "uuid-1")
    result = run(store, stand_in(fail={(0, "b"): "not_completed"}), each(store, "ab"))
    assert result["failed"] is True and "ansible_facts" not in result
    assert any("Ansible drops the facts of a failed task" in w for w in result["warnings"])


def test_keys_recorded_one_fact_per_key_before_0_2_0_are_moved_without_invoking(run, stand_in):
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import KEYS_PREFIX, fact_name

    first = FactsStore(parse_url("facts"), HOST, {}, "uuid-1")
    created = run(first, stand_in(), each(first, "ab"))
    keys = json.loads(created["ansible_facts"][fact_name("t", KEYS_PREFIX)])["keys"]
    old_layout = {fact_name("t[%s]" % k): json.dumps(v) for k, v in keys.items()}
    store = FactsStore(parse_url("facts"), HOST, old_layout, "uuid-2")
    module = stand_in()
    result = run(store, module, each(store, "ab"), uuid="uuid-2")
    assert module.calls == [] and result["changed"] is False
    removed = run(FactsStore(parse_url("facts"), HOST, old_layout, "uuid-3"), module, each(store, "a"), uuid="uuid-3")
    assert removed["actions"] == {"a": "none", "b": "delete"}  # the old facts were found as keys
    facts = removed["ansible_facts"]
    assert facts[fact_name("t[b]")] is None and facts[fact_name("t[a]")] is None  # moved
    assert list(json.loads(facts[fact_name("t", KEYS_PREFIX)])["keys"]) == ["a"]


def test_a_removed_key_says_why_in_the_diff(store, run, stand_in):
    """The user never set state: absent: the reason is the key's leaving for_each."""
    run(store, stand_in(), {"for_each": {"a": {"n": 1}, "b": {"n": 2}}})
    result = run(store, stand_in(), {"for_each": {"a": {"n": 1}}})
    assert "t[b]: lambda_invocation: delete (the key is no longer in for_each; the record is CRUD)" in result["diff"]["prepared"]
    assert "state: absent" not in result["diff"]["prepared"]
    gone = run(store, stand_in(), {"state": "absent"})
    assert "t[a]: lambda_invocation: delete (state: absent; the record is CRUD)" in gone["diff"]["prepared"]
