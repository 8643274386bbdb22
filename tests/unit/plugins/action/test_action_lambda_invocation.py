# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin: where the record lives, when the module runs, what is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional
from unittest.mock import MagicMock

import pytest

from ansible_collections.cloudhooks.aws.plugins.action import lambda_invocation as action_plugin
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Record, Target, fact_name


TASK_UUID = "0242ac11-0002-1a2b-3c4d-000000000020"


def make_action(args: Dict[str, Any], *, check_mode: bool = False, diff: bool = False, module_result=None):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    task.delegate_to = None
    task.delegate_facts = None
    task._uuid = TASK_UUID
    action = action_plugin.ActionModule(
        task, connection=MagicMock(), play_context=MagicMock(), loader=None, templar=None, shared_loader_obj=None
    )
    action._execute_module = MagicMock(return_value=module_result or {})
    action._display = MagicMock()
    return action


@pytest.fixture(autouse=True)
def _fresh_worker() -> None:
    """Each test is a new worker process: no record written by an earlier attempt."""
    action_plugin._WRITTEN.clear()


def facts_with(record_id: str, record: Optional[Record]) -> Dict[str, Any]:
    return {"ansible_facts": {fact_name(record_id): record.to_fact()}} if record else {"ansible_facts": {}}


STORED = Record(Target("fn"), "CRUD", "tf", {}, {"a": 1}, '{"stored":true}')


def test_nothing_to_invoke_never_runs_the_module_and_returns_the_stored_result():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "region": "x"})
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    assert result["changed"] is False and result["action"] == "none"
    assert result["result"] == '{"stored":true}' and result["result_json"] == {"stored": True}
    assert "ansible_facts" not in result  # nothing rewritten on the no-change path


def test_create_runs_the_module_once_and_stores_one_fact_for_the_id():
    module_result = {"changed": True, "invocations": [{"action": "create"}], "result": '{"ok":1}'}
    action = make_action({"function_name": "fn", "id": "seed", "input": '{"a": 1}'}, module_result=module_result)
    result = action.run(task_vars={"ansible_facts": {}})
    action._execute_module.assert_called_once()
    sent_args = action._execute_module.call_args.kwargs["module_args"]
    assert "input" not in sent_args  # the payload below carries it
    assert sent_args["_invocations"] == [{
        "action": "create", "function_name": "fn", "qualifier": "$LATEST", "tenant_id": None, "payload": '{"a":1}'}]
    assert list(result["ansible_facts"]) == [fact_name("seed")]
    stored = Record.from_fact(result["ansible_facts"][fact_name("seed")])
    assert stored == Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, '{"ok":1}')
    assert isinstance(result["ansible_facts"][fact_name("seed")], str)
    assert (result["action"], result["changed"], result["result_json"]) == ("create", True, {"ok": 1})


def test_module_gets_the_planned_invocations_with_their_exact_payloads():
    module_result = {"changed": True, "invocations": [], "result": "null"}
    action = make_action({"function_name": "fn", "input": {"a": 2}, "lifecycle_scope": "CRUD"}, module_result=module_result)
    action.run(task_vars=facts_with("fn", STORED))
    planned = action._execute_module.call_args.kwargs["module_args"]["_invocations"]
    assert [(i["action"], i["payload"]) for i in planned] == [
        ("update", '{"a":2,"tf":{"action":"update","prev_input":{"a":1}}}')]


def test_user_given_invocations_are_replaced_by_the_plan():
    smuggled = [{"action": "create", "function_name": "other", "qualifier": "1", "payload": "{}"}]
    module_result = {"changed": True, "invocations": [], "result": "null"}
    action = make_action({"function_name": "fn", "input": {"a": 2}, "lifecycle_scope": "CRUD", "_invocations": smuggled},
                         module_result=module_result)
    action.run(task_vars=facts_with("fn", STORED))
    planned = action._execute_module.call_args.kwargs["module_args"]["_invocations"]
    assert [i["function_name"] for i in planned] == ["fn"]
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "_invocations": smuggled})
    action._task._uuid = "0242ac11-0002-1a2b-3c4d-000000000021"  # another task
    assert action.run(task_vars=facts_with("fn", STORED))["action"] == "none"
    action._execute_module.assert_not_called()


