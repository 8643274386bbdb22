# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""for_each end to end (issue 13): one record per key (id ID[KEY]), the task owns its set of keys,
every planned invocation in one module run at most max_concurrency at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from lambda_e2e import item_args, newest_core_only

KEYS = ["tenant-%02d" % n for n in range(20)]


def crud_event(value: Dict[str, Any], action: str, prev: Any) -> Dict[str, Any]:
    return dict(value, tf={"action": action, "prev_input": prev})


def received(fn) -> List[Dict[str, Any]]:
    return [json.loads(e) for e in fn.events()]


def test_twenty_keys_owned_like_terraform_for_each(functions, ansible):
    fn = functions.deploy("for-each")
    inputs = {key: {"tenant": key, "size": 1} for key in KEYS}

    def run(for_each=None, **options):
        entry = item_args(fn, id="tenants", lifecycle_scope="CRUD", **options)
        if for_each is not None:
            entry["for_each"] = for_each
        return ansible.run(invocations=[entry])

    created = run(inputs)
    assert created.rc == 0, created.output
    outcome = created.item()
    assert not outcome.get("failed"), outcome.get("msg")
    assert outcome["changed"] is True
    assert outcome["actions"] == {key: "create" for key in KEYS}
    assert sorted(json.loads(e)["tenant"] for e in fn.events()) == KEYS
    assert all(json.loads(e)["tf"] == {"action": "create", "prev_input": None} for e in fn.events())
    assert sorted(i["key"] for i in outcome["invocations"]) == KEYS
    assert outcome["results"]["tenant-03"]["result_json"]["received"]["tenant"] == "tenant-03"
    assert ansible.record("tenants[tenant-03]")["input"] == inputs["tenant-03"]
    assert ansible.record("tenants[tenant-03]")["id"] == "tenants[tenant-03]"

    again = run(inputs)
    assert again.rc == 0, again.output
    assert not again.item().get("failed"), again.item().get("msg")
    assert again.item()["changed"] is False
    assert again.item()["invocations"] == []
    assert len(fn.events()) == 20

    changed = dict(inputs, **{"tenant-04": {"tenant": "tenant-04", "size": 2},
                              "tenant-11": {"tenant": "tenant-11", "size": 3}})
    updated = run(changed)
    assert updated.rc == 0, updated.output
    assert {k: v for k, v in updated.item()["actions"].items() if v != "none"} == {"tenant-04": "update", "tenant-11": "update"}
    sent = received(fn)[20:]
    assert sorted(sent, key=lambda e: e["tenant"]) == [
        crud_event(changed["tenant-04"], "update", inputs["tenant-04"]),
        crud_event(changed["tenant-11"], "update", inputs["tenant-11"]),
    ]

    kept = {k: v for k, v in changed.items() if k not in ("tenant-00", "tenant-07", "tenant-19")}
    removed = run(kept)
    assert removed.rc == 0, removed.output
    assert {k: v for k, v in removed.item()["actions"].items() if v != "none"} == {
        "tenant-00": "delete", "tenant-07": "delete", "tenant-19": "delete"}
    sent = received(fn)[22:]
    assert sorted(sent, key=lambda e: e["tenant"]) == [
        crud_event(changed[k], "delete", changed[k]) for k in ("tenant-00", "tenant-07", "tenant-19")]
    assert ansible.record("tenants[tenant-07]") is None
    assert ansible.record("tenants[tenant-08]") is not None

    gone = run(state="absent")
    assert gone.rc == 0, gone.output
    assert sorted(k for k, v in gone.item()["actions"].items() if v == "delete") == sorted(kept)
    sent = received(fn)[25:]
    assert sorted(sent, key=lambda e: e["tenant"]) == [crud_event(kept[k], "delete", kept[k]) for k in sorted(kept)]
    assert all(ansible.record("tenants[%s]" % k) is None for k in KEYS)
    assert fn.counts()["RequestResponse"] == 42


