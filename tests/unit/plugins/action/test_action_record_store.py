# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins with a durable record store (a file store in a temporary directory):
which store is used, one module run per planned invocation, the fact set after success, check
mode, and lambda_invocation_info."""

from __future__ import annotations

import json
from typing import Any, Dict, List
from unittest.mock import MagicMock

import pytest

from ansible_collections.cloudhooks.aws.plugins.action import lambda_invocation as action_plugin
from ansible_collections.cloudhooks.aws.plugins.action import lambda_invocation_info as info_plugin
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Record, Target, fact_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import ENV_VAR, FileStore, parse_url


def make(plugin: Any, args: Dict[str, Any], *, check_mode: bool = False, results: List[Dict[str, Any]] = ()):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    task.delegate_to = None
    task.delegate_facts = None
    action = plugin.ActionModule(task, connection=MagicMock(), play_context=MagicMock(), loader=None, templar=None,
                                 shared_loader_obj=None)
    action._execute_module = MagicMock(side_effect=list(results))
    action._display = MagicMock()
    return action


def ok(action: str, response: str = '{"ok":1}') -> Dict[str, Any]:
    return {"changed": True, "invocations": [{"action": action}], "result": response}


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


TASK_VARS = {"inventory_hostname": "localhost", "ansible_facts": {}}


def test_a_replace_runs_the_module_once_per_invocation_and_stores_the_record_and_the_fact(tmp_path):
    FileStore(parse_url("file://%s" % tmp_path)).create("localhost", "t", {
        "v": 1, "record": json.loads(Record(Target("old"), "CRUD", "tf", {}, {"a": 1}, None).to_fact()),
        "in_flight": None})
    action = make(action_plugin, args(tmp_path), results=[ok("delete", "null"), ok("create")])
    result = action.run(task_vars=TASK_VARS)
    calls = [c.kwargs["module_args"] for c in action._execute_module.call_args_list]
    assert [[i["action"] for i in c["_invocations"]] for c in calls] == [["delete"], ["create"]]
    assert all("record_store" not in c and "input" not in c for c in calls)
    assert (result["action"], result["changed"], result["result_json"]) == ("replace", True, {"ok": 1})
    assert stored(tmp_path)["record"]["function_name"] == "fn" and stored(tmp_path)["in_flight"] is None
    assert Record.from_fact(result["ansible_facts"][fact_name("t")]).target == Target("fn")


def test_the_environment_variable_chooses_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "file://%s" % tmp_path)
    action = make(action_plugin, {k: v for k, v in args(tmp_path).items() if k != "record_store"}, results=[ok("create")])
    action.run(task_vars=TASK_VARS)
    assert stored(tmp_path)["record"]["input"] == {"a": 1}


def test_the_option_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "file:///nonexistent-dir")
    action = make(action_plugin, args(tmp_path), results=[ok("create")])
    assert action.run(task_vars=TASK_VARS)["action"] == "create"


def test_check_mode_invokes_dry_in_one_module_run_and_writes_nothing(tmp_path):
    action = make(action_plugin, args(tmp_path), check_mode=True,
                  results=[{"changed": True, "invocations": [{"action": "create", "dry_run": True}], "result": None}])
    result = action.run(task_vars=TASK_VARS)
    assert result["action"] == "create" and "ansible_facts" not in result
    assert stored(tmp_path) is None and list(tmp_path.iterdir()) == []


def test_a_bad_store_url_fails_before_anything(tmp_path):
    action = make(action_plugin, args(tmp_path, record_store="ftp://x"))
    result = action.run(task_vars=TASK_VARS)
    assert result["failed"] is True and "record_store 'ftp://x'" in result["msg"]
    action._execute_module.assert_not_called()


def test_a_bad_recover_choice_is_refused(tmp_path):
    result = make(action_plugin, args(tmp_path, recover="maybe")).run(task_vars=TASK_VARS)
    assert result["failed"] is True and "recover" in result["msg"] and "retry" in result["msg"]


def test_the_module_failure_kind_decides_the_marker(tmp_path):
    failed = {"failed": True, "msg": "no answer", "failure_kind": "unknown", "invocations": []}
    result = make(action_plugin, args(tmp_path), results=[failed]).run(task_vars=TASK_VARS)
    assert result["failed"] is True and result["failure_kind"] == "unknown" and "marker" in result["msg"]
    assert stored(tmp_path)["in_flight"]["action"] == "create"
    again = make(action_plugin, args(tmp_path)).run(task_vars=TASK_VARS)
    assert again["failed"] is True and "is in flight" in again["msg"] and again["in_flight"]["action"] == "create"


def test_info_lists_and_shows_records_of_a_file_store(tmp_path):
    make(action_plugin, args(tmp_path), results=[ok("create")]).run(task_vars=TASK_VARS)
    listed = make(info_plugin, {"record_store": "file://%s" % tmp_path}).run(task_vars=TASK_VARS)
    assert [(r["id"], r["function_name"], r["lifecycle_scope"], r["in_flight"]) for r in listed["records"]] == [
        ("t", "fn", "CRUD", False)]
    assert listed["changed"] is False
    shown = make(info_plugin, {"record_store": "file://%s" % tmp_path, "id": "t"}).run(task_vars=TASK_VARS)
    assert shown["record"]["record"]["input"] == {"a": 1} and shown["record"]["in_flight"] is None
    missing = make(info_plugin, {"record_store": "file://%s" % tmp_path, "id": "nope"}).run(task_vars=TASK_VARS)
    assert (missing["record"], missing["records"]) == (None, [])


def test_info_lists_records_in_facts():
    record = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None).to_fact()
    task_vars = {"inventory_hostname": "h", "ansible_facts": {fact_name("x"): record, fact_name("gone"): None, "os": 1}}
    listed = make(info_plugin, {}, check_mode=True).run(task_vars=task_vars)
    assert [(r["fact"], r["function_name"]) for r in listed["records"]] == [(fact_name("x"), "fn")]
    shown = make(info_plugin, {"id": "x"}).run(task_vars=task_vars)
    assert shown["record"]["record"]["input"] == {"a": 1} and shown["record_store"] == "facts"


def test_info_refuses_unknown_options():
    result = make(info_plugin, {"bogus": 1}).run(task_vars=TASK_VARS)
    assert result["failed"] is True and "bogus" in result["msg"]