def test_check_mode_never_returns_facts_even_when_the_plan_changes_the_record():
    module_result = {"changed": True, "invocations": [{"action": "update", "dry_run": True}], "result": None}
    action = make_action({"function_name": "fn", "input": {"a": 2}, "lifecycle_scope": "CRUD"},
                         check_mode=True, module_result=module_result)
    result = action.run(task_vars=facts_with("fn", STORED))
    assert result["changed"] is True and result["action"] == "update"
    assert "ansible_facts" not in result
    # record-only change in check mode: no module, no facts
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "terraform_key": "k"},
                         check_mode=True)
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    assert (result["changed"], result["action"], result["invocations"]) == (True, "update", [])
    assert "ansible_facts" not in result


def test_record_only_change_is_stored_without_the_module():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "terraform_key": "k"})
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    new = Record.from_fact(result["ansible_facts"][fact_name("fn")])
    assert new.key == "k" and new.result == STORED.result


def test_failed_module_returns_no_facts():
    module_result = {"failed": True, "msg": "the function returned an error", "invocations": []}
    action = make_action({"function_name": "fn", "input": {"a": 2}, "lifecycle_scope": "CRUD"}, module_result=module_result)
    result = action.run(task_vars=facts_with("fn", STORED))
    assert result["failed"] is True and "ansible_facts" not in result


def test_forget_stores_an_empty_record():
    stored = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None)
    action = make_action({"function_name": "fn", "state": "absent"})
    result = action.run(task_vars=facts_with("fn", stored))
    action._execute_module.assert_not_called()
    assert result["action"] == "forget" and result["changed"] is True
    assert result["ansible_facts"] == {fact_name("fn"): None}
    assert result["result"] is None


def test_diff_mode_shows_before_and_after():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"}, diff=True)
    result = action.run(task_vars=facts_with("fn", STORED))
    assert result["diff"]["before"]["input"] == {"a": 1} and result["diff"]["after"]["lifecycle_scope"] == "CRUD"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"function_name": "fn", "input": {"a": 1}, "lifecycle_scpoe": "CRUD"}, "unsupported option(s): lifecycle_scpoe"),
        ({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "crud"}, "lifecycle_scope must be one of"),
        ({"function_name": "fn", "input": {"a": 1}, "force": "maybe"}, "force"),
        ({"function_name": "fn", "input": {"tf": 1}, "lifecycle_scope": "CRUD"}, "choose another terraform_key"),
        ({"input": {"a": 1}}, "function_name"),
    ],
)
def test_bad_input_fails_before_the_module_and_keeps_the_record(args, message):
    action = make_action(args)
    result = action.run(task_vars=facts_with("fn", STORED))
    action._execute_module.assert_not_called()
    assert result["failed"] is True and message in result["msg"]
    assert "ansible_facts" not in result


def test_memory_cache_warns(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("memory", 86400))
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    result = action.run(task_vars=facts_with("fn", STORED))
    [warning] = result["warnings"]
    assert "fact caching is 'memory'" in warning
    assert "fact_caching = jsonfile" in warning and "fact_caching_timeout = 0" in warning


def test_expiring_cache_warns_and_a_lasting_one_does_not(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("jsonfile", 86400))
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    result = action.run(task_vars=facts_with("fn", STORED))
    assert "fact_caching_timeout is 86400 seconds" in result["warnings"][0]
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("jsonfile", 0))
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    result = action.run(task_vars=facts_with("fn", STORED))
    assert "warnings" not in result


def test_a_record_stored_as_a_mapping_is_read_too():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    result = action.run(task_vars={"ansible_facts": {fact_name("fn"): json.loads(STORED.to_fact())}})
    assert result["action"] == "none" and result["result"] == STORED.result


