# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adopting Terraform state: five aws_lambda_invocation instances taken over without invoking
anything; a changed input sends one update from Terraform's input; each error invokes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from lambda_e2e import compact, item_args, newest_core_only

pytestmark = newest_core_only

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"

# Terraform keeps the input as the JSON text it was given: jsonencode output (keys sorted, <>&
# escaped) or a heredoc as written. These are parsed, so the payloads below carry their values.
TENANT_TEXT = {
    "acme": '{"plan":"gold","tenant":"acme"}',
    "globex": '{"plan":"silver","tenant":"globex"}',
    "initech": '{\n  "tenant": "initech",\n  "plan": "bronze",\n  "seats": 9007199254740993,\n'
               '  "name": "Init\\u00e9ch \\u003cR&D\\u003e"\n}\n',
}
SEED_TEXT = '{"tables":["users","orders"]}'
MIGRATE_TEXT = '{"step":1}'


def instance(function_name: str, input_text: str, *, scope: str = "CRUD", key: str = "tf",
             triggers: Optional[Dict[str, str]] = None, result: str = '{"from":"terraform"}') -> Dict[str, Any]:
    """One instance as provider 6.25 stores it (schema version 1, id joined by commas)."""
    digest = hashlib.md5(input_text.encode("utf-8")).hexdigest()
    return {"schema_version": 1, "sensitive_attributes": [], "private": "bnVsbA==", "attributes": {
        "function_name": function_name, "id": "%s,$LATEST,%s" % (function_name, digest), "input": input_text,
        "lifecycle_scope": scope, "qualifier": "$LATEST", "region": "us-east-1", "result": result,
        "tenant_id": None, "terraform_key": key, "triggers": triggers}}


def write_state(path: Path, tenant: str, seed: str, migrate: str) -> Path:
    """A state as `terraform state pull` prints it, with the five invocations and one function."""
    provider = 'provider["registry.terraform.io/hashicorp/aws"]'
    resources: List[Dict[str, Any]] = [
        {"mode": "managed", "type": "aws_lambda_function", "name": "tenant", "provider": provider,
         "instances": [{"schema_version": 0, "attributes": {"function_name": tenant}}]},
        {"mode": "managed", "type": "aws_lambda_invocation", "name": "tenant", "each": "map", "provider": provider,
         "instances": [dict(instance(tenant, text), index_key=key) for key, text in TENANT_TEXT.items()]},
        {"mode": "managed", "type": "aws_lambda_invocation", "name": "seed", "provider": provider,
         "instances": [instance(seed, SEED_TEXT, scope="CREATE_ONLY", triggers={"schema": "v1"})]},
        {"module": "module.db", "mode": "managed", "type": "aws_lambda_invocation", "name": "migrate", "each": "list",
         "provider": provider, "instances": [dict(instance(ARN + migrate, MIGRATE_TEXT, key="lifecycle"), index_key=0)]},
    ]
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.9.8", "serial": 12, "lineage": "0a1b2c3d",
                                "outputs": {}, "resources": resources, "check_results": None}), encoding="utf-8")
    return path


def deploy(functions, tmp_path):
    fns = {name: functions.deploy(name) for name in ("tenant", "seed", "migrate")}
    state = write_state(tmp_path / "invocations.tfstate", fns["tenant"].name, fns["seed"].name, fns["migrate"].name)
    variables = {
        "tf_state": str(state), "tenant_function": fns["tenant"].name, "seed_function": fns["seed"].name,
        "migrate_function": fns["migrate"].name, "seed_input": json.loads(SEED_TEXT),
        "migrate_input": json.loads(MIGRATE_TEXT),
        "tenants": {key: json.loads(text) for key, text in TENANT_TEXT.items()},
    }
    return fns, state, variables


def invoked(fns) -> Dict[str, Dict[str, int]]:
    return {name: fn.counts() for name, fn in fns.items()}


NOTHING = {"RequestResponse": 0, "DryRun": 0, "Event": 0}


