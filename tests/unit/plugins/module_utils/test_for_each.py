# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""for_each: key ids, bad input named by key, and one run against a file store with a stand-in
for the module (markers before it runs, each key's record after, failed keys left to retry)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.for_each import (
    ForEach, ForEachFailed, key_id, key_of, parse_for_each,
)
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Invocation, LifecycleError, Record
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import FileStore, parse_url


def options(**extra: Any) -> Dict[str, Any]:
    base = {"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD", "state": "present", "max_concurrency": 10}
    base.update(extra)
    return base


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
        parse_for_each(options(**extra))


class Module:
    """Stands in for the module run: each key's outcome, and what the store held when it ran."""

    def __init__(self, store: FileStore, failing: Dict[str, str]) -> None:
        self.store = store
        self.failing = failing
        self.batches: List[Dict[str, List[Dict[str, Any]]]] = []
        self.markers_seen: Dict[str, Any] = {}

    def __call__(self, batch: Dict[str, List[Invocation]]) -> Dict[str, Any]:
        self.batches.append({k: [i.describe() for i in v] for k, v in batch.items()})
        keys: Dict[str, Any] = {}
        done: List[Dict[str, Any]] = []
        for key, invocations in batch.items():
            stored = self.store.read("h", key_id("t", key))
            self.markers_seen[key] = stored.document["in_flight"] if stored else None
            if key in self.failing:
                keys[key] = {"done": [], "result": None, "msg": "boom", "failure_kind": self.failing[key]}
                continue
            entries = [dict(i.describe(), key=key, response='{"k":"%s"}' % key) for i in invocations]
            done.extend(entries)
            keys[key] = {"done": entries, "result": '{"k":"%s"}' % key}
        return {"changed": bool(done), "invocations": done, "keys": keys}


def run(store: FileStore, module: Module, **extra: Any) -> Dict[str, Any]:
    def ids() -> List[str]:
        return store.ids("h")

    return ForEach(store, "h", options(**extra), module, ids, now=lambda: "now").run()


@pytest.fixture
def store(tmp_path):
    return FileStore(parse_url("file://%s" % tmp_path))


def record(store: FileStore, key: str) -> Any:
    stored = store.read("h", key_id("t", key))
    return stored.document if stored else None


def test_markers_before_the_run_records_after_failed_keys_left_to_retry(store):
    keys = {k: {"n": i} for i, k in enumerate("abcde")}
    module = Module(store, failing={"b": "not_completed", "d": "unknown"})
    outcome = run(store, module, for_each=keys)
    assert outcome["failed"] is True
    assert sorted(outcome["failed_keys"]) == ["b", "d"]
    assert "'b': boom" in outcome["msg"] and "'d': boom" in outcome["msg"]
    # every planned key had its marker when the module ran
    assert all(marker and marker["action"] == "create" for marker in module.markers_seen.values())
    assert Record.from_fact(record(store, "a")["record"]).input == {"n": 0}
    assert Record.from_fact(record(store, "a")["record"]).record_id == "t[a]"
    assert record(store, "a")["in_flight"] is None
    assert record(store, "b") is None  # surely not run: no record, no marker
    assert record(store, "d")["in_flight"]["action"] == "create"  # may have run: the marker stays
    assert outcome["results"]["a"]["result_json"] == {"k": "a"}

    module.failing = {}
    store.delete("h", "t[d]", store.read("h", "t[d]").version)  # the user checked the function's side
    again = run(store, module, for_each=keys)
    assert "failed" not in again
    assert sorted(module.batches[-1]) == ["b", "d"]
    assert {k: v for k, v in again["actions"].items() if v != "none"} == {"b": "create", "d": "create"}


def test_removed_keys_are_deleted_with_their_stored_input_and_nothing_to_do_runs_nothing(store):
    module = Module(store, failing={})
    run(store, module, for_each={"a": {"n": 1}, "b": {"n": 2}})
    same = run(store, module, for_each={"a": {"n": 1}, "b": {"n": 2}})
    assert len(module.batches) == 1 and same["changed"] is False
    removed = run(store, module, for_each={"a": {"n": 1}})
    assert removed["actions"] == {"a": "none", "b": "delete"}
    assert module.batches[-1] == {"b": [{
        "action": "delete", "function_name": "fn", "qualifier": "$LATEST", "tenant_id": None,
        "payload": json.dumps({"n": 2, "tf": {"action": "delete", "prev_input": {"n": 2}}}, separators=(",", ":"))}]}
    assert record(store, "b") is None
    gone = run(store, module, state="absent")
    assert gone["actions"] == {"a": "delete"}
    assert store.ids("h") == []


def test_a_marker_on_a_key_stops_the_task_before_anything_is_invoked(store):
    module = Module(store, failing={"a": "unknown"})
    run(store, module, for_each={"a": {"n": 1}})
    with pytest.raises(ForEachFailed, match="for_each key 'a': an invocation is in flight"):
        run(store, module, for_each={"a": {"n": 1}, "b": {"n": 2}})
    assert len(module.batches) == 1


def test_an_input_too_large_names_its_key_before_anything_is_written(store):
    module = Module(store, failing={})
    with pytest.raises(ForEachFailed, match="for_each key 'big': input is too large"):
        run(store, module, for_each={"a": {"n": 1}, "big": {"s": "x" * 6291456}})
    assert module.batches == [] and store.ids("h") == []


def test_reinvoke_on_with_for_each_is_refused_naming_both():
    from ansible_collections.cloudhooks.aws.plugins.module_utils.for_each import parse_for_each
    from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import LifecycleError

    with pytest.raises(LifecycleError, match="reinvoke_on is not supported with for_each"):
        parse_for_each({"function_name": "fn", "for_each": {"a": {"n": 1}}, "reinvoke_on": ["code"]})


def test_record_result_false_and_a_digest_keep_response_and_input_out_of_the_store(store):
    module = Module(store, failing={"b": "unknown"})
    outcome = run(store, module, for_each={"a": {"pw": "s3cret"}, "b": {"pw": "s3cret"}},
                  lifecycle_scope="CREATE_ONLY", record_input="digest", record_result=False)
    assert outcome["results"]["a"]["result_json"] == {"k": "a"}  # returned by the run that invoked
    stored = record(store, "a")["record"]
    assert stored["result"] is None and stored["input"] is None and "input_digest" in stored
    assert record(store, "b")["in_flight"]["remaining"][0]["payload"] is None  # the marker that stays
    assert "s3cret" not in json.dumps([record(store, "a"), record(store, "b")])
