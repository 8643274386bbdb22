# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records without secrets (record_input: digest, record_result: false), re-invoking when the
function's code or configuration changes (reinvoke_on), and asynchronous calls (invocation_type:
Event), end to end against the local endpoint."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List

from lambda_e2e import RECORDER_SOURCE, compact, item_args, local_lambda, newest_core_only

SECRET = "Sup3r-S3cret-9f1c7a"


def all_files_text(directory) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(directory.rglob("*")) if p.is_file())


def lambda_requests(endpoint: str, name: str) -> List[str]:
    """The Lambda API operations the endpoint received for function ``name``, in order."""
    found = local_lambda.api_requests(endpoint)["requests"]
    return [r["operation"] for r in found if r["service"] == "lambda" and "/functions/%s/" % name in r["path"]]


def wait_for_events(function, count: int) -> List[str]:
    """An Event invocation runs after its 202: wait (up to a minute) until ``count`` events arrived."""
    deadline = time.monotonic() + 60
    while len(function.events()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return function.events()


# -- record_input: digest, record_result: false, no_log -----------------------------------------


def test_no_log_digest_and_no_result_keep_a_secret_out_of_output_cache_and_diff(functions, ansible):
    fn = functions.deploy("secret")
    runs = []
    for options in ({}, {"diff": True}, {"check": True, "diff": True}):
        runs.append(ansible.run("secret.yml", function_name=fn.name, secret=SECRET, env={"ANSIBLE_VERBOSITY": "4"}, **options))
    for run in runs:
        assert run.rc == 0, run.output
        assert SECRET not in run.stdout and SECRET not in run.stderr, run.output
        assert "the output has been hidden" in run.stdout  # no_log did hide the task
    created = runs[0].outcome()
    # the invoking run returns the response (the recorder answers with what it received)
    assert (created["action"], created["result_json"]["received"]["password"]) == ("create", SECRET)
    assert runs[1].outcome()["action"] == "none" and runs[1].outcome()["result"] is None
    assert fn.events() == [compact({"user": "app", "password": SECRET})]  # sent once, as given
    cache = all_files_text(ansible.facts_dir)
    assert SECRET not in cache
    stored = ansible.record("db-user")
    assert stored["input"] is None and stored["result"] is None and len(stored["input_digest"]["sha256"]) == 64
    # without no_log, --diff of a changed run shows that the stored side (and the task's) is a digest
    shown = ansible.run(invocations=[item_args(fn, id="db-user", record_input="digest", record_result=False,
                                               input={"user": "app2", "password": SECRET})], diff=True)
    assert shown.rc == 0, shown.output
    assert shown.warnings("record_input: digest; the input itself is not stored") == 2, shown.output
    assert SECRET not in shown.stdout and SECRET not in json.dumps(shown.item()["diff"])
    assert shown.item()["action"] == "replace" and len(fn.events()) == 2


def test_digest_records_compare_as_json_reinvoke_on_a_changed_value_and_are_salted_per_host(functions, ansible):
    fn = functions.deploy("digest")
    hosts = "controller_a,controller_b"

    def run(value: Dict[str, Any]):
        return ansible.run(target_hosts=hosts, invocations=[item_args(fn, id="seed", record_input="digest", input=value)])

    first = run({"a": 1, "b": [1, 2]})
    assert first.rc == 0, first.output
    a, b = ansible.record("seed", "controller_a"), ansible.record("seed", "controller_b")
    assert a["input"] is None and b["input"] is None
    assert a["input_digest"]["salt"] != b["input_digest"]["salt"]
    assert a["input_digest"]["sha256"] != b["input_digest"]["sha256"]

    reordered = run({"b": [1, 2], "a": 1})
    assert reordered.rc == 0, reordered.output
    assert [reordered.item(host=h)["action"] for h in ("controller_a", "controller_b")] == ["none", "none"]
    assert len(fn.events()) == 2

    changed = run({"a": 2, "b": [1, 2]})
    assert changed.rc == 0, changed.output
    assert [changed.item(host=h)["action"] for h in ("controller_a", "controller_b")] == ["replace", "replace"]
    assert fn.events()[2:] == [compact({"a": 2, "b": [1, 2]})] * 2


# -- reinvoke_on ------------------------------------------------------------------------------------


@newest_core_only
def test_reinvoke_on_code_replaces_after_update_function_code_and_otherwise_only_reads_the_function(functions, ansible, endpoint):
    fn = functions.deploy("code")
    settings = {"tenant": "acme"}
    task = item_args(fn, id="code-watch", lifecycle_scope="CRUD", reinvoke_on=["code"], input=settings)
    create = compact({**settings, "tf": {"action": "create", "prev_input": None}})
    delete = compact({**settings, "tf": {"action": "delete", "prev_input": settings}})

    assert ansible.run(invocations=[task]).rc == 0
    local_lambda.reset_api_requests(endpoint)
    same = ansible.run(invocations=[task])
    assert same.rc == 0, same.output
    assert (same.item()["changed"], same.item()["action"]) == (False, "none")
    assert lambda_requests(endpoint, fn.name) == ["GetFunctionConfiguration"]
    assert fn.events() == [create]

    client = local_lambda.client(endpoint)
    client.update_function_code(FunctionName=fn.name, ZipFile=local_lambda.zip_source(RECORDER_SOURCE + "\n# v2\n"))
    local_lambda.reset_api_requests(endpoint)
    moved = ansible.run(invocations=[task])
    assert moved.rc == 0, moved.output
    assert (moved.item()["changed"], moved.item()["action"]) == (True, "replace")
    assert [(i["action"], i["payload"]) for i in moved.item()["invocations"]] == [("delete", delete), ("create", create)]
    assert lambda_requests(endpoint, fn.name) == ["GetFunctionConfiguration", "Invoke", "Invoke"]
    assert fn.events() == [create, delete, create]

    again = ansible.run(invocations=[task])
    assert again.item()["action"] == "none" and len(fn.events()) == 3


@newest_core_only
def test_reinvoke_on_configuration_replaces_after_an_environment_change(functions, ansible, endpoint):
    fn = functions.deploy("config")
    task = item_args(fn, id="config-watch", reinvoke_on=["configuration"], input={"x": 1})
    assert ansible.run(invocations=[task]).rc == 0
    same = ansible.run(invocations=[task])
    assert same.item()["action"] == "none" and len(fn.events()) == 1
    local_lambda.client(endpoint).update_function_configuration(
        FunctionName=fn.name, Environment={"Variables": {**fn.env, "MODE": "blue"}})
    moved = ansible.run(invocations=[task])
    assert moved.rc == 0, moved.output
    assert (moved.item()["action"], [i["action"] for i in moved.item()["invocations"]]) == ("replace", ["create"])
    assert fn.events() == ['{"x":1}', '{"x":1}']
    assert "MODE" not in json.dumps(ansible.record("config-watch"))  # a digest, not the variables


# -- invocation_type: Event ----------------------------------------------------------------------


@newest_core_only
def test_event_creates_updates_and_deletes_with_202_and_the_payloads_of_request_response(functions, ansible):
    queued, waited = functions.deploy("event"), functions.deploy("sync")

    def run(state="present", values=None):
        entries = [
            item_args(queued, lifecycle_scope="CRUD", invocation_type="Event", state=state, input=values),
            item_args(waited, lifecycle_scope="CRUD", state=state, input=values),
        ]
        return ansible.run(invocations=[{k: v for k, v in e.items() if v is not None} for e in entries])

    for step, (state, values) in enumerate((("present", {"k": 1}), ("present", {"k": 2}), ("absent", None)), start=1):
        result = run(state, values)
        assert result.rc == 0, result.output
        event_item, sync_item = result.items()
        assert event_item["action"] == sync_item["action"] == ("delete" if state == "absent" else ("create", "update")[step - 1])
        assert [i["status_code"] for i in event_item["invocations"]] == [202]
        assert event_item["result"] is None
        assert [i["payload"] for i in event_item["invocations"]] == [i["payload"] for i in sync_item["invocations"]]
        if state == "present":
            assert ansible.record(queued.name)["input"] == values  # stored once Lambda accepted it
        assert wait_for_events(queued, step) == waited.events()
    assert ansible.record(queued.name) is None
    assert queued.counts() == {"RequestResponse": 0, "DryRun": 0, "Event": 3}


@newest_core_only
def test_event_in_check_mode_sends_dry_run_and_tail_log_is_refused(functions, ansible):
    fn = functions.deploy("event-check")
    checked = ansible.run(check=True, invocations=[item_args(fn, invocation_type="Event", input={"a": 1})])
    assert checked.rc == 0, checked.output
    assert checked.item()["invocations"][0]["dry_run"] is True
    refused = ansible.run(invocations=[item_args(fn, invocation_type="Event", tail_log=True, input={"a": 1})])
    assert "tail_log cannot be used with invocation_type: Event" in refused.item()["msg"]
    assert fn.counts() == {"RequestResponse": 0, "DryRun": 1, "Event": 0}