@newest_core_only
def test_with_a_store_only_the_failed_keys_are_invoked_again(functions, ansible, tmp_path: Path):
    fn = functions.deploy("for-each-fail")
    root = tmp_path / "records"
    root.mkdir()
    flag = tmp_path / "fail"
    flag.write_text("", encoding="utf-8")
    failing = ("tenant-02", "tenant-09", "tenant-15")
    inputs = {key: {"tenant": key, **({"fail_while": str(flag)} if key in failing else {})} for key in KEYS}
    entry = dict(item_args(fn, id="tenants", record_store="file://%s" % root), for_each=inputs)

    first = ansible.run(invocations=[entry])
    outcome = first.item()
    assert outcome["failed"] is True
    assert sorted(outcome["failed_keys"]) == sorted(failing)
    for key in failing:
        assert repr(key) in outcome["msg"]
    assert len(fn.events()) == 20
    stored = sorted(p.name for p in (root / "localhost").iterdir() if p.name.endswith(".json"))
    assert len(stored) == 17, stored
    for path in (root / "localhost").glob("*.json"):  # each succeeded key: its record, no marker
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["in_flight"] is None and document["record"]["input"]["tenant"] not in failing, document

    flag.unlink()
    second = ansible.run(invocations=[entry])
    assert second.rc == 0, second.output
    assert {k: v for k, v in second.item()["actions"].items() if v != "none"} == {k: "create" for k in failing}
    assert sorted(json.loads(e)["tenant"] for e in fn.events()[20:]) == sorted(failing)


def test_with_facts_a_failed_key_warns_that_the_others_run_again(functions, ansible, tmp_path: Path):
    fn = functions.deploy("for-each-facts-fail")
    flag = tmp_path / "fail"
    flag.write_text("", encoding="utf-8")
    entry = dict(item_args(fn, id="few"), for_each={"a": {"n": 1}, "b": {"n": 2, "fail_while": str(flag)}})
    first = ansible.run(invocations=[entry])
    assert first.item()["failed_keys"].keys() == {"b"}
    assert first.warnings("Ansible drops the facts of a failed task") == 1
    assert first.warnings("record_store") >= 1


@newest_core_only
def test_concurrency_at_the_endpoint_never_above_max_concurrency(functions, ansible):
    fn = functions.deploy("for-each-parallel", SLEEP_SECONDS="0.5")
    inputs = {"k%02d" % n: {"n": n} for n in range(12)}
    run = ansible.run(invocations=[dict(item_args(fn, id="par", max_concurrency=3), for_each=inputs)])
    assert run.rc == 0, run.output
    in_flight, most = 0, 0
    for entry in fn.entries():  # the log's lines in the order the handlers wrote them
        in_flight += 1 if entry["phase"] == "received" else -1
        most = max(most, in_flight)
    assert fn.finished() == 12
    assert most == 3  # in parallel (the endpoint runs handlers concurrently), and never more than 3


@newest_core_only
@pytest.mark.parametrize("bad, message", [
    ({"input": {"a": 1}}, "for_each and input are mutually exclusive"),
    ({"max_concurrency": 0}, "max_concurrency must be"),
    ({"for_each_extra": {"big": {"s": "x" * 6291500}}}, "for_each key 'big': input is too large"),
])
def test_bad_input_names_the_key_and_invokes_nothing(functions, ansible, bad, message):
    fn = functions.deploy("for-each-bad")
    entry = dict(item_args(fn, id="bad"), for_each={"ok": {"n": 1}})
    if "for_each_extra" in bad:
        entry["for_each"] = dict(entry["for_each"], **bad["for_each_extra"])
    else:
        entry.update(bad)
    run = ansible.run(invocations=[entry])
    assert run.item()["failed"] is True
    assert message in run.item()["msg"], run.item()["msg"]
    assert fn.events() == []
    assert ansible.record("bad[ok]") is None


@newest_core_only
def test_check_mode_dry_runs_each_planned_key(functions, ansible):
    fn = functions.deploy("for-each-check")
    run = ansible.run(invocations=[dict(item_args(fn, id="chk"), for_each={"a": {"n": 1}, "b": {"n": 2}})],
                      check=True, diff=True)
    assert run.rc == 0, run.output
    assert run.item()["actions"] == {"a": "create", "b": "create"}
    assert fn.counts() == {"RequestResponse": 0, "DryRun": 2, "Event": 0}
    assert ansible.record("chk[a]") is None
    diff = run.item()["diff"]
    assert diff["prepared"] == "chk[a]: lambda_invocation: create (no record)\nchk[b]: lambda_invocation: create (no record)\n"
    assert diff["before"] == {"a": {}, "b": {}} and diff["after"]["b"]["input"] == {"n": 2}
