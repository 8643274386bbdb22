# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 8 end to end: the connection as module options only, state: forgotten as the way out of
a stuck record, a retried task with delegate_facts, warnings in the registered result, the diff
of force: true, and two tasks that share one record."""

from __future__ import annotations

import json

import pytest

from lambda_e2e import compact, item_args

MEMORY_WARNING = "fact caching is 'memory'"


def test_the_connection_given_only_as_module_options_reaches_the_module(functions, ansible):
    fn = functions.deploy("options")
    run = ansible.run("options_only.yml", aws_env=False, function_name=fn.name)
    assert run.rc == 0, run.output
    assert run.outcome()["action"] == "create"
    assert fn.events() == [compact({"via": "options"})]
    env = ansible.env(aws_env=False)
    assert not [k for k in env if k.startswith("AWS_")]


def test_forgotten_is_the_way_out_of_a_delete_handler_that_fails(functions, ansible, tmp_path):
    flag = tmp_path / "fail-now"
    fn = functions.deploy("stuck", FAIL_FLAG=str(flag))
    created = ansible.run(invocations=[item_args(fn, id="stuck", lifecycle_scope="CRUD", input={"k": 1})])
    assert created.rc == 0, created.output
    # The delete handler fails (say, on "already gone"): state: absent fails and keeps the record.
    flag.touch()
    absent = ansible.run(invocations=[item_args(fn, id="stuck", state="absent")])
    assert absent.item()["failed"] is True, absent.output
    assert ansible.record("stuck") is not None
    # state: forgotten drops it without invoking anything.
    before = len(fn.events())
    forgotten = ansible.run(invocations=[item_args(fn, id="stuck", state="forgotten")])
    assert forgotten.rc == 0, forgotten.output
    assert (forgotten.item()["action"], forgotten.item()["changed"], forgotten.item()["invocations"]) == (
        "forget", True, [])
    assert len(fn.events()) == before
    assert ansible.record("stuck") is None
    # Nothing left to forget.
    again = ansible.run(invocations=[item_args(fn, id="stuck", state="forgotten")])
    assert (again.item()["action"], again.item()["changed"]) == ("none", False)


@pytest.mark.parametrize("delegate_facts", [True, False])
def test_a_retried_task_invokes_once(functions, ansible, delegate_facts):
    fn = functions.deploy("retry")
    run = ansible.run("retry.yml", function_name=fn.name, keep_on_controller=delegate_facts)
    assert run.outcome()["attempts"] == 2, run.output
    assert fn.counts()["RequestResponse"] == 1, run.output
    assert run.outcome()["action"] == "none"
    host = "localhost"
    assert ansible.record("id-" + fn.name, host)["input"] == {"attempt": "any"}


def test_plugin_warnings_are_in_the_registered_result(functions, ansible):
    fn = functions.deploy("warned")
    run = ansible.run(invocations=[item_args(fn, input={"n": 1})], cache=None)
    assert run.rc == 0, run.output
    # a looped task's result gathers its items' warnings
    assert MEMORY_WARNING in json.dumps(run.outcome().get("warnings")), run.output


def test_the_diff_names_the_action_and_why_even_for_force(functions, ansible):
    fn = functions.deploy("diff")
    first = ansible.run(invocations=[item_args(fn, input={"n": 1})])
    assert first.rc == 0, first.output
    forced = ansible.run(invocations=[item_args(fn, input={"n": 1}, force=True)], diff=True)
    assert forced.rc == 0, forced.output
    assert "lambda_invocation: replace (force: true)" in forced.stdout, forced.output
    assert fn.counts()["RequestResponse"] == 2


def test_two_tasks_sharing_one_record_warn_naming_id(functions, ansible):
    fn = functions.deploy("shared")
    entries = [{"function_name": fn.name, "id": "shared", "input": {"n": n}} for n in (1, 2)]
    run = ansible.run("loop_each.yml", invocations=entries)
    assert run.rc == 0, run.output
    assert run.warnings("the record of id 'shared' was written earlier in this run by another task") == 1, run.output
    assert fn.counts()["RequestResponse"] == 2
