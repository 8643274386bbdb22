# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failures: a function error fails the task and keeps the record, so the next run retries the
same transition; bad input fails before anything is invoked."""

from __future__ import annotations

from lambda_e2e import compact, item_args

FAILURE = "RuntimeError: failing on purpose while"


def test_function_error_keeps_the_record_and_the_next_run_retries(functions, ansible, tmp_path):
    flag = tmp_path / "fail-now"
    fn = functions.deploy("flaky", FAIL_FLAG=str(flag))
    first, second = {"version": 1}, {"version": 2}

    def run(value):
        return ansible.run(invocations=[item_args(fn, id="flaky", lifecycle_scope="CRUD", input=value)])

    create = compact({**first, "tf": {"action": "create", "prev_input": None}})
    update = compact({**second, "tf": {"action": "update", "prev_input": first}})

    # The create fails: the task fails with the function's error, and nothing is stored.
    flag.touch()
    failed = run(first)
    item = failed.item()
    assert item["failed"] is True, failed.output
    assert FAILURE in item["msg"] and "create invocation" in item["msg"]
    assert item["action"] == "create"
    assert [i["function_error"] for i in item["invocations"]] == ["Unhandled"]
    assert "rescued=1" in failed.stdout  # the playbook's rescue ran: the task really failed
    assert fn.events() == [create]
    assert ansible.record("flaky") is None

    # Once the function works, the next run sends the same create and stores the record.
    flag.unlink()
    retried = run(first)
    assert retried.rc == 0, retried.output
    assert (retried.item()["action"], retried.item()["invocations"][0]["payload"]) == ("create", create)
    assert fn.events() == [create, create]
    assert ansible.record("flaky")["input"] == first

    # The update fails: the record keeps the old input ([ours]; Terraform would store the new one).
    flag.touch()
    failed_update = run(second)
    assert failed_update.item()["failed"] is True, failed_update.output
    assert FAILURE in failed_update.item()["msg"] and "update invocation" in failed_update.item()["msg"]
    assert fn.events() == [create, create, update]
    assert ansible.record("flaky")["input"] == first

    # ... so the next run sends the same update again, with the same prev_input.
    flag.unlink()
    retried_update = run(second)
    assert retried_update.rc == 0, retried_update.output
    assert (retried_update.item()["action"], retried_update.item()["invocations"][0]["payload"]) == ("update", update)
    assert fn.events() == [create, create, update, update]
    assert ansible.record("flaky")["input"] == second
    assert fn.counts()["RequestResponse"] == 4


def test_replace_whose_create_fails_keeps_the_old_record_and_repeats_the_delete(functions, ansible, tmp_path):
    """The module's notes: the record still names the old target and input; the next run sends
    delete to the old target again, then create."""
    flag = tmp_path / "fail-label"
    fn = functions.deploy("replace", FAIL_FLAG=str(flag))
    fn.publish("v1")
    fn.publish("v2")
    settings = {"tenant": "acme"}
    create = compact({**settings, "tf": {"action": "create", "prev_input": None}})
    delete = compact({**settings, "tf": {"action": "delete", "prev_input": settings}})

    def run(qualifier):
        return ansible.run(invocations=[
            item_args(fn, id="tenant", lifecycle_scope="CRUD", qualifier=qualifier, input=settings),
        ])

    assert run("1").rc == 0
    flag.write_text("v2")  # only version 2 fails
    failed = run("2")
    item = failed.item()
    assert item["failed"] is True, failed.output
    assert item["action"] == "replace"
    assert "create invocation" in item["msg"] and "Already done in this run: delete of" in item["msg"]
    assert [(i["action"], i["qualifier"]) for i in item["invocations"]] == [("delete", "1"), ("create", "2")]
    assert ansible.record("tenant")["qualifier"] == "1"

    flag.unlink()
    retried = run("2")
    assert retried.rc == 0, retried.output
    assert [(i["action"], i["qualifier"]) for i in retried.item()["invocations"]] == [("delete", "1"), ("create", "2")]
    assert [(e["label"], e["event"]) for e in fn.received()] == [
        ("v1", create),
        ("v1", delete), ("v2", create),  # the failed run
        ("v1", delete), ("v2", create),  # the retry
    ]
    assert ansible.record("tenant")["qualifier"] == "2"


def test_bad_input_fails_before_anything_is_invoked(functions, ansible):
    fn = functions.deploy("strict")
    assert ansible.run(invocations=[item_args(fn, id="kept", input={"a": 1})]).rc == 0
    cache_before = ansible.cache_bytes()

    bad = ansible.run(invocations=[
        item_args(fn, id="crud-list", lifecycle_scope="CRUD", input=["not", "an", "object"]),
        item_args(fn, id="crud-key", lifecycle_scope="CRUD", input={"tf": "mine"}),
        item_args(fn, id="not-json", input="{not json"),
        item_args(fn, id="no-input"),
        item_args(fn, id="bad-triggers", input={"a": 1}, triggers=["x"]),
        item_args(fn, id="kept", lifecycle_scope="SOMETIMES", input={"a": 1}),
        # {"blob":"xx...x"}: one byte over Lambda's synchronous limit of 6,291,456 bytes.
        item_args(fn, id="too-big", input={"blob": "x" * (6291456 - len('{"blob":""}') + 1)}),
    ])
    messages = [item.get("msg", "") for item in bad.items()]
    assert all(item["failed"] for item in bad.items()), bad.output
    assert "input must be a JSON object when lifecycle_scope is CRUD, got a list" in messages[0]
    assert "already has the key 'tf'" in messages[1] and "choose another terraform_key" in messages[1]
    assert "input is not valid JSON" in messages[2]
    assert "input is required when state is present" in messages[3]
    assert "triggers must be a mapping, got a list" in messages[4]
    assert "lifecycle_scope" in messages[5] and "SOMETIMES" in messages[5]
    assert "too large" in messages[6] and "6291457 bytes" in messages[6] and "6291456" in messages[6]
    assert fn.counts() == {"RequestResponse": 1, "DryRun": 0, "Event": 0}
    assert len(fn.events()) == 1
    assert ansible.cache_bytes() == cache_before
