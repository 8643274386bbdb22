# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin: the options it refuses, the host whose facts hold the record, what it hands the
module, what it returns (facts, warnings, diff), and how the module is run (pipelined)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional
from unittest.mock import MagicMock

import pytest

from ansible_collections.cloudhooks.aws.plugins.action import lambda_invocation as action_plugin
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import ENV_VAR
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import fact_name

TASK_UUID = "0242ac11-0002-1a2b-3c4d-000000000020"
STORED = Record(Target("fn"), "CRUD", "tf", {}, {"a": 1}, '{"stored":true}')
TF_STATE = str(Path(__file__).resolve().parents[1] / "plugin_utils" / "fixtures" / "terraform" / "terraform-1.9-aws-6.25.tfstate")


@pytest.fixture(autouse=True)
def _lasting_facts(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("jsonfile", 0))
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def make(action_of):
    """make(args, ...) -> an action plugin whose module is a stand-in (``action.module``)."""

    made = []

    def build(args: Dict[str, Any], *, check_mode: bool = False, diff: bool = False, uuid: Optional[str] = None,
              **module: Any):
        made.append(args)
        return action_of(action_plugin, args, module, check_mode=check_mode, diff=diff,
                         uuid=uuid or "%s%02d" % (TASK_UUID[:-2], len(made)))  # each one another task of the run

    return build


def facts_with(record_id: str, record: Optional[Record]) -> Dict[str, Any]:
    value = json.dumps(record.to_data(), separators=(",", ":")) if record else None
    return {"inventory_hostname": "localhost", "ansible_facts": {fact_name(record_id): value} if record else {}}


def sent(action) -> Dict[str, Any]:
    """The module's arguments in its last run."""
    return action._execute_module.call_args.kwargs["module_args"]


def test_nothing_to_invoke_never_runs_the_module_and_returns_the_stored_result(make):
    action = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "region": "x"})
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    assert result["changed"] is False and result["action"] == "none"
    assert result["result"] == '{"stored":true}' and result["result_json"] == {"stored": True}
    assert "ansible_facts" not in result  # nothing rewritten on the no-change path


def test_create_runs_the_module_once_with_the_planned_payload_and_stores_one_fact(make):
    action = make({"function_name": "fn", "id": "seed", "input": '{"a": 1}', "region": "r"})
    result = action.run(task_vars={"ansible_facts": {}})
    action._execute_module.assert_called_once()
    args = sent(action)
    assert "input" not in args and "id" not in args and args["region"] == "r"  # the payload carries the input
    [planned] = args["_request"]["keys"][""]
    assert args["_request"]["describe"] == [] and planned["idempotency_key"].startswith("create-")
    assert {k: v for k, v in planned.items() if k != "idempotency_key"} == {
        "action": "create", "function_name": "fn", "qualifier": "$LATEST", "tenant_id": None, "payload": '{"a":1}'}
    [(name, value)] = result["ansible_facts"].items()
    assert name == fact_name("seed") and isinstance(value, str) and " " not in value
    assert Record.from_data(value) == Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, '{"n":0}')
    assert json.loads(value)["written_by"] == action._task._uuid and json.loads(value)["id"] == "seed"
    assert (result["action"], result["changed"], result["result_json"]) == ("create", True, {"n": 0})
    assert [i["action"] for i in result["invocations"]] == ["create"] and "key" not in result["invocations"][0]


def test_check_mode_never_returns_facts_even_when_the_plan_changes_the_record(make):
    action = make({"function_name": "fn", "input": {"a": 2}, "lifecycle_scope": "CRUD"}, check_mode=True)
    result = action.run(task_vars=facts_with("fn", STORED))
    assert result["changed"] is True and result["action"] == "update" and result["result"] is None
    assert "ansible_facts" not in result
    action = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "terraform_key": "k"},
                  check_mode=True)
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    assert (result["changed"], result["action"], result["invocations"]) == (True, "update", [])
    assert "ansible_facts" not in result


def test_record_only_change_is_stored_without_the_module(make):
    action = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "terraform_key": "k"})
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    new = Record.from_data(result["ansible_facts"][fact_name("fn")])
    assert new.key == "k" and new.result == STORED.result


def test_a_failed_invocation_returns_no_facts_and_keeps_its_changed(make, monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("memory", 0))
    action = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "qualifier": "2"},
                  fail={0: "function_error"})
    result = action.run(task_vars=facts_with("fn", STORED))
    assert (result["failed"], result["changed"], result["action"], result["failure_kind"]) == (
        True, False, "replace", "function_error")
    assert "ansible_facts" not in result and "fact caching is 'memory'" in result["warnings"][0]
    assert result["msg"] == "boom. Nothing was invoked before it; the stored record is unchanged."


