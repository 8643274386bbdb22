# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper of the end-to-end playbooks: writes ``content`` to ``dest`` on the controller, as
the task's ``copy`` used to, but without running a module. A delegated ``copy`` runs two modules
(stat, then copy) on every playbook run of the suite, over a second of CPU each time on a 2-core
machine: most of what the suite's hundreds of runs spent beside the module under test."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Optional

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        dest = str(self._task.args["dest"])
        mode = int(str(self._task.args.get("mode", "0644")), 8)
        folder = os.path.dirname(dest) or "."
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".save_outcome-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(str(self._task.args["content"]))
            os.chmod(temporary, mode)
            os.replace(temporary, dest)
        except BaseException:
            os.unlink(temporary)
            raise
        result.update(changed=True, dest=dest)
        return result
