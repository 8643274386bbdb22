# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adopting aws_lambda_invocation instances from Terraform state: formats, addresses, attributes,
the plan that follows, and one test per error (fixtures: fixtures/terraform/, see build_states.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils import terraform_state as tf
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan_adopted

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "terraform"
V6 = FIXTURES / "terraform-1.9-aws-6.25.tfstate"
V5 = FIXTURES / "terraform-1.5-aws-5.90.tfstate"
V4_SCHEMA_0 = FIXTURES / "terraform-1.3-aws-4.67.tfstate"
V5_SCHEMA_0 = FIXTURES / "terraform-1.5-aws-5.30.tfstate"
TOFU = FIXTURES / "opentofu-1.8-aws-6.25.tfstate"
SHOW_V6 = FIXTURES / "show-json-terraform-1.9-aws-6.25.json"
SHOW_SCHEMA_0 = FIXTURES / "show-json-terraform-1.3-aws-4.67.json"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:db-migrate"

SEED = Record(Target("seed-db"), "CREATE_ONLY", "tf", {"code": "f3a9c1"}, {"tables": ["users", "orders"]}, '{"seeded":2}')
ACME = Record(Target("tenant-provisioner", tenant_id="acme"), "CRUD", "tf", {}, {"plan": "gold", "tenant": "acme"},
              '{"ok":true}')


def adopted(path: Path, address: str) -> Record:
    state = tf.load_state(str(path))
    return tf.record_of(tf.find_instance(state, tf.parse_address(address), str(path)), str(path))


def task(path: Path, address: str, **params: Any) -> Dict[str, Any]:
    return {"terraform_state": str(path), "terraform_address": address, **params}


def plan_for(path: Path, address: str, stored: Any = None, **params: Any):
    options = task(path, address, **params)
    source = tf.terraform_source(options)
    desired = parse_desired(options)
    record = Record.from_data(stored)
    if record is None and source is not None and desired.state != "forgotten":
        return plan_adopted(source.adopt(desired), desired)  # as the runner does (plugin_utils/adoption.py)
    return plan(record, desired)


# -- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, module, key", [
    ("aws_lambda_invocation.seed", (), None),
    ('aws_lambda_invocation.tenant["acme"]', (), "acme"),
    ("module.db.aws_lambda_invocation.migrate[0]", (("db", None),), 0),
    ('module.apps["web"].module.hooks.aws_lambda_invocation.warm', (("apps", "web"), ("hooks", None)), None),
    ('module.x[2].aws_lambda_invocation.a["k \\"q\\" \\u00e9"]', (("x", 2),), 'k "q" \u00e9'),
])
def test_addresses_parse_and_print_as_terraform_prints_them(text, module, key):
    address = tf.parse_address(text)
    assert (address.module, address.mode, address.type, address.key) == (module, "managed", "aws_lambda_invocation", key)
    assert tf.parse_address(str(address)) == address


def test_an_index_and_a_key_are_different_instances():
    assert tf.parse_address("aws_lambda_invocation.a[0]") != tf.parse_address('aws_lambda_invocation.a["0"]')


@pytest.mark.parametrize("text", [
    "", "aws_lambda_invocation", "aws_lambda_invocation.", "aws_lambda_invocation.a[", "aws_lambda_invocation.a[x]",
    'aws_lambda_invocation.a["x]', "aws_lambda_invocation.a[0] extra", "module.aws_lambda_invocation.a",
    "aws_lambda_invocation.a[-1]",
])
def test_a_bad_address_names_the_option(text):
    with pytest.raises(LifecycleError, match="terraform_address .*(resource instance address|must be)"):
        tf.parse_address(text)


# -- formats and attributes -----------------------------------------------------------------


@pytest.mark.parametrize("path, kind", [
    (V6, "state file (format version 4)"),
    (TOFU, "state file (format version 4)"),
    (SHOW_V6, "terraform show -json output"),
])
def test_the_format_is_detected(path, kind):
    assert tf.load_state(str(path)).kind == kind