def test_forget_and_forgotten_set_the_fact_to_null_without_the_module(make):
    stored = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None)
    for args, task_vars in (
            ({"function_name": "fn", "state": "absent"}, facts_with("fn", stored)),
            ({"function_name": "fn", "state": "forgotten"}, facts_with("fn", STORED)),
            ({"function_name": "fn", "state": "forgotten"}, {"ansible_facts": {fact_name("fn"): '{"v": 2}'}})):
        action = make(args)
        result = action.run(task_vars=task_vars)
        action._execute_module.assert_not_called()
        assert (result["action"], result["changed"], result["result"]) == ("forget", True, None)
        assert result["ansible_facts"] == {fact_name("fn"): None}


def test_diff_is_returned_in_diff_mode_only_and_names_the_planned_action(make):
    args = {"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "force": True}
    result = make(args, diff=True).run(task_vars=facts_with("fn", STORED))
    assert result["diff"]["before"]["input"] == {"a": 1} and result["diff"]["after"]["lifecycle_scope"] == "CRUD"
    assert result["diff"]["prepared"] == "lambda_invocation: replace (force: true)\n"
    assert "diff" not in make(args).run(task_vars=facts_with("fn", STORED))


@pytest.mark.parametrize("args, message", [
    ({"function_name": "fn", "input": {"a": 1}, "lifecycle_scpoe": "CRUD"}, "Unsupported parameters"),
    ({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "crud"}, "lifecycle_scope must be one of"),
    ({"function_name": "fn", "input": {"a": 1}, "force": "maybe"}, "force"),
    ({"function_name": "fn", "input": {"tf": 1}, "lifecycle_scope": "CRUD"}, "choose another terraform_key"),
    ({"input": {"a": 1}}, "function_name"),
    # defect 3: a list or a mapping given to a string option was turned into its Python text
    ({"function_name": "fn", "input": {"a": 1}, "tenant_id": ["x"]}, "tenant_id must be a string, got a list"),
    ({"function_name": "fn", "input": {"a": 1}, "id": ["x"]}, "id must be a string, got a list"),
    ({"function_name": "fn", "input": {"a": 1}, "terraform_key": {"k": 1}}, "terraform_key must be a string, got an object"),
    # defect 4: an input too deep to compare names the option
    ({"function_name": "fn", "input": "[" * 20000 + "]" * 20000}, "input is nested more than 500 levels deep"),
    ({"function_name": "fn", "input": {"a": 1}, "_request": {"keys": {}}}, "Unsupported parameters"),
])
def test_bad_input_fails_before_the_module_and_keeps_the_record(make, args, message):
    action = make(args)
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert "ansible_facts" not in result and "Traceback" not in result["msg"]


@pytest.mark.parametrize("plugin, timeout, words", [
    ("memory", 0, "fact caching is 'memory'"),
    ("ansible.builtin.memory", 0, "fact caching is 'memory'"),
    ("jsonfile", 86400, "fact_caching_timeout is 86400 seconds"),
])
def test_a_cache_that_does_not_keep_the_records_warns(make, monkeypatch, plugin, timeout, words):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: (plugin, timeout))
    result = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"}).run(
        task_vars=facts_with("fn", STORED))
    [warning] = result["warnings"]
    assert words in warning and "fact_caching = jsonfile" in warning


def test_a_lasting_cache_does_not_warn(make):
    result = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"}).run(
        task_vars=facts_with("fn", STORED))
    assert "warnings" not in result


def test_a_record_stored_as_a_mapping_is_read_too(make):
    result = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"}).run(
        task_vars={"ansible_facts": {fact_name("fn"): STORED.to_data()}})
    assert result["action"] == "none" and result["result"] == STORED.result


def test_aws_connection_options_match_amazon_aws():
    """The amazon.aws this runs with (10.1.2 with ansible-core 2.18 and 2.19, 11.x later: the range
    galaxy.yml allows) has exactly the options the action plugin lets through."""
    from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
    from ansible_collections.cloudhooks.aws.plugins.module_utils import options

    spec = aws_argument_spec()
    names = set(spec)
    for option in spec.values():
        names.update(option.get("aliases", []))
    assert names == set(options.AWS_CONNECTION_OPTIONS)


