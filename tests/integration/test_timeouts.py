# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Long functions: the default timeout waits past botocore's 60 s read timeout without resending;
a short timeout fails clearly and does not resend either."""

from __future__ import annotations

import time

from lambda_e2e import item_args


def wait_until_finished(fn, count, seconds):
    deadline = time.monotonic() + seconds
    while fn.finished() < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return fn.finished()


def test_short_timeout_fails_clearly_and_does_not_resend(functions, ansible):
    fn = functions.deploy("slow", timeout=30, SLEEP_SECONDS="6")
    run = ansible.run(invocations=[item_args(fn, id="slow", input={"job": "slow"}, timeout=2)])
    item = run.item()
    assert item["failed"] is True, run.output
    assert "within timeout=2 seconds" in item["msg"], item["msg"]
    assert "not resent" in item["msg"] and "may still be running" in item["msg"]
    assert ansible.record("slow") is None
    # The handler goes on and finishes; it was invoked once, and never again.
    assert wait_until_finished(fn, 1, 20) == 1
    assert fn.counts()["RequestResponse"] == 1
    assert len(fn.events()) == 1


def test_function_running_past_botocore_read_timeout_is_invoked_once(long_run):
    """A 65 s handler with the default timeout. The run starts at the beginning of the session
    (conftest.long_run, which knows this test by its name, LONG_TEST) and this test, run last,
    waits for it."""
    run = long_run.pending.wait(timeout=300)
    assert run.rc == 0, run.output
    item = run.item()
    assert (item["changed"], item["action"]) == (True, "create")
    assert item["result_json"]["received"] == {"job": "long"}
    assert run.seconds >= 65
    fn = long_run.function
    assert fn.counts()["RequestResponse"] == 1
    assert len(fn.events()) == 1 and fn.finished() == 1
