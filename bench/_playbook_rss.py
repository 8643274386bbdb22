# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs ansible-playbook in this process and writes its own peak RSS when it exits.

Usage: python bench/_playbook_rss.py OUT_JSON PATH_TO_ansible-playbook ARGS...
At exit (of the main process only: Ansible's forked workers leave through os._exit) it writes
{"self_maxrss_kb": RUSAGE_SELF, "children_maxrss_kb": RUSAGE_CHILDREN} to OUT_JSON: the peak of
the ansible-playbook process itself, and the largest of its waited-for descendants (workers and
module processes).
"""
from __future__ import annotations

import atexit
import json
import os
import resource
import runpy
import sys

_OUT = sys.argv[1]
_PID = os.getpid()


def _write() -> None:
    if os.getpid() != _PID:
        return
    with open(_OUT, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            },
            handle,
        )


atexit.register(_write)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
