# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins with a durable record store (a file store in a temporary directory): which
store is used, one module run per planned invocation, no fact with the input, check mode, and
lambda_invocation_info for every store."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from ansible_collections.cloudhooks.aws.plugins.action import lambda_invocation as action_plugin
from ansible_collections.cloudhooks.aws.plugins.action import lambda_invocation_info as info_plugin
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import ENV_VAR
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import KEYS_PREFIX
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import fact_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.file import FileStore

TASK_VARS = {"inventory_hostname": "localhost", "ansible_facts": {}}


@pytest.fixture
def make(action_of):
    def build(plugin: Any, args: Dict[str, Any], *, check_mode: bool = False, **module: Any):
        return action_of(plugin, args, module, check_mode=check_mode)

    return build


@pytest.fixture(autouse=True)
def no_env_store(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def stored(tmp_path, record_id: str = "t"):
    found = FileStore(parse_url("file://%s" % tmp_path)).read("localhost", record_id)
    return found.document if found else None


def args(tmp_path, **extra: Any) -> Dict[str, Any]:
    base = {"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD", "input": {"a": 1},
            "record_store": "file://%s" % tmp_path}
    base.update(extra)
    return base


def test_a_replace_runs_the_module_once_per_invocation_and_puts_no_input_in_facts(make, tmp_path):
    FileStore(parse_url("file://%s" % tmp_path)).create("localhost", "t", {
        "v": 1, "record": Record(Target("old"), "CRUD", "tf", {}, {"a": 1}, None).to_data(), "in_flight": None})
    action = make(action_plugin, args(tmp_path))
    result = action.run(task_vars=TASK_VARS)
    calls = [c.kwargs["module_args"] for c in action._execute_module.call_args_list]
    assert [[i["action"] for i in c["_request"]["keys"][""]] for c in calls] == [["delete"], ["create"]]
    assert all("record_store" not in c and "input" not in c for c in calls)
    assert (result["action"], result["changed"], result["result_json"]) == ("replace", True, {"n": 1})
    assert stored(tmp_path)["record"]["function_name"] == "fn" and stored(tmp_path)["in_flight"] is None
    assert "ansible_facts" not in result  # defect 6: the store holds the record; no 0644 cache file gets its input


def test_the_environment_variable_chooses_the_store_and_the_option_wins(make, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "file://%s" % tmp_path)
    make(action_plugin, {k: v for k, v in args(tmp_path).items() if k != "record_store"}).run(task_vars=TASK_VARS)
    assert stored(tmp_path)["record"]["input"] == {"a": 1}
    monkeypatch.setenv(ENV_VAR, "file:///nonexistent-dir")
    assert make(action_plugin, args(tmp_path, id="u")).run(task_vars=TASK_VARS)["action"] == "create"


def test_check_mode_invokes_dry_in_one_module_run_and_writes_nothing(make, tmp_path):
    action = make(action_plugin, args(tmp_path), check_mode=True)
    result = action.run(task_vars=TASK_VARS)
    assert result["action"] == "create" and "ansible_facts" not in result and len(action.module.calls) == 1
    assert stored(tmp_path) is None and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extra, words", [
    ({"record_store": "ftp://x"}, "record_store 'ftp://x'"),
    ({"recover": "maybe"}, "recover"),
])
def test_bad_store_options_fail_before_anything(make, tmp_path, extra, words):
    action = make(action_plugin, args(tmp_path, **extra))
    result = action.run(task_vars=TASK_VARS)
    assert result["failed"] is True and words in result["msg"]
    action._execute_module.assert_not_called()


def test_the_modules_outcome_decides_the_marker(make, tmp_path):
    result = make(action_plugin, args(tmp_path), fail={0: "unknown"}).run(task_vars=TASK_VARS)
    assert result["failed"] is True and result["failure_kind"] == "unknown" and "marker" in result["msg"]
    assert stored(tmp_path)["in_flight"]["action"] == "create"
    again = make(action_plugin, args(tmp_path)).run(task_vars=TASK_VARS)
    assert again["failed"] is True and "is in flight" in again["msg"] and again["in_flight"]["action"] == "create"


def test_info_lists_and_shows_records_of_a_file_store(make, tmp_path):
    make(action_plugin, args(tmp_path)).run(task_vars=TASK_VARS)
    listed = make(info_plugin, {"record_store": "file://%s" % tmp_path}).run(task_vars=TASK_VARS)
    assert [(r["id"], r["function_name"], r["lifecycle_scope"], r["in_flight"]) for r in listed["records"]] == [
        ("t", "fn", "CRUD", False)]
    assert listed["changed"] is False
    shown = make(info_plugin, {"record_store": "file://%s" % tmp_path, "id": "t"}).run(task_vars=TASK_VARS)
    assert shown["record"]["record"]["input"] == {"a": 1} and shown["record"]["in_flight"] is None
    missing = make(info_plugin, {"record_store": "file://%s" % tmp_path, "id": "nope"}).run(task_vars=TASK_VARS)
    assert (missing["record"], missing["records"]) == (None, [])


def test_info_lists_ids_and_keys_in_facts(make):
    """Issue 18: records in facts carry their id now; a record from before carries none and is
    listed by its fact."""
    record = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None)
    keys = {"v": 1, "id": "tenants", "keys": {"acme": dict(record.to_data(), id="tenants[acme]")}}
    facts = {fact_name("x"): json.dumps(dict(record.to_data(), id="x")), fact_name("old"): json.dumps(record.to_data()),
             fact_name("gone"): None, fact_name("tenants", KEYS_PREFIX): json.dumps(keys), "os": 1}
    task_vars = {"inventory_hostname": "h", "ansible_facts": facts}
    listed = make(info_plugin, {}, check_mode=True).run(task_vars=task_vars)
    assert [(r["id"], r["fact"], r["function_name"]) for r in listed["records"]] == [
        ("tenants[acme]", fact_name("tenants", KEYS_PREFIX), "fn"), ("x", fact_name("x"), "fn"),
        (None, fact_name("old"), "fn")]
    shown = make(info_plugin, {"id": "tenants[acme]"}).run(task_vars=task_vars)
    assert shown["record"]["record"]["input"] == {"a": 1} and shown["record_store"] == "facts"


def test_info_refuses_unknown_options(make):
    result = make(info_plugin, {"bogus": 1}).run(task_vars=TASK_VARS)
    assert result["failed"] is True and "bogus" in result["msg"]