def test_aws_connection_options_match_amazon_aws():
    """The amazon.aws this runs with (10.1.2 with ansible-core 2.18 and 2.19, 11.x with 2.20 and 2.21:
    the range galaxy.yml allows) has exactly the options the action plugin lets through."""
    from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
    from ansible_collections.cloudhooks.aws.plugins.module_utils import options

    spec = aws_argument_spec()
    names = set(spec)
    for option in spec.values():
        names.update(option.get("aliases", []))
    assert names == set(options.AWS_CONNECTION_OPTIONS)


def test_records_are_compact_json_strings():
    module_result = {"changed": True, "invocations": [], "result": "null"}
    action = make_action({"function_name": "fn", "input": {"a": [1, 2]}}, module_result=module_result)
    result = action.run(task_vars={})
    text = result["ansible_facts"][fact_name("fn")]
    assert " " not in text and json.loads(text)["input"] == {"a": [1, 2]}


def test_with_delegate_facts_the_record_is_read_from_the_delegated_host():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    action._task.delegate_to = "localhost"
    action._task.delegate_facts = True
    task_vars = {"ansible_facts": {}, "ansible_delegated_vars": {"localhost": facts_with("fn", STORED)}}
    result = action.run(task_vars=task_vars)
    action._execute_module.assert_not_called()
    assert result["action"] == "none"
    # without delegate_facts the inventory host's facts count
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    action._task.delegate_to = "localhost"
    result = action.run(task_vars=dict(task_vars, **facts_with("fn", STORED)))
    assert result["action"] == "none"


def test_plan_warnings_are_shown(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("jsonfile", 0))
    module_result = {"changed": True, "invocations": [], "result": "null"}
    big = {"x": "a" * 3200000}
    action = make_action({"function_name": "fn", "input": big, "lifecycle_scope": "CRUD"}, module_result=module_result)
    result = action.run(task_vars={})
    assert "delete payload" in result["warnings"][0]


def test_the_aws_connection_options_reach_the_module():
    connection = {"region": "eu-west-1", "access_key": "AK", "secret_key": "SK", "endpoint_url": "http://127.0.0.1:1",
                  "aws_config": {"user_agent_extra": "x"}, "profile": None}
    module_result = {"changed": True, "invocations": [], "result": "null"}
    action = make_action(dict(connection, function_name="fn", input={"a": 1}), module_result=module_result)
    action.run(task_vars={})
    sent_args = action._execute_module.call_args.kwargs["module_args"]
    assert {k: sent_args.get(k) for k in connection} == connection


def test_the_builtin_memory_cache_by_its_full_name_warns_too(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("ansible.builtin.memory", 0))
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"})
    result = action.run(task_vars=facts_with("fn", STORED))
    assert "fact caching is 'memory'" in result["warnings"][0]


def test_without_delegate_facts_the_delegated_hosts_facts_do_not_count():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD"},
                         module_result={"changed": True, "invocations": [], "result": "null"})
    action._task.delegate_to = "localhost"
    action._task.delegate_facts = False
    task_vars = {"ansible_facts": {}, "ansible_delegated_vars": {"localhost": facts_with("fn", STORED)}}
    assert action.run(task_vars=task_vars)["action"] == "create"