def test_the_aws_connection_options_reach_the_module_as_given(make):
    connection = {"region": "eu-west-1", "access_key": "AK", "secret_key": "SK", "endpoint_url": "http://127.0.0.1:1",
                  "aws_config": {"user_agent_extra": "x"}, "validate_certs": "maybe"}
    action = make(dict(connection, function_name="fn", input={"a": 1}))
    action.run(task_vars={})
    assert {k: sent(action).get(k) for k in connection} == connection  # the module checks them


def test_with_delegate_facts_the_record_is_read_from_the_delegated_host(make):
    action = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    action._task.delegate_to, action._task.delegate_facts = "localhost", True
    task_vars = {"ansible_facts": {}, "ansible_delegated_vars": {"localhost": facts_with("fn", STORED)}}
    assert action.run(task_vars=task_vars)["action"] == "none"
    action._execute_module.assert_not_called()
    action = make({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    action._task.delegate_to, action._task.delegate_facts = "localhost", False
    assert action.run(task_vars=task_vars)["action"] == "create"  # without delegate_facts: the host's own facts


@pytest.mark.parametrize("delegate_facts", [True, False])
def test_a_retried_task_reads_the_record_its_earlier_attempt_wrote(make, delegate_facts):
    """until/retries: the attempts run in one worker process, and ansible-core 2.21 hands none of an
    attempt's facts to the next one when delegate_facts is set: the next attempt finds the record
    the earlier one wrote all the same, and invokes nothing again."""

    def attempt():
        action = make({"function_name": "fn", "input": {"a": 1}}, uuid=TASK_UUID)
        action._task.delegate_to, action._task.delegate_facts = "localhost", delegate_facts
        return action

    task_vars: Dict[str, Any] = {"inventory_hostname": "web1", "ansible_facts": {},
                                 "ansible_delegated_vars": {"localhost": {"ansible_facts": {}}}}
    first = attempt().run(task_vars=task_vars)
    assert first["action"] == "create"
    again = attempt()
    second = again.run(task_vars=task_vars)  # the task's variables as they were: no record in them
    again._execute_module.assert_not_called()
    assert second["action"] == "none" and second["result"] == '{"n":0}'
    assert second["ansible_facts"] == first["ansible_facts"]  # Ansible keeps the last attempt's facts only
    other = attempt()
    other._task._uuid = "0242ac11-0002-1a2b-3c4d-000000000001"  # another task does not see it
    assert other.run(task_vars=task_vars)["action"] == "create"
    elsewhere = attempt().run(task_vars=dict(task_vars, inventory_hostname="web2"))
    assert elsewhere["action"] == ("none" if delegate_facts else "create")  # with delegate_facts: localhost's


def test_a_retry_after_state_absent_does_not_delete_again(make):
    task_vars = dict(facts_with("fn", STORED), inventory_hostname="web1")
    assert make({"function_name": "fn", "state": "absent"}, uuid=TASK_UUID).run(task_vars=task_vars)["action"] == "delete"
    action = make({"function_name": "fn", "state": "absent"}, uuid=TASK_UUID)
    result = action.run(task_vars=task_vars)
    action._execute_module.assert_not_called()
    assert (result["action"], result["changed"]) == ("none", False)
    assert result["ansible_facts"] == {fact_name("fn"): None}


def test_two_tasks_sharing_a_record_in_one_run_warn_naming_id(make):
    earlier = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None, written_by="0242ac11-0002-1a2b-3c4d-000000000010")
    result = make({"function_name": "fn", "input": {"a": 2}}).run(task_vars=facts_with("fn", earlier))
    [warning] = result["warnings"]
    assert "id 'fn'" in warning and "share one record" in warning


def test_plan_warnings_are_shown(make):
    result = make({"function_name": "fn", "input": {"x": "a" * 3200000}, "lifecycle_scope": "CRUD"}).run(task_vars={})
    assert "delete payload" in result["warnings"][0]


def test_async_is_refused_with_a_clear_message(make):
    action = make({"function_name": "fn", "input": {"a": 1}})
    action._task.async_val = 30
    result = action.run(task_vars={})
    action._execute_module.assert_not_called()
    assert result["failed"] is True and "does not support async" in result["msg"]


def test_the_module_runs_pipelined_where_the_connection_can(make):
    """Defect 7: a pipelined module is never written to a file (its arguments hold the payloads)."""
    action = make({"function_name": "fn", "input": {"a": 1}})
    action._connection = MagicMock(has_pipelining=True, become=None, always_pipeline_modules=False)
    action._connection.is_pipelining_enabled.return_value = False
    action._connection.get_option.return_value = False
    action._play_context.pipelining = False
    assert action._is_pipelining_enabled("new") is True
    assert action._is_pipelining_enabled("new", wrap_async=True) is False
    action._connection.has_pipelining = False
    assert action._is_pipelining_enabled("new") is False
    action._connection.has_pipelining, action._connection.become = True, MagicMock(name="sudo")
    assert action._is_pipelining_enabled("new") is False  # become may need a tty: left to the configuration


# -- Terraform state, through the action plugin --------------------------------------------------

ACME_ARGS = {"function_name": "tenant-provisioner", "id": "tenant-acme", "tenant_id": "acme", "lifecycle_scope": "CRUD",
             "input": {"plan": "gold", "tenant": "acme"}, "terraform_state": TF_STATE,
             "terraform_address": 'aws_lambda_invocation.tenant["acme"]'}


def test_without_a_record_the_terraform_instance_is_adopted_and_stored_without_the_module(make):
    action = make(dict(ACME_ARGS))
    result = action.run(task_vars={"ansible_facts": {}})
    action._execute_module.assert_not_called()
    assert (result["action"], result["changed"], result["invocations"], result["adopted_from"]) == (
        "adopt", True, [], "terraform_state")
    assert Record.from_data(result["ansible_facts"][fact_name("tenant-acme")]).input == {"plan": "gold", "tenant": "acme"}
    assert result["result"] == '{"ok":true}'


def test_with_a_record_the_terraform_options_are_ignored_and_verbose_output_says_so(make):
    stored = Record(Target("tenant-provisioner", tenant_id="acme"), "CRUD", "tf", {}, {"plan": "gold", "tenant": "acme"})
    action = make(dict(ACME_ARGS, terraform_state="/nonexistent.tfstate"))
    result = action.run(task_vars=facts_with("tenant-acme", stored))
    assert result["action"] == "none" and not result.get("failed")
    [message] = [c.args[0] for c in action._display.v.call_args_list]
    assert "a record exists for id 'tenant-acme'; terraform_state and terraform_address are ignored" in message


def test_a_relative_terraform_state_is_read_from_the_playbooks_directory(make):
    action = make(dict(ACME_ARGS, terraform_state="terraform-1.9-aws-6.25.tfstate"))
    action._loader = MagicMock()
    action._loader.path_dwim.side_effect = lambda p: str(Path(TF_STATE).parent / p)
    assert action.run(task_vars={"ansible_facts": {}})["action"] == "adopt"
    action._loader.path_dwim.assert_called_with("terraform-1.9-aws-6.25.tfstate")


def test_a_wrong_address_fails_before_the_module_and_stores_nothing(make):
    action = make(dict(ACME_ARGS, terraform_address='aws_lambda_invocation.tenant["initech"]'))
    result = action.run(task_vars={"ansible_facts": {}})
    action._execute_module.assert_not_called()
    assert result["failed"] is True and "ansible_facts" not in result
    assert result["msg"].startswith('terraform_address aws_lambda_invocation.tenant["initech"] is not in terraform_state')


# -- reinvoke_on, record_result ------------------------------------------------------------------


def test_reinvoke_on_describes_once_then_invokes_without_describing_again(make):
    stored = Record(Target("fn"), "CRUD", "tf", {}, {"a": 1}, '"r"', function={"code": "c1"})
    args = {"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "reinvoke_on": ["code"]}
    same = make(args, function={"code": "c1"})
    assert same.run(task_vars=facts_with("fn", stored))["action"] == "none"
    assert [call["describe"] for call in same.module.calls] == [["code"]]
    changed = make(args, function={"code": "c2"})
    result = changed.run(task_vars=facts_with("fn", stored))
    assert [(call["describe"], sorted(call["keys"])) for call in changed.module.calls] == [(["code"], []), ([], [""])]
    assert result["action"] == "replace"
    assert Record.from_data(result["ansible_facts"][fact_name("fn")]).function == {"code": "c2"}
    absent = make({"function_name": "fn", "state": "absent", "reinvoke_on": ["code"]})
    absent.run(task_vars=facts_with("fn", Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1})))
    absent._execute_module.assert_not_called()


def test_record_result_false_returns_the_response_but_stores_none(make):
    action = make({"function_name": "fn", "input": {"a": 1}, "record_result": False, "record_input": "digest"})
    result = action.run(task_vars={"ansible_facts": {}})
    assert result["result_json"] == {"n": 0}
    fact = result["ansible_facts"][fact_name("fn")]
    assert '"n":0' not in fact and '"a":1' not in fact and Record.from_data(fact).result is None
