# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Process and zip helpers of the endpoint: handler processes in their own process group, the
set of those still running, and unpacking a deployment package. Used by server.py and invoke.py."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group `proc` leads (it was started with start_new_session=True)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class RunningProcesses:
    """The handler processes still running, so that stopping the server can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[bytes]] = set()

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def kill_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            kill_group(proc)


def unpack_zip(code: bytes, target: str) -> None:
    """Unpack a zip to `target` atomically: several invocations may race for the same code, and
    the first rename wins. Raises zipfile.BadZipFile when `code` is not a zip."""
    staging = tempfile.mkdtemp(prefix=".unpack-", dir=os.path.dirname(target))
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(staging)
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not os.path.isdir(target):
            raise
    except zipfile.BadZipFile:
        shutil.rmtree(staging, ignore_errors=True)
        raise