@pytest.mark.parametrize("delegate_facts", [True, False])
def test_a_retried_task_reads_the_record_its_earlier_attempt_wrote(delegate_facts):
    """until/retries: the attempts run in one worker process, and ansible-core 2.21 hands none of an
    attempt's facts to the next one when delegate_facts is set: the next attempt finds the record
    the earlier one wrote all the same, and invokes nothing again."""
    module_result = {"changed": True, "invocations": [{"action": "create"}], "result": '{"ready":false}'}

    def attempt(**kwargs: Any):
        action = make_action({"function_name": "fn", "input": {"a": 1}}, **kwargs)
        action._task.delegate_to = "localhost"
        action._task.delegate_facts = delegate_facts
        return action

    task_vars: Dict[str, Any] = {"inventory_hostname": "web1", "ansible_facts": {},
                                 "ansible_delegated_vars": {"localhost": {"ansible_facts": {}}}}
    first = attempt(module_result=module_result).run(task_vars=task_vars)
    assert first["action"] == "create"
    again = attempt()
    second = again.run(task_vars=task_vars)  # the task's variables as they were: no record in them
    again._execute_module.assert_not_called()
    assert second["action"] == "none" and second["result"] == '{"ready":false}'
    # Ansible keeps the last attempt's facts only: the record is handed on
    assert second["ansible_facts"] == first["ansible_facts"]
    # another task (another uuid), or another host, does not see it
    other = attempt(module_result=module_result)
    other._task._uuid = "0242ac11-0002-1a2b-3c4d-000000000001"
    assert other.run(task_vars=task_vars)["action"] == "create"
    elsewhere = attempt(module_result=module_result)
    assert elsewhere.run(task_vars=dict(task_vars, inventory_hostname="web2"))["action"] == (
        "none" if delegate_facts else "create")  # with delegate_facts the record is localhost's


def test_the_stored_record_names_the_task_that_wrote_it():
    action = make_action({"function_name": "fn", "input": {"a": 1}},
                         module_result={"changed": True, "invocations": [], "result": "null"})
    result = action.run(task_vars={})
    assert json.loads(result["ansible_facts"][fact_name("fn")])["written_by"] == TASK_UUID


def test_two_tasks_sharing_a_record_in_one_run_warn_naming_id(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("jsonfile", 0))
    earlier = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, None, written_by="0242ac11-0002-1a2b-3c4d-000000000010")
    action = make_action({"function_name": "fn", "input": {"a": 2}},
                         module_result={"changed": True, "invocations": [], "result": "null"})
    result = action.run(task_vars=facts_with("fn", earlier))
    [warning] = result["warnings"]
    assert "id 'fn'" in warning and "share one record" in warning


def test_async_is_refused_with_a_clear_message():
    action = make_action({"function_name": "fn", "input": {"a": 1}})
    action._task.async_val = 30
    result = action.run(task_vars={})
    action._execute_module.assert_not_called()
    assert result["failed"] is True and "does not support async" in result["msg"]
    assert "ansible_facts" not in result


def test_force_shows_the_planned_action_in_the_diff():
    module_result = {"changed": True, "invocations": [], "result": "null"}
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "force": True},
                         diff=True, module_result=module_result)
    result = action.run(task_vars=facts_with("fn", STORED))
    assert result["diff"]["prepared"] == "lambda_invocation: replace (force: true)\n"


def test_a_failed_module_keeps_its_changed_and_gets_the_warnings(monkeypatch):
    monkeypatch.setattr(action_plugin, "_cache_settings", lambda: ("memory", 0))
    module_result = {"failed": True, "changed": True, "msg": "create failed", "invocations": [{"action": "delete"}]}
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "qualifier": "2"},
                         module_result=module_result)
    result = action.run(task_vars=facts_with("fn", STORED))
    assert (result["failed"], result["changed"], result["action"]) == (True, True, "replace")
    assert "fact caching is 'memory'" in result["warnings"][0]
    assert "ansible_facts" not in result


@pytest.mark.parametrize("stored", [STORED.to_fact(), '{"v": 2}'])
def test_forgotten_drops_the_record_without_the_module(stored):
    action = make_action({"function_name": "fn", "state": "forgotten"})
    result = action.run(task_vars={"ansible_facts": {fact_name("fn"): stored}})
    action._execute_module.assert_not_called()
    assert (result["action"], result["changed"], result["invocations"]) == ("forget", True, [])
    assert result["ansible_facts"] == {fact_name("fn"): None}


