# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs an ansible-playbook and prints, at its end, how often the fact cache was read from disk.

Usage: python _count_cache_loads.py ANSIBLE_PLAYBOOK [ARGS...]   (with that ansible-core's Python)
Counts the calls of the file cache plugins' _load (one read and decode of a host's cache file) in
the ansible-playbook process, where Ansible computes every task's variables, and prints
``CACHE_LOADS=<n>`` on stderr when it exits.
"""
from __future__ import annotations

import atexit
import runpy
import sys
from typing import Any

from ansible.plugins import cache

COUNT = [0]
_original = cache.BaseFileCacheModule._load


def _counted(self: Any, filepath: str) -> Any:
    COUNT[0] += 1
    return _original(self, filepath)


cache.BaseFileCacheModule._load = _counted  # type: ignore[method-assign]
atexit.register(lambda: sys.stderr.write("CACHE_LOADS=%d\n" % COUNT[0]))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
