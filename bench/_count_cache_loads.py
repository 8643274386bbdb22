# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs an ansible-playbook and prints, at its end, how often a file of the fact cache was read.

Usage: python _count_cache_loads.py ANSIBLE_PLAYBOOK [ARGS...]   (with that ansible-core's Python)
Counts, with an audit hook, the opens for reading of files in ANSIBLE_CACHE_PLUGIN_CONNECTION (the
jsonfile cache directory) in the ansible-playbook process, where Ansible computes every task's
variables, and prints ``CACHE_LOADS=<n>`` on stderr when it exits.
"""
from __future__ import annotations

import atexit
import os
import runpy
import sys
from typing import Any, Tuple

CACHE_DIR = os.path.realpath(os.environ.get("ANSIBLE_CACHE_PLUGIN_CONNECTION") or "/nonexistent")
WRITING = os.O_WRONLY | os.O_RDWR
COUNT = [0]


def _hook(event: str, args: Tuple[Any, ...]) -> None:
    if event != "open" or not isinstance(args[0], (str, bytes)):
        return
    path = os.fsdecode(args[0])
    mode, flags = args[1], args[2]
    reading = ("r" in mode and "+" not in mode) if isinstance(mode, str) else not (flags or 0) & WRITING
    if reading and os.path.dirname(os.path.realpath(path)) == CACHE_DIR:
        COUNT[0] += 1


sys.addaudithook(_hook)
atexit.register(lambda: sys.stderr.write("CACHE_LOADS=%d\n" % COUNT[0]))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