@pytest.mark.parametrize("path", [V6, V5, TOFU, SHOW_V6], ids=["aws-6.25", "aws-5.90", "opentofu", "show-json"])
def test_a_root_resource_becomes_the_record_whatever_the_format_and_id_form(path):
    assert adopted(path, "aws_lambda_invocation.seed").target.function_name == "seed-db"
    record = adopted(path, "aws_lambda_invocation.seed")
    if path is TOFU:
        assert record == Record(Target("seed-db"), "CREATE_ONLY", "tf", {}, SEED.input, SEED.result)
    else:
        assert record == SEED


def test_both_id_forms_are_in_the_fixtures_and_neither_is_used():
    ids = [json.loads(p.read_text())["resources"][0]["instances"][0]["attributes"]["id"] for p in (V5, V4_SCHEMA_0)]
    assert all(i.startswith("seed-db_$LATEST_") for i in ids)
    assert json.loads(V6.read_text())["resources"][1]["instances"][0]["attributes"]["id"].startswith("seed-db,$LATEST,")
    data = json.loads(V6.read_text())
    data["resources"][1]["instances"][0]["attributes"]["id"] = "something-else"
    state = tf.parse_state(json.dumps(data), "edited")
    assert tf.record_of(tf.find_instance(state, tf.parse_address("aws_lambda_invocation.seed"), "x"), "x") == SEED


@pytest.mark.parametrize("path", [V6, SHOW_V6])
def test_for_each_instances_are_found_by_key_with_their_tenant(path):
    assert adopted(path, 'aws_lambda_invocation.tenant["acme"]') == ACME
    globex = adopted(path, 'aws_lambda_invocation.tenant["globex"]')
    assert (globex.input, globex.target.tenant_id) == ({"plan": "silver", "tenant": "globex"}, "globex")


@pytest.mark.parametrize("path", [V6, SHOW_V6])
def test_count_instances_in_a_child_module_keep_crud_key_qualifier_and_exact_integers(path):
    first = adopted(path, "module.db.aws_lambda_invocation.migrate[0]")
    assert first == Record(Target(ARN, "7"), "CRUD", "lifecycle", {}, {"step": 1, "big": 9007199254740993}, '{"ok":true}')
    assert adopted(path, "module.db.aws_lambda_invocation.migrate[1]").input == {"step": 2}


@pytest.mark.parametrize("path", [V6, SHOW_V6])
def test_nested_module_instances_are_told_apart_by_their_keys(path):
    assert adopted(path, 'module.apps["web"].module.hooks.aws_lambda_invocation.warm').input == "web"
    assert adopted(path, 'module.apps["api"].module.hooks.aws_lambda_invocation.warm').target == Target("cache-warmer", "live")


@pytest.mark.parametrize("path", [V4_SCHEMA_0, SHOW_SCHEMA_0], ids=["state", "show-json"])
def test_schema_0_before_5_1_takes_terraforms_defaults_for_scope_and_key(path):
    attributes = json.loads(V4_SCHEMA_0.read_text())["resources"][0]["instances"][0]["attributes"]
    assert "lifecycle_scope" not in attributes and "terraform_key" not in attributes
    assert adopted(path, "aws_lambda_invocation.seed") == SEED


def test_schema_0_from_5_1_on_keeps_its_scope_and_key():
    record = adopted(V5_SCHEMA_0, 'aws_lambda_invocation.tenant["acme"]')
    assert (record.scope, record.key) == ("CRUD", "lifecycle")


def test_schema_0_with_null_scope_and_key_takes_the_defaults_too():
    data = json.loads(V5_SCHEMA_0.read_text())
    data["resources"][0]["instances"][0]["attributes"].update(lifecycle_scope=None, terraform_key=None)
    state = tf.parse_state(json.dumps(data), "x")
    record = tf.record_of(tf.find_instance(state, tf.parse_address('aws_lambda_invocation.tenant["acme"]'), "x"), "x")
    assert (record.scope, record.key) == ("CREATE_ONLY", "tf")


def test_schema_1_without_a_scope_is_refused_not_guessed():
    data = json.loads(V5.read_text())
    data["resources"][0]["instances"][0]["attributes"]["lifecycle_scope"] = None
    state = tf.parse_state(json.dumps(data), "x")
    with pytest.raises(LifecycleError, match="lifecycle_scope is None"):
        tf.record_of(tf.find_instance(state, tf.parse_address("aws_lambda_invocation.seed"), "x"), "x")


