# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 18: one driver for every task. The defects an outside trial found on the seams between the
three drivers there were, each as a user meets it, and for_each killed mid-way."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List

import pytest

from lambda_e2e import compact, item_args, kill, local_lambda, newest_core_only, process_tree, wait_for

SECRET = "s3cr3t-d1sk-Pa55"


def _cmdline(pid: int) -> List[str]:
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return []


def _module_processes(playbook_pid: int) -> List[int]:
    """The module's Python processes under an ansible-playbook: neither ansible-playbook nor a shell."""
    found = []
    for pid in process_tree(playbook_pid):
        args = [a for a in _cmdline(pid) if a]
        if args and "python" in os.path.basename(args[0]) and not any("ansible-playbook" in a for a in args):
            found.append(pid)
    return found


def _events(fn) -> List[Dict[str, Any]]:
    return [json.loads(e) for e in fn.events()]


def _four(fn, **options: Any) -> List[Dict[str, Any]]:
    keys = {"k%d" % n: {"key": "k%d" % n} for n in range(4)}
    return [item_args(fn, id="four", lifecycle_scope="CRUD", for_each=keys, max_concurrency=4, **options)]


# -- defect 1: the module process dies ---------------------------------------------------------


def test_for_each_whose_module_process_is_killed_keeps_every_marker(functions, ansible, file_store):
    """Killing only the module leaves the controller to read "Module result deserialization failed":
    whether the 4 functions ran is not known, so the 4 markers stay, and the next run invokes nothing."""
    fn = functions.deploy("slow", SLEEP_SECONDS="3")
    pending = ansible.start(invocations=_four(fn), env=file_store.env)
    try:
        wait_for(lambda: len(_events(fn)) == 4, "the 4 handlers to start")
        wait_for(lambda: _module_processes(pending.process.pid), "the module's process")
        kill(_module_processes(pending.process.pid))
        run = pending.wait()
    finally:
        pending.stop()
    item = run.item()
    assert item["failed"] is True and sorted(item["failed_keys"]) == ["k0", "k1", "k2", "k3"], run.output
    assert all("whether the function ran is not known" in text for text in item["failed_keys"].values())
    assert all(file_store.document("four[k%d]" % n)["in_flight"]["action"] == "create" for n in range(4))

    wait_for(lambda: fn.finished() == 4, "the killed run's handlers to finish")
    stopped = ansible.run(invocations=_four(fn), env=file_store.env).item()
    assert stopped["failed"] is True and "4 for_each key(s) of four on localhost have an invocation in flight" in stopped["msg"]
    assert len(_events(fn)) == 4  # nothing sent again

    recovered = ansible.run(invocations=_four(fn, recover="assume_done"), env=file_store.env)
    assert recovered.rc == 0, recovered.output
    assert recovered.item()["recovered_keys"] == {"k%d" % n: "assume_done" for n in range(4)}
    assert all(file_store.record("four[k%d]" % n)["input"] == {"key": "k%d" % n} for n in range(4))
    assert sorted(e["key"] for e in _events(fn)) == ["k0", "k1", "k2", "k3"]  # each invoked once, in all


# -- the whole tree killed, then recover ---------------------------------------------------------


@newest_core_only
def test_for_each_killed_while_the_functions_run_then_assume_done(functions, ansible, file_store):
    fn = functions.deploy("slow", SLEEP_SECONDS="3")
    pending = ansible.start(invocations=_four(fn), env=file_store.env)
    try:
        wait_for(lambda: len(_events(fn)) == 4, "the 4 handlers to start")
        kill(process_tree(pending.process.pid))  # the controller dies: ansible-playbook, its workers, the module
        pending.process.wait()
    finally:
        pending.stop()
    wait_for(lambda: fn.finished() == 4, "the killed run's handlers to finish")
    assert all(file_store.document("four[k%d]" % n)["in_flight"] for n in range(4))
    done = ansible.run(invocations=_four(fn, recover="assume_done"), env=file_store.env)
    assert done.rc == 0 and not done.item().get("failed"), done.output
    assert all(file_store.record("four[k%d]" % n)["input"] == {"key": "k%d" % n} for n in range(4))
    assert sorted(e["key"] for e in _events(fn)) == ["k0", "k1", "k2", "k3"]  # no key invoked twice
    again = ansible.run(invocations=_four(fn), env=file_store.env).item()
    assert again["changed"] is False and len(_events(fn)) == 4