def test_a_retry_after_state_absent_does_not_delete_again():
    """The earlier attempt deleted and forgot the record; the task's variables still hold it."""
    task_vars = dict(facts_with("fn", STORED), inventory_hostname="web1")
    first = make_action({"function_name": "fn", "lifecycle_scope": "CRUD", "state": "absent"},
                        module_result={"changed": True, "invocations": [{"action": "delete"}], "result": None})
    assert first.run(task_vars=task_vars)["action"] == "delete"
    action = make_action({"function_name": "fn", "lifecycle_scope": "CRUD", "state": "absent"})
    result = action.run(task_vars=task_vars)
    action._execute_module.assert_not_called()
    assert (result["action"], result["changed"]) == ("none", False)
    assert result["ansible_facts"] == {fact_name("fn"): None}


# -- adopting Terraform state (terraform_state, terraform_address) ----------------------------

TF_STATE = str(Path(__file__).resolve().parents[1] / "module_utils" / "fixtures" / "terraform" / "terraform-1.9-aws-6.25.tfstate")
ACME_ARGS = {
    "function_name": "tenant-provisioner", "id": "tenant-acme", "tenant_id": "acme", "lifecycle_scope": "CRUD",
    "input": {"plan": "gold", "tenant": "acme"}, "terraform_state": TF_STATE,
    "terraform_address": 'aws_lambda_invocation.tenant["acme"]',
}
ACME = Record(Target("tenant-provisioner", tenant_id="acme"), "CRUD", "tf", {}, {"plan": "gold", "tenant": "acme"},
              '{"ok":true}')


def test_without_a_record_the_terraform_instance_is_adopted_and_stored_without_the_module():
    action = make_action(dict(ACME_ARGS))
    result = action.run(task_vars={"ansible_facts": {}})
    action._execute_module.assert_not_called()
    assert (result["action"], result["changed"], result["invocations"]) == ("adopt", True, [])
    assert Record.from_fact(result["ansible_facts"][fact_name("tenant-acme")]) == ACME
    assert result["result"] == '{"ok":true}'


def test_adopting_in_check_mode_shows_the_adopted_record_as_before_and_stores_nothing():
    action = make_action(dict(ACME_ARGS, input={"plan": "platinum", "tenant": "acme"}), check_mode=True, diff=True,
                         module_result={"changed": True, "invocations": [{"action": "update", "dry_run": True}]})
    result = action.run(task_vars={"ansible_facts": {}})
    assert (result["action"], result["changed"]) == ("update", True)
    assert result["diff"]["before"]["input"] == {"plan": "gold", "tenant": "acme"}
    assert "ansible_facts" not in result


def test_an_adopted_record_with_another_input_is_one_update_from_terraforms_input():
    module_result = {"changed": True, "invocations": [{"action": "update"}], "result": '{"ok":2}'}
    action = make_action(dict(ACME_ARGS, input={"plan": "platinum", "tenant": "acme"}), module_result=module_result)
    result = action.run(task_vars={"ansible_facts": {}})
    sent_args = action._execute_module.call_args.kwargs["module_args"]
    assert [i["payload"] for i in sent_args["_invocations"]] == [
        '{"plan":"platinum","tenant":"acme","tf":{"action":"update","prev_input":{"plan":"gold","tenant":"acme"}}}']
    assert Record.from_fact(result["ansible_facts"][fact_name("tenant-acme")]).input == {"plan": "platinum", "tenant": "acme"}


def test_with_a_record_the_terraform_options_are_ignored_and_verbose_output_says_so():
    stored = Record(Target("tenant-provisioner", tenant_id="acme"), "CRUD", "tf", {}, {"plan": "gold", "tenant": "acme"})
    action = make_action(dict(ACME_ARGS, terraform_state="/nonexistent.tfstate"))
    result = action.run(task_vars=facts_with("tenant-acme", stored))
    assert result["action"] == "none" and not result.get("failed")
    [message] = [c.args[0] for c in action._display.v.call_args_list]
    assert "a record exists for id 'tenant-acme'; terraform_state and terraform_address are ignored" in message


def test_a_wrong_address_fails_before_the_module_and_stores_nothing():
    action = make_action(dict(ACME_ARGS, terraform_address='aws_lambda_invocation.tenant["initech"]'))
    result = action.run(task_vars={"ansible_facts": {}})
    action._execute_module.assert_not_called()
    assert result["failed"] is True and "ansible_facts" not in result
    assert result["msg"].startswith('terraform_address aws_lambda_invocation.tenant["initech"] is not in terraform_state')