def test_triggers_are_map_string_and_a_heredoc_input_is_parsed():
    assert adopted(V6, "aws_lambda_invocation.seed").triggers == {"code": "f3a9c1"}
    data = json.loads(V6.read_text())
    data["resources"][1]["instances"][0]["attributes"]["triggers"] = {"n": 1}  # not what Terraform writes
    state = tf.parse_state(json.dumps(data), "x")
    assert tf.record_of(tf.find_instance(state, tf.parse_address("aws_lambda_invocation.seed"), "x"), "x").triggers == {"n": "1"}


def test_a_deposed_object_is_not_the_instance():
    data = json.loads(V6.read_text())
    current = data["resources"][1]["instances"][0]
    data["resources"][1]["instances"].insert(0, dict(current, deposed="00000001", attributes=dict(
        current["attributes"], input='{"old":true}')))
    state = tf.parse_state(json.dumps(data), "x")
    assert tf.record_of(tf.find_instance(state, tf.parse_address("aws_lambda_invocation.seed"), "x"), "x") == SEED


# -- the plan that follows ------------------------------------------------------------------


def test_same_input_and_triggers_adopt_without_invoking_and_store_terraforms_result():
    p = plan_for(V6, "aws_lambda_invocation.seed", function_name="seed-db", input={"tables": ["users", "orders"]},
                 triggers={"code": "f3a9c1"})
    assert (p.action, p.changed, p.invocations, p.store) == ("adopt", True, (), True)
    assert p.record == SEED and p.result == '{"seeded":2}'
    assert p.diff["before"]["input"] == {"tables": ["users", "orders"]}
    assert p.diff["prepared"].startswith("lambda_invocation: adopt (taken from Terraform state")


def test_an_arn_in_state_and_a_name_in_the_task_are_one_function_and_the_record_keeps_the_tasks_spelling():
    p = plan_for(V6, "module.db.aws_lambda_invocation.migrate[0]", id="migrate-0", function_name="db-migrate",
                 qualifier="7", lifecycle_scope="CRUD", terraform_key="lifecycle",
                 input='{"step": 1, "big": 9007199254740993}')
    assert p.action == "adopt" and p.record.target == Target("db-migrate", "7")


def test_a_crud_input_change_is_one_update_whose_prev_input_is_terraforms_input():
    p = plan_for(V6, 'aws_lambda_invocation.tenant["acme"]', id="tenant-acme", function_name="tenant-provisioner",
                 tenant_id="acme", lifecycle_scope="CRUD", input={"plan": "platinum", "tenant": "acme"})
    assert [(i.action, i.payload.decode()) for i in p.invocations] == [(
        "update",
        '{"plan":"platinum","tenant":"acme","tf":{"action":"update","prev_input":{"plan":"gold","tenant":"acme"}}}')]
    assert p.action == "update" and "taken from Terraform state; input changed" in p.diff["prepared"]


def test_a_create_only_input_change_is_a_replace_that_invokes_only_the_create():
    p = plan_for(V6, "aws_lambda_invocation.seed", function_name="seed-db", input={"tables": ["users"]},
                 triggers={"code": "f3a9c1"})
    assert p.action == "replace" and [i.action for i in p.invocations] == ["create"]


def test_a_trigger_change_replaces():
    p = plan_for(V6, "aws_lambda_invocation.seed", function_name="seed-db", input={"tables": ["users", "orders"]},
                 triggers={"code": "new"})
    assert p.action == "replace"


def test_a_schema_0_record_and_a_crud_task_is_the_same_update_terraform_would_send():
    p = plan_for(V4_SCHEMA_0, "aws_lambda_invocation.seed", function_name="seed-db", lifecycle_scope="CRUD",
                 input={"tables": ["users", "orders"]}, triggers={"code": "f3a9c1"})
    assert [i.payload.decode() for i in p.invocations] == [
        '{"tables":["users","orders"],"tf":{"action":"update","prev_input":{"tables":["users","orders"]}}}']