@newest_core_only
def test_for_each_killed_before_the_functions_ran_then_retry(functions, ansible, file_store, endpoint):
    """The endpoint holds each Invoke 30 s and then refuses it without running the handler; the tree
    is killed while they are held: the markers are there, nothing ran, and retry sends each key once."""
    fn = functions.deploy("held")
    local_lambda.fail_next_invokes(endpoint, fn.name, "TooManyRequestsException", count=4, when="before",
                                   delay_seconds=30)
    pending = ansible.start(invocations=_four(fn), env=file_store.env)
    try:
        wait_for(lambda: all((file_store.document("four[k%d]" % n) or {}).get("in_flight") for n in range(4)),
                 "the 4 markers")
        wait_for(lambda: fn.counts()["RequestResponse"] == 4, "the 4 Invoke requests to arrive")
        kill(process_tree(pending.process.pid))
        pending.process.wait()
    finally:
        pending.stop()
    local_lambda.clear_faults(endpoint)
    retried = ansible.run(invocations=_four(fn, recover="retry"), env=file_store.env)
    assert retried.rc == 0 and not retried.item().get("failed"), retried.output
    assert retried.item()["recovered_keys"] == {"k%d" % n: "retry" for n in range(4)}
    assert sorted(e["key"] for e in _events(fn)) == ["k0", "k1", "k2", "k3"]  # each ran once
    assert all(file_store.record("four[k%d]" % n)["result"] for n in range(4))


# -- defect 2: a failure before any call ---------------------------------------------------------


@pytest.mark.parametrize("bad", [{}, {"task_validate_certs": "maybe", "task_region": "us-east-1"}])
def test_a_module_that_fails_before_any_call_leaves_no_marker(functions, ansible, file_store, bad):
    fn = functions.deploy("plain")
    common = dict(function_name=fn.name, record_store=file_store.url, aws_env=False)
    failed = ansible.run("no_region.yml", **common, **bad).outcome()
    assert failed["failed"] is True and failed["failure_kind"] == "not_completed", failed
    assert file_store.document(fn.name) is None and fn.events() == []
    fixed = ansible.run("no_region.yml", **common, task_region="us-east-1").outcome()
    assert (bool(fixed.get("failed")), fixed["action"]) == (False, "create"), fixed
    assert _events(fn) == [{"n": 1, "tf": {"action": "create", "prev_input": None}}]


# -- defects 3 and 4: what the action plugin refuses -------------------------------------------


def test_a_list_given_to_a_string_option_is_refused_naming_it(functions, ansible):
    fn = functions.deploy("plain")
    run = ansible.run(invocations=[item_args(fn, input={"a": 1}, tenant_id=["x"])])
    item = run.item()
    assert item["failed"] is True and "tenant_id must be a string, got a list" in item["msg"]
    assert fn.counts()["RequestResponse"] == 0 and ansible.record(fn.name) is None


def test_an_input_nested_too_deep_is_refused_naming_input(functions, ansible):
    fn = functions.deploy("plain")
    item = ansible.run(invocations=[item_args(fn, input="[" * 20000 + "]" * 20000)]).item()
    assert item["failed"] is True and item["msg"].startswith("input is nested more than 500 levels deep")
    assert fn.counts()["RequestResponse"] == 0


# -- defect 6: a durable store puts no input in facts --------------------------------------------


def test_with_a_durable_store_the_input_never_reaches_the_fact_cache(functions, ansible, file_store):
    fn = functions.deploy("plain")
    run = ansible.run(invocations=[item_args(fn, id="private", input={"token": SECRET})], env=file_store.env)
    assert run.rc == 0 and run.item()["result_json"]["received"] == {"token": SECRET}, run.output
    assert file_store.record("private")["input"] == {"token": SECRET}
    assert SECRET.encode() not in (ansible.cache_bytes() or b"")
    assert oct(os.stat(file_store.root / "localhost" / "private.json").st_mode & 0o777) == "0o600"


# -- defect 7: nothing holding the payload is left on disk by a killed run -------------------------


def test_a_killed_run_leaves_no_file_holding_the_secret(functions, ansible, tmp_path):
    fn = functions.deploy("slow", SLEEP_SECONDS="3")
    remote_tmp, local_tmp = tmp_path / "remote-tmp", tmp_path / "ansible-local"
    pending = ansible.start("secret.yml", function_name=fn.name, secret=SECRET,
                            env={"ANSIBLE_REMOTE_TMP": str(remote_tmp)})
    try:
        wait_for(lambda: len(_events(fn)) == 1, "the handler to start")
        kill(process_tree(pending.process.pid))
        pending.process.wait()
    finally:
        pending.stop()
    holding = [str(path) for base in (remote_tmp, local_tmp, Path(os.path.expanduser("~/.ansible/tmp")))
               if base.exists() for path in base.rglob("*")
               if path.is_file() and SECRET.encode() in path.read_bytes()]
    assert holding == []
    assert compact({"user": "app", "password": SECRET}) in fn.events()  # it was sent