def test_a_relative_terraform_state_is_read_from_the_playbooks_directory():
    action = make_action(dict(ACME_ARGS, terraform_state="terraform-1.9-aws-6.25.tfstate"))
    action._loader = MagicMock()
    action._loader.path_dwim.side_effect = lambda p: str(Path(TF_STATE).parent / p)
    assert action.run(task_vars={"ansible_facts": {}})["action"] == "adopt"
    action._loader.path_dwim.assert_called_with("terraform-1.9-aws-6.25.tfstate")


# -- issue 11: reinvoke_on reads the function once, record_result, record_input ------------------


def module_calls(action) -> list:
    """What each module run was asked: 'describe' (GetFunctionConfiguration) or the invocations."""
    calls = []
    for call in action._execute_module.call_args_list:
        args = call.kwargs["module_args"]
        calls.append("describe" if args.get("_describe_function") else [i["action"] for i in args.get("_invocations", [])])
    return calls


def test_reinvoke_on_without_a_change_runs_only_the_describe_and_invokes_nothing():
    stored = Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1}, '"r"', function={"code": "c1"})
    action = make_action({"function_name": "fn", "input": {"a": 1}, "reinvoke_on": ["code"]},
                         module_result={"changed": False, "function": {"code": "c1"}})
    result = action.run(task_vars=facts_with("fn", stored))
    assert module_calls(action) == ["describe"]
    assert (result["changed"], result["action"], result["result"]) == (False, "none", '"r"')
    assert "input" not in action._execute_module.call_args.kwargs["module_args"]


def test_reinvoke_on_with_a_code_change_describes_once_then_invokes_without_describing_again():
    stored = Record(Target("fn"), "CRUD", "tf", {}, {"a": 1}, '"r"', function={"code": "c1"})
    action = make_action({"function_name": "fn", "input": {"a": 1}, "lifecycle_scope": "CRUD", "reinvoke_on": ["code"]})
    action._execute_module.side_effect = [
        {"changed": False, "function": {"code": "c2"}},
        {"changed": True, "invocations": [{"action": "delete"}, {"action": "create"}], "result": '"new"'},
    ]
    result = action.run(task_vars=facts_with("fn", stored))
    assert module_calls(action) == ["describe", ["delete", "create"]]
    assert result["action"] == "replace"
    assert Record.from_fact(result["ansible_facts"][fact_name("fn")]).function == {"code": "c2"}


def test_a_failed_describe_fails_the_task_before_anything_is_invoked():
    action = make_action({"function_name": "fn", "input": {"a": 1}, "reinvoke_on": ["configuration"]},
                         module_result={"failed": True, "msg": "function not found by the GetFunctionConfiguration"})
    result = action.run(task_vars={"ansible_facts": {}})
    assert module_calls(action) == ["describe"]
    assert result["failed"] is True and result["invocations"] == [] and "ansible_facts" not in result


def test_state_absent_with_reinvoke_on_does_not_describe():
    action = make_action({"function_name": "fn", "state": "absent", "reinvoke_on": ["code"]})
    action.run(task_vars=facts_with("fn", Record(Target("fn"), "CREATE_ONLY", "tf", {}, {"a": 1})))
    action._execute_module.assert_not_called()


def test_record_result_false_returns_the_response_but_stores_none():
    module_result = {"changed": True, "invocations": [{"action": "create"}], "result": '{"token":"t0p"}'}
    action = make_action({"function_name": "fn", "input": {"a": 1}, "record_result": False, "record_input": "digest"},
                         module_result=module_result)
    result = action.run(task_vars={"ansible_facts": {}})
    assert result["result_json"] == {"token": "t0p"}
    fact = result["ansible_facts"][fact_name("fn")]
    assert "t0p" not in fact and '"a":1' not in fact
    assert Record.from_fact(fact).result is None
