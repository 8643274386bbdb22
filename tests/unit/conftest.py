# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers: run a module's main() with given args on ansible-core 2.18 to 2.21."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator

import pytest

from ansible.module_utils import basic

try:  # ansible-core >= 2.19
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.18

    @contextlib.contextmanager
    def patch_module_args(args: Dict[str, Any]) -> Iterator[None]:
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


class ModuleExit(Exception):
    def __init__(self, result: Dict[str, Any]) -> None:
        super().__init__(result)
        self.result = result


@pytest.fixture
def run_module(monkeypatch):
    """run_module(main, args) -> the module's result dict (failed=True on fail_json)."""

    def exit_json(self, **kwargs: Any) -> None:
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg: str = "", **kwargs: Any) -> None:
        kwargs.update(failed=True, msg=msg)
        raise ModuleExit(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(main: Any, args: Dict[str, Any]) -> Dict[str, Any]:
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as caught:
                main()
        return caught.value.result

    return run
