# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper (not part of the collection): one JSON line per task result in $BENCH_TASK_LOG.

Enabled only for the benchmark's breakdown run (ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins,
ANSIBLE_CALLBACKS_ENABLED=bench_timer). Each line holds the task's action and the seconds from
the task's start (v2_playbook_on_task_start) to its result, as the controller sees them.
"""
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: bench_timer
    type: aggregate
    short_description: time each task for bench/run
    description: Writes one JSON line per task result to $BENCH_TASK_LOG.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._start = 0.0
        self._log = os.environ.get("BENCH_TASK_LOG")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start = time.perf_counter()

    def _done(self, result, status):
        if not self._log:
            return
        entry = {"action": result._task.action, "status": status, "s": time.perf_counter() - self._start}
        with open(self._log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")
