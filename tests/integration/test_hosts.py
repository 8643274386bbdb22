# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where records live: one per id (a loop in one task), one per host, and the inventory host's
when the task is delegated to the controller."""

from __future__ import annotations

import hashlib
import json

from lambda_e2e import CORE, compact, decode_cached_facts, fact_name, item_args


def test_loop_over_three_ids_keeps_three_records(functions, ansible):
    fn = functions.deploy("loop")
    first = ansible.run("loop.yml", function_name=fn.name)
    assert first.rc == 0, first.output
    endpoints = ["api", "web", "admin"]
    assert [(i["item"], i["changed"], i["action"]) for i in first.items()] == [(e, True, "create") for e in endpoints]
    assert fn.events() == [compact({"endpoint": e}) for e in endpoints]
    for endpoint in endpoints:
        assert ansible.record("endpoint-%s" % endpoint)["input"] == {"endpoint": endpoint}

    second = ansible.run("loop.yml", function_name=fn.name)
    assert second.rc == 0, second.output
    assert [(i["changed"], i["action"], i["invocations"]) for i in second.items()] == [(False, "none", [])] * 3
    assert [i["result_json"]["received"] for i in second.items()] == [{"endpoint": e} for e in endpoints]
    assert fn.counts()["RequestResponse"] == 3


def test_two_hosts_keep_their_own_records(functions, ansible):
    fn = functions.deploy("hosts")
    hosts = ["controller_a", "controller_b"]
    first = ansible.run("two_hosts.yml", function_name=fn.name)
    assert first.rc == 0, first.output
    for host in hosts:
        item = first.item(host=host)
        assert (item["changed"], item["action"]) == (True, "create")
        record = ansible.record("host-registration", host=host)
        assert record["input"] == {"host": host}
    created = {compact({"host": h, "tf": {"action": "create", "prev_input": None}}) for h in hosts}
    assert sorted(fn.events()) == sorted(created)  # the hosts run in parallel

    second = ansible.run("two_hosts.yml", function_name=fn.name)
    assert second.rc == 0, second.output
    for host in hosts:
        assert (second.item(host=host)["changed"], second.item(host=host)["action"]) == (False, "none")
        assert second.item(host=host)["result_json"]["received"]["host"] == host
    assert fn.counts()["RequestResponse"] == 2


def test_delegated_to_the_controller_the_record_is_the_remote_hosts(functions, ansible):
    fn = functions.deploy("delegate")
    first = ansible.run("delegate.yml", function_name=fn.name)
    assert first.rc == 0, first.output
    assert (first.item(host="web1")["changed"], first.item(host="web1")["action"]) == (True, "create")
    expected_input = {"host": "web1", "address": "192.0.2.10"}
    assert fn.events() == [compact({**expected_input, "tf": {"action": "create", "prev_input": None}})]
    # The record is web1's (delegate_facts is false), not the controller's.
    assert ansible.record("web-registration", host="web1")["input"] == expected_input
    assert ansible.record("web-registration", host="localhost") is None

    second = ansible.run("delegate.yml", function_name=fn.name)
    assert second.rc == 0, second.output
    assert (second.item(host="web1")["changed"], second.item(host="web1")["action"]) == (False, "none")
    assert fn.counts()["RequestResponse"] == 1
    # web1 was never contacted: it is unreachable, and both runs ended with unreachable=0.
    for run in (first, second):
        assert "[web1 -> localhost]" in run.stdout
        assert "web1                       : ok=2" in run.stdout and "unreachable=0" in run.stdout


def _steady_flaky_steady(functions, tmp_path):
    flag = tmp_path / "fail-now"
    steady = functions.deploy("steady")
    flaky = functions.deploy("flaky", FAIL_FLAG=str(flag))
    entries = [
        item_args(steady, id="first", lifecycle_scope="CRUD", input={"n": 1}),
        item_args(flaky, id="second", lifecycle_scope="CRUD", input={"n": 2}),
        item_args(steady, id="third", lifecycle_scope="CRUD", input={"n": 3}),
    ]
    return flag, steady, flaky, entries


def test_one_failing_item_of_a_looped_task_loses_the_records_of_the_others(functions, ansible, tmp_path):
    """Ansible stores no facts from a task that failed, a loop included (docs/state.md says so)."""
    flag, steady, flaky, entries = _steady_flaky_steady(functions, tmp_path)
    flag.touch()
    failed = ansible.run(invocations=entries)
    assert [i["failed"] for i in failed.items()] == [False, True, False], failed.output
    assert len(steady.events()) == 2  # first and third were created, for real
    assert len(flaky.events()) == 1  # second was tried, and raised
    assert [ansible.record(i) for i in ("first", "second", "third")] == [None, None, None]

    flag.unlink()
    retried = ansible.run(invocations=entries)
    assert retried.rc == 0, retried.output
    assert [i["action"] for i in retried.items()] == ["create", "create", "create"]
    create = compact({"n": 1, "tf": {"action": "create", "prev_input": None}})
    assert steady.events().count(create) == 2


def test_looping_over_include_tasks_with_rescue_keeps_each_items_record(functions, ansible, tmp_path):
    """The workaround docs/state.md gives: one task per item, each rescued."""
    flag, steady, flaky, entries = _steady_flaky_steady(functions, tmp_path)
    flag.touch()
    first = ansible.run("loop_each.yml", invocations=entries)
    assert first.rc == 0, first.output
    assert "second failed: the function returned an error (Unhandled)" in first.stdout
    assert ansible.record("first")["input"] == {"n": 1} and ansible.record("third")["input"] == {"n": 3}
    assert ansible.record("second") is None

    flag.unlink()
    second = ansible.run("loop_each.yml", invocations=entries)
    assert second.rc == 0, second.output
    assert len(steady.events()) == 2  # first and third were not told "create" again
    assert flaky.events() == [compact({"n": 2, "tf": {"action": "create", "prev_input": None}})] * 2
    assert ansible.record("second")["input"] == {"n": 2}


def test_delegate_facts_keeps_and_finds_the_record_on_the_controller(functions, ansible):
    fn = functions.deploy("delegate-facts")
    first = ansible.run("delegate_facts.yml", function_name=fn.name)
    assert first.rc == 0, first.output
    assert first.item(host="web1")["action"] == "create"
    assert ansible.record("web-registration-web1", host="localhost")["input"] == {"host": "web1"}
    assert ansible.record("web-registration-web1", host="web1") is None

    second = ansible.run("delegate_facts.yml", function_name=fn.name)
    assert second.rc == 0, second.output
    assert (second.item(host="web1")["changed"], second.item(host="web1")["action"]) == (False, "none")
    assert fn.counts()["RequestResponse"] == 1


def test_host_whose_name_holds_dots_keeps_its_record_in_the_documented_file(functions, ansible):
    """ansible-core 2.21 stores a host named with "/", "..", "<", ">" or "|" in a jsonfile file named
    by a hash; 2.19 and 2.20 in s1_<host>, 2.18 in <host> (docs/state.md, "Looking at the cache")."""
    fn = functions.deploy("odd-host")
    host = "odd..host"
    args = [item_args(fn, input={"n": 1})]
    first = ansible.run(target_hosts=host, invocations=args)
    assert first.rc == 0, first.output
    assert first.item(host=host)["action"] == "create"
    second = ansible.run(target_hosts=host, invocations=args)
    assert second.rc == 0, second.output
    assert (second.item(host=host)["changed"], second.item(host=host)["action"]) == (False, "none")
    assert fn.counts()["RequestResponse"] == 1

    core = tuple(int(n) for n in CORE.split("."))
    if core >= (2, 21):
        expected = hashlib.sha256(b"s1_odd..host").hexdigest()[:12]
    elif core >= (2, 19):
        expected = "s1_odd..host"
    else:
        expected = "odd..host"
    files = sorted(p.name for p in ansible.facts_dir.iterdir() if not p.name.startswith("."))
    assert expected in files, files
    facts = decode_cached_facts((ansible.facts_dir / expected).read_bytes())
    assert json.loads(facts[fact_name(fn.name)])["input"] == {"n": 1}
