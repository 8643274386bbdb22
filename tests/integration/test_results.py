# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a task returns besides the lifecycle: result, result_json, the log tail, and the warning
when the records would be lost with the run."""

from __future__ import annotations

import json

from lambda_e2e import item_args

MEMORY_WARNING = "fact caching is 'memory', so the records are lost when this run ends"
EXPIRY_WARNING = "fact_caching_timeout is %d seconds: a record that no run rewrites within that time expires"


def test_result_json_and_log_tail(functions, ansible):
    fn = functions.deploy("answers")
    run = ansible.run(invocations=[
        item_args(fn, id="with-log", input={"n": 1}, tail_log=True),
        item_args(fn, id="without-log", input={"n": 2}),
    ])
    assert run.rc == 0, run.output
    with_log, without_log = run.items()
    assert with_log["result_json"] == {"received": {"n": 1}, "label": "", "version": "$LATEST"}
    assert json.loads(with_log["result"]) == with_log["result_json"]
    assert with_log["result"] == '{"received": {"n": 1}, "label": "", "version": "$LATEST"}'  # as the runtime wrote it
    log = with_log["log"]
    assert log.startswith("START RequestId: ")
    assert 'recorder  (version $LATEST) received {"n":1}' in log
    assert "END RequestId: " in log and "REPORT RequestId: " in log
    assert with_log["invocations"][0]["log"] == log
    assert "log" not in without_log and "log" not in without_log["invocations"][0]
    assert without_log["result_json"]["received"] == {"n": 2}


def test_memory_cache_warns_once_and_forgets(functions, ansible):
    fn = functions.deploy("memory")
    entries = [item_args(fn, id="id-%d" % n, input={"n": n}) for n in range(3)]
    first = ansible.run(invocations=entries, cache=None)  # no fact-cache setting: Ansible's memory cache
    assert first.rc == 0, first.output
    assert first.warnings(MEMORY_WARNING) == 1, first.output
    assert "fact_caching = jsonfile" in " ".join(first.stderr.split())
    # Nothing was kept: the next run invokes again.
    second = ansible.run(invocations=entries, cache=None)
    assert [i["action"] for i in second.items()] == ["create"] * 3
    assert fn.counts()["RequestResponse"] == 6

    # With a persistent cache that never expires there is no warning.
    kept = ansible.run(invocations=entries)
    assert kept.rc == 0, kept.output
    assert kept.warnings("cloudhooks.aws.lambda_invocation keeps what it invoked") == 0


def test_expiring_fact_cache_warns_once(functions, ansible):
    fn = functions.deploy("expiry")
    entries = [item_args(fn, id="id-%d" % n, input={"n": n}) for n in range(2)]
    expiring = ansible.run(invocations=entries, cache={
        "ANSIBLE_CACHE_PLUGIN": "jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(ansible.facts_dir),
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "3600",
    })
    assert expiring.rc == 0, expiring.output
    assert expiring.warnings(EXPIRY_WARNING % 3600) == 1, expiring.output
    assert expiring.warnings(MEMORY_WARNING) == 0
