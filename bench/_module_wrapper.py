# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Interpreter wrapper for the benchmark: runs one module process and notes its cost.

Used as ``ansible_python_interpreter="<venv python> bench/_module_wrapper.py"``, so Ansible runs
``<venv python> bench/_module_wrapper.py AnsiballZ_x.py``, or, pipelined (lambda_invocation always is
where the connection can), the wrapper with the AnsiballZ payload on its standard input. It runs the
real interpreter on it as a child (stdin, stdout and stderr passed through), then appends one JSON line
to $BENCH_MODULE_LOG: the module's name, its wall time, its CPU time and its peak RSS (max RSS
of the child, from getrusage(RUSAGE_CHILDREN)), and exits with the child's status.
"""
from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time

# The module a pipelined AnsiballZ payload runs, as its text names it.
_MODULE = re.compile(rb"(?:ansible_collections\.\w+\.\w+\.plugins|ansible)\.modules\.(\w+)")


def main() -> int:
    payload = None if len(sys.argv) > 1 else sys.stdin.buffer.read()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable] + sys.argv[1:], input=payload, check=False)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = os.environ.get("BENCH_MODULE_LOG")
    if log:
        if payload is None:
            script = os.path.basename(sys.argv[1])
        else:
            found = _MODULE.search(payload)
            script = found.group(1).decode() if found else "?"
        entry = {
            "module": script.replace("AnsiballZ_", "").replace(".py", ""),
            "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss,
            "rc": proc.returncode,
        }
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