def test_five_invocations_are_adopted_without_invoking_and_stored(functions, ansible, tmp_path):
    fns, _state, variables = deploy(functions, tmp_path)

    plan = ansible.run("adopt.yml", check=True, diff=True, **variables)
    assert plan.rc == 0, plan.output
    assert [(i["action"], i["changed"], i["invocations"]) for i in plan.items()] == [("adopt", True, [])] * 5
    assert plan.stdout.count("lambda_invocation: adopt (taken from Terraform state") == 5
    assert ansible.record("tenant-acme") is None  # check mode stores nothing

    run = ansible.run("adopt.yml", **variables)
    assert run.rc == 0, run.output
    assert [(i["action"], i["changed"], i["invocations"]) for i in run.items()] == [("adopt", True, [])] * 5
    assert [i["result_json"] for i in run.items()] == [{"from": "terraform"}] * 5
    assert invoked(fns) == {name: NOTHING for name in fns}
    for key, text in TENANT_TEXT.items():
        record = ansible.record("tenant-%s" % key)
        assert (record["function_name"], record["scope"], record["key"]) == (fns["tenant"].name, "CRUD", "tf")
        assert record["input"] == json.loads(text) and record["result"] == '{"from":"terraform"}'
    seed = ansible.record(fns["seed"].name)
    assert (seed["scope"], seed["triggers"], seed["input"]) == ("CREATE_ONLY", {"schema": "v1"}, json.loads(SEED_TEXT))
    migrate = ansible.record("migrate-0")
    assert (migrate["function_name"], migrate["key"], migrate["input"]) == (fns["migrate"].name, "lifecycle", {"step": 1})

    again = ansible.run("adopt.yml", **variables)
    assert again.rc == 0, again.output
    assert [(i["action"], i["changed"]) for i in again.items()] == [("none", False)] * 5
    assert invoked(fns) == {name: NOTHING for name in fns}


def test_a_changed_input_sends_one_update_whose_prev_input_is_terraforms_input(functions, ansible, tmp_path):
    fns, _state, variables = deploy(functions, tmp_path)
    changed = dict(json.loads(TENANT_TEXT["initech"]), plan="gold")
    variables["tenants"] = dict(variables["tenants"], initech=changed)
    previous = json.loads(TENANT_TEXT["initech"])

    plan = ansible.run("adopt.yml", check=True, diff=True, **variables)
    assert plan.rc == 0, plan.output
    initech = plan.item(2)
    assert (initech["action"], initech["diff"]["before"]["input"], initech["diff"]["after"]["input"]) == (
        "update", previous, changed)
    assert "lambda_invocation: update (taken from Terraform state; input changed)" in plan.stdout
    assert ansible.record("tenant-initech") is None and fns["tenant"].events() == []

    run = ansible.run("adopt.yml", **variables)
    assert run.rc == 0, run.output
    assert [i["action"] for i in run.items()] == ["adopt", "adopt", "update", "adopt", "adopt"]
    assert list(previous) == ["tenant", "plan", "seats", "name"] and previous["name"] == "Initéch <R&D>"
    assert fns["tenant"].events() == [compact({**changed, "tf": {"action": "update", "prev_input": previous}})]
    assert fns["tenant"].events()[0].endswith(
        '"prev_input":{"tenant":"initech","plan":"bronze","seats":9007199254740993,"name":"Initéch <R&D>"}}}')
    assert invoked(fns) == {"tenant": dict(NOTHING, RequestResponse=1, DryRun=1), "seed": NOTHING, "migrate": NOTHING}
    assert ansible.record("tenant-initech")["input"] == changed


def test_each_error_invokes_nothing_and_stores_nothing(functions, ansible, tmp_path):
    fns, state, _variables = deploy(functions, tmp_path)
    crud = {"lifecycle_scope": "CRUD", "input": json.loads(TENANT_TEXT["acme"])}
    cases = [
        item_args(fns["tenant"], id="wrong-address", terraform_state=str(state),
                  terraform_address='aws_lambda_invocation.tenant["acmee"]', **crud),
        item_args(fns["seed"], id="wrong-function", terraform_state=str(state),
                  terraform_address='aws_lambda_invocation.tenant["acme"]', **crud),
        item_args(fns["tenant"], id="missing-file", terraform_state=str(tmp_path / "nowhere.tfstate"),
                  terraform_address='aws_lambda_invocation.tenant["acme"]', **crud),
    ]
    run = ansible.run("invoke.yml", invocations=cases)
    assert run.rc == 0, run.output  # the playbook rescues and saves the outcome
    wrong_address, wrong_function, missing_file = run.items()
    assert [i.get("failed") for i in run.items()] == [True] * 3
    assert wrong_address["msg"] == (
        'terraform_address aws_lambda_invocation.tenant["acmee"] is not in terraform_state %s. The '
        'aws_lambda_invocation instances in it: aws_lambda_invocation.tenant["acme"], '
        'aws_lambda_invocation.tenant["globex"], aws_lambda_invocation.tenant["initech"], '
        'aws_lambda_invocation.seed, module.db.aws_lambda_invocation.migrate[0].' % state)
    assert wrong_function["msg"] == (
        'terraform_state %s, terraform_address aws_lambda_invocation.tenant["acme"] invokes %s (qualifier $LATEST) in '
        "us-east-1, but this task invokes %s (qualifier $LATEST): give the task the function_name, qualifier and "
        "tenant_id of that instance, or the terraform_address of this task's invocation"
        % (state, fns["tenant"].name, fns["seed"].name))
    assert missing_file["msg"] == "terraform_state %s does not exist" % (tmp_path / "nowhere.tfstate")
    assert invoked(fns) == {name: NOTHING for name in fns}
    assert [ansible.record(i) for i in ("wrong-address", "wrong-function", "missing-file")] == [None] * 3