def test_state_absent_sends_delete_with_terraforms_input():
    p = plan_for(V6, 'aws_lambda_invocation.tenant["acme"]', id="tenant-acme", function_name="tenant-provisioner",
                 tenant_id="acme", lifecycle_scope="CRUD", state="absent")
    assert [(i.action, i.payload.decode()) for i in p.invocations] == [(
        "delete", '{"plan":"gold","tenant":"acme","tf":{"action":"delete","prev_input":{"plan":"gold","tenant":"acme"}}}')]


def test_state_forgotten_does_not_read_the_state():
    p = plan_for(FIXTURES / "missing.tfstate", "aws_lambda_invocation.seed", function_name="seed-db", state="forgotten")
    assert (p.action, p.changed) == ("none", False)


def test_an_existing_record_wins_and_the_state_is_not_read():
    stored = Record(Target("seed-db"), "CREATE_ONLY", "tf", {}, {"other": 1}).to_data()
    p = plan_for(FIXTURES / "missing.tfstate", "aws_lambda_invocation.seed", stored, function_name="seed-db",
                 input={"other": 1})
    assert p.action == "none"


def test_without_the_options_there_is_nothing_to_adopt():
    assert tf.terraform_source({"function_name": "fn"}) is None


def test_a_relative_path_is_resolved_by_the_caller():
    source = tf.terraform_source(task(Path("x.tfstate"), "aws_lambda_invocation.a"), lambda p: "/base/" + p)
    assert source.path == "/base/x.tfstate"


# -- errors, each before anything is invoked ------------------------------------------------


def error_of(path: Path, address: str, **params: Any) -> str:
    params.setdefault("function_name", "seed-db")
    params.setdefault("input", {"tables": ["users", "orders"]})
    with pytest.raises(LifecycleError) as caught:
        plan_for(path, address, **params)
    return str(caught.value)


@pytest.mark.parametrize("given, missing", [({"terraform_state": "x"}, "terraform_address"),
                                            ({"terraform_address": "aws_lambda_invocation.a"}, "terraform_state")])
def test_both_or_neither(given, missing):
    with pytest.raises(LifecycleError, match="go together: give both, or neither \\(%s is missing\\)" % missing):
        tf.terraform_source(given)


def test_a_missing_file():
    assert error_of(FIXTURES / "missing.tfstate", "aws_lambda_invocation.seed") == (
        "terraform_state %s does not exist" % (FIXTURES / "missing.tfstate"))


def test_a_directory():
    assert error_of(FIXTURES, "aws_lambda_invocation.seed").endswith("is not a file")


@pytest.mark.parametrize("content, message", [
    ("not json", "is not a Terraform state: it is not JSON"),
    ("[]", "is not a Terraform state: it holds list, not a JSON object"),
    ('{"hello": 1}', "is not a Terraform state: it is neither a state file"),
    ('{"version": 3, "modules": []}', "is a state file of format version 3; this module reads version 4"),
    ('{"format_version": "2.0"}', "format_version 2.0; this module reads 1.x"),
    ('{"serial": 1, "lineage": "x", "meta": {}, "encrypted_data": "AAAA"}', "is encrypted (OpenTofu state encryption)"),
    ('{"version": 4, "resources": [{"mode": "managed", "instances": [{}]}]}', "its resources cannot be read (missing 'type')"),
    ('{"version": 4, "resources": [{"mode": "managed", "type": "t", "name": "n", "instances": [{"attributes": [1]}]}]}',
     "its resources cannot be read (the attributes of an instance are not an object)"),
    ('{"version": 4, "resources": [{"module": "module.", "mode": "managed", "type": "t", "name": "n", "instances": [{}]}]}',
     "its resources cannot be read (a name was expected at character 8)"),
    ('{"version": 4, "resources": {"a": 1}}', "its resources cannot be read"),
    ('{"format_version": "1.0", "values": {"root_module": {"resources": [{"mode": "managed", "type": "t", '
     '"name": "n", "index": true, "values": {}}]}}}', "its resources cannot be read (an instance key True is neither"),
])
def test_not_a_state(tmp_path, content, message):
    path = tmp_path / "bad.tfstate"
    path.write_text(content)
    assert message in error_of(path, "aws_lambda_invocation.seed")


