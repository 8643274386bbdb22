# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugins as a task runs them, with the stand-in module (tests/unit/conftest.py) in place of
the module: ``action.module`` is it, and ``action.module.calls`` what it was asked."""

from __future__ import annotations

from typing import Any, Dict, Optional
from unittest.mock import MagicMock

import pytest


@pytest.fixture
def action_of(stand_in: Any) -> Any:
    """action_of(plugin, args, module_options, check_mode=, diff=, uuid=) -> the plugin's action."""

    def build(plugin: Any, args: Dict[str, Any], module: Dict[str, Any], *, check_mode: bool = False,
              diff: bool = False, uuid: Optional[str] = None) -> Any:
        task = MagicMock()
        task.args = args
        task.check_mode, task.diff, task.async_val = check_mode, diff, 0
        task.delegate_to, task.delegate_facts = None, None
        if uuid:
            task._uuid = uuid
        action = plugin.ActionModule(task, connection=MagicMock(), play_context=MagicMock(), loader=None,
                                     templar=None, shared_loader_obj=None)
        action.module = stand_in(**module)
        action._execute_module = MagicMock(side_effect=lambda module_name, module_args, task_vars: action.module(
            module_args["_request"]))
        action._display = MagicMock()
        action._load_name = "cloudhooks.aws.%s" % action.__module__.rsplit(".", 1)[-1]  # the plugin loader sets it
        return action

    return build
