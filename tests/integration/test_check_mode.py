# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""--check and --check --diff on every transition: a true dry run (DryRun calls only, nothing
stored), reporting what the real run then does."""

from __future__ import annotations

import pytest

from lambda_e2e import compact, item_args

OLD = {"plan": "gold", "seats": 10}
NEW = {"plan": "platinum", "seats": 10}


def crud(value, action, prev):
    return compact({**value, "tf": {"action": action, "prev_input": prev}})


@pytest.fixture
def transitions(functions, ansible):
    """Five functions, each one record away from one transition; returns the task entries and
    what each must plan: (changed, action, [(invocation action, qualifier, payload)])."""
    fns = {name: functions.deploy(name) for name in ("create", "update", "replace", "delete", "none")}
    fns["replace"].publish("v1")
    fns["replace"].publish("v2")

    def entry(name, **options):
        return item_args(fns[name], id=name, lifecycle_scope="CRUD", **options)

    before = [
        entry("update", input=OLD),
        entry("replace", input=OLD, qualifier="1"),
        entry("delete", input=OLD),
        entry("none", input=OLD),
    ]
    setup = ansible.run(invocations=before)
    assert setup.rc == 0, setup.output

    desired = [
        entry("create", input=OLD),
        entry("update", input=NEW),
        entry("replace", input=OLD, qualifier="2"),
        entry("delete", state="absent"),
        entry("none", input=OLD),
    ]
    plans = {
        "create": (True, "create", [("create", "$LATEST", crud(OLD, "create", None))]),
        "update": (True, "update", [("update", "$LATEST", crud(NEW, "update", OLD))]),
        "replace": (True, "replace", [("delete", "1", crud(OLD, "delete", OLD)), ("create", "2", crud(OLD, "create", None))]),
        "delete": (True, "delete", [("delete", "$LATEST", crud(OLD, "delete", OLD))]),
        "none": (False, "none", []),
    }
    return fns, desired, plans


def planned(item):
    return (item["changed"], item["action"], [(i["action"], i["qualifier"], i["payload"]) for i in item["invocations"]])


def test_check_mode_invokes_nothing_stores_nothing_and_plans_exactly(transitions, ansible):
    fns, desired, plans = transitions
    names = list(plans)
    events_before = {name: fn.events() for name, fn in fns.items()}
    counts_before = {name: fn.counts() for name, fn in fns.items()}
    cache_before = ansible.cache_bytes()
    assert cache_before is not None

    dry_runs = 0
    for diff in (False, True):
        checked = ansible.run(invocations=desired, check=True, diff=diff)
        assert checked.rc == 0, checked.output
        dry_runs += 1
        for name, item in zip(names, checked.items()):
            assert planned(item) == plans[name], name
            for invocation in item["invocations"]:
                assert (invocation["dry_run"], invocation["status_code"]) == (True, 204), name
                assert "response" not in invocation and "executed_version" not in invocation
            # Nothing invoked for real; each planned target got one DryRun per check run.
            assert fns[name].events() == events_before[name], name
            counts = fns[name].counts()
            assert counts["RequestResponse"] == counts_before[name]["RequestResponse"], name
            assert counts["DryRun"] == dry_runs * len(plans[name][2]), name
            if diff:
                assert set(item["diff"]) == {"before", "after", "prepared"}, name
                assert item["diff"]["prepared"].startswith("lambda_invocation: %s (" % plans[name][1]), name
            else:
                assert "diff" not in item, name
        # Nothing stored: the fact cache is byte for byte what it was.
        assert ansible.cache_bytes() == cache_before

    # The diff shows the stored record (before) and the task (after), inputs included.
    diffs = {name: item["diff"] for name, item in zip(names, checked.items())}
    assert diffs["create"]["before"] == {} and diffs["create"]["after"]["input"] == OLD
    assert (diffs["update"]["before"]["input"], diffs["update"]["after"]["input"]) == (OLD, NEW)
    assert (diffs["replace"]["before"]["qualifier"], diffs["replace"]["after"]["qualifier"]) == ("1", "2")
    assert diffs["delete"]["before"]["input"] == OLD and diffs["delete"]["after"] == {}
    assert diffs["none"]["before"] == diffs["none"]["after"]
    assert diffs["update"]["after"] == {
        "function_name": fns["update"].name, "qualifier": "$LATEST", "tenant_id": None,
        "lifecycle_scope": "CRUD", "terraform_key": "tf", "triggers": {}, "input": NEW,
    }
    # ... with the planned action and why, which the default callback prints too.
    assert "lambda_invocation: update (input changed)" in checked.stdout
    assert "lambda_invocation: replace (target changed (qualifier '1' -> '2'))" in checked.stdout
    assert '-        "plan": "gold",' in checked.stdout
    assert '+        "plan": "platinum",' in checked.stdout

    # The real run does what the check run said.
    real = ansible.run(invocations=desired)
    assert real.rc == 0, real.output
    for name, item in zip(names, real.items()):
        assert planned(item) == plans[name], name
        sent = [payload for _action, _qualifier, payload in plans[name][2]]
        assert fns[name].events()[len(events_before[name]):] == sent, name
        assert fns[name].counts()["RequestResponse"] == counts_before[name]["RequestResponse"] + len(sent)
    assert ansible.cache_bytes() != cache_before
    assert ansible.record("update")["input"] == NEW
    assert ansible.record("delete") is None