def test_an_empty_show_json_holds_no_invocations(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text('{"format_version": "1.0"}')
    assert error_of(path, "aws_lambda_invocation.seed").endswith("holds no aws_lambda_invocation instances.")


@pytest.mark.parametrize("path", [V6, SHOW_V6])
def test_an_address_not_in_the_state_lists_the_invocations_there_are(path):
    message = error_of(path, "aws_lambda_invocation.sede")
    assert message == (
        "terraform_address aws_lambda_invocation.sede is not in terraform_state %s. The aws_lambda_invocation "
        'instances in it: aws_lambda_invocation.seed, aws_lambda_invocation.tenant["acme"], '
        'aws_lambda_invocation.tenant["globex"], module.db.aws_lambda_invocation.migrate[0], '
        'module.db.aws_lambda_invocation.migrate[1], module.apps["web"].module.hooks.aws_lambda_invocation.warm, '
        'module.apps["api"].module.hooks.aws_lambda_invocation.warm.' % path
        if path is V6 else message)
    assert "module.db.aws_lambda_invocation.migrate[1]" in message and "data." not in message


def test_a_key_that_is_not_there_lists_the_instances():
    message = error_of(V6, 'aws_lambda_invocation.tenant["initech"]', id="t")
    assert 'is not in terraform_state' in message and 'aws_lambda_invocation.tenant["acme"]' in message


def test_a_resource_with_several_instances_and_no_index():
    message = error_of(V6, "aws_lambda_invocation.tenant", function_name="tenant-provisioner")
    assert message == (
        "terraform_address aws_lambda_invocation.tenant is a resource with 2 instances (count or for_each) in "
        'terraform_state %s; give one of them: aws_lambda_invocation.tenant["acme"], '
        'aws_lambda_invocation.tenant["globex"]' % V6)


def test_an_instance_of_a_counted_resource_needs_an_id():
    message = error_of(V6, "module.db.aws_lambda_invocation.migrate[0]", function_name="db-migrate")
    assert "is one instance of a resource with count or for_each, but the task has no id" in message
    assert "id: 'migrate[0]'" in message


def test_a_resource_of_another_type():
    message = error_of(V6, "aws_lambda_function.seed")
    assert message.startswith(
        "terraform_address aws_lambda_function.seed is a resource of type aws_lambda_function; only a managed "
        "aws_lambda_invocation resource can be adopted. The aws_lambda_invocation instances in it: "
        "aws_lambda_invocation.seed,")


def test_a_data_source():
    assert "data.aws_lambda_invocation.probe is a data source;" in error_of(V6, "data.aws_lambda_invocation.probe")


@pytest.mark.parametrize("params, task_target", [
    ({"function_name": "seed-db-2"}, "seed-db-2 (qualifier $LATEST)"),
    ({"qualifier": "3"}, "seed-db (qualifier 3)"),
    ({"tenant_id": "acme"}, "seed-db (qualifier $LATEST, tenant acme)"),
    ({"function_name": "arn:aws:lambda:eu-west-1:123456789012:function:seed-db"},
     "arn:aws:lambda:eu-west-1:123456789012:function:seed-db (qualifier $LATEST)"),
])
def test_another_target_names_both(params, task_target):
    assert error_of(V6, "aws_lambda_invocation.seed", **params) == (
        "terraform_state %s, terraform_address aws_lambda_invocation.seed invokes seed-db (qualifier $LATEST) in "
        "us-east-1, but "
        "this task invokes %s: give the task the function_name, qualifier and tenant_id of that instance, or the "
        "terraform_address of this task's invocation" % (V6, task_target))


def test_a_regional_arn_of_the_same_function_is_the_same_target():
    p = plan_for(V6, "module.db.aws_lambda_invocation.migrate[1]", id="m1", lifecycle_scope="CRUD",
                 function_name="us-east-1:123456789012:function:db-migrate", qualifier="7", terraform_key="lifecycle",
                 input={"step": 2})
    assert p.action == "adopt"
    message = error_of(V6, "module.db.aws_lambda_invocation.migrate[1]", id="m1", lifecycle_scope="CRUD",
                       function_name="arn:aws:lambda:us-east-1:999999999999:function:db-migrate", qualifier="7",
                       input={"step": 2})
    assert "invokes %s (qualifier 7) in us-east-1, but this task invokes arn:aws:lambda:us-east-1:999999999999" % ARN in message


def test_without_a_region_attribute_an_arn_in_any_region_names_the_same_function():
    p = plan_for(V5, "aws_lambda_invocation.seed", function_name="arn:aws:lambda:eu-west-1:123456789012:function:seed-db",
                 input={"tables": ["users", "orders"]}, triggers={"code": "f3a9c1"})
    assert p.action == "adopt"


def test_a_function_name_that_carries_its_qualifier_in_terraform():
    assert tf.same_target(Target("fn:live", "live"), Target("fn", "live"))
    assert not tf.same_target(Target("fn:live", "$LATEST"), Target("fn", "$LATEST"))
    assert not tf.same_target(Target("fn:live", "$LATEST"), Target("fn", "live"))


@pytest.mark.parametrize("change, message", [
    ({"schema_version": 2}, "has schema version 2, written by a provider newer than this module reads"),
    ({"attributes": {"function_name": "seed-db", "input": "{nope", "lifecycle_scope": "CREATE_ONLY", "terraform_key": "tf"}},
     ": input is not valid JSON"),
    ({"attributes": {"function_name": "seed-db", "input": "[1]", "lifecycle_scope": "CRUD", "terraform_key": "tf"}},
     "lifecycle_scope is CRUD but its input is not a JSON object"),
    ({"attributes": {"input": "{}", "lifecycle_scope": "CREATE_ONLY", "terraform_key": "tf"}}, "has no function_name"),
    ({"attributes": {"function_name": "seed-db", "input": "{}", "lifecycle_scope": "ALL", "terraform_key": "tf"}},
     "lifecycle_scope is 'ALL', not CREATE_ONLY or CRUD"),
])
def test_an_instance_this_module_cannot_read(tmp_path, change, message):
    data = json.loads(V6.read_text())
    data["resources"][1]["instances"][0].update(change)
    path = tmp_path / "edited.tfstate"
    path.write_text(json.dumps(data))
    found = error_of(path, "aws_lambda_invocation.seed")
    assert found.startswith("terraform_state %s, aws_lambda_invocation.seed" % path) and message in found


def test_a_state_edited_between_two_reads_is_read_again(tmp_path):
    path = tmp_path / "s.tfstate"
    path.write_text(V6.read_text())
    assert tf.load_state(str(path)).instances
    path.write_text('{"format_version": "1.0", "values": {"root_module": {}}}')
    assert tf.load_state(str(path)).instances == ()


@pytest.mark.parametrize("fmt", ["state", "show-json"])
def test_a_tainted_instance_is_refused_unless_force_replaces_it_as_terraform_would(tmp_path, fmt):
    if fmt == "state":
        data = json.loads(V6.read_text())
        data["resources"][1]["instances"][0]["status"] = "tainted"
    else:
        data = json.loads(SHOW_V6.read_text())
        data["values"]["root_module"]["resources"][1]["tainted"] = True
    path = tmp_path / "tainted.json"
    path.write_text(json.dumps(data))
    params = dict(function_name="seed-db", input={"tables": ["users", "orders"]}, triggers={"code": "f3a9c1"})
    assert "aws_lambda_invocation.seed is tainted: the next terraform apply would replace it" in error_of(
        path, "aws_lambda_invocation.seed", **params)
    p = plan_for(path, "aws_lambda_invocation.seed", force=True, **params)
    assert p.action == "replace" and [i.action for i in p.invocations] == ["create"]


def test_show_json_of_a_plan_is_not_a_state(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{"format_version": "1.2", "planned_values": {}, "resource_changes": [], "prior_state": {}}')
    assert "output of a plan, not of a state" in error_of(path, "aws_lambda_invocation.seed")
