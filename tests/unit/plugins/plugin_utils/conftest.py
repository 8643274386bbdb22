# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner against real stores (file in a temporary directory, facts in memory) and a stand-in
for the module that answers a request by key, as plugins/modules/lambda_invocation.py does."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

import pytest

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.driver import Context
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.driver import run_task
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import EARLIER_ATTEMPTS
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.file import FileStore

CONTROLLER = {"host": "ci-7", "user": "runner", "pid": 4242, "worker_pid": 4243}
NOW = "2026-11-29T12:00:00Z"
HOST = "h"


class Module:
    """Stands in for the module. ``fail`` maps a call number, or (call number, key), to an outcome
    kind for that key; ``raw`` maps a call number to the whole result (a module that died, ...)."""

    def __init__(self, peek: Optional[Callable[[], Any]] = None, fail: Optional[Dict[Any, str]] = None,
                 raw: Optional[Dict[int, Dict[str, Any]]] = None, function: Optional[Dict[str, str]] = None) -> None:
        self.peek = peek or (lambda: None)
        self.fail = fail or {}
        self.raw = raw or {}
        self.function = function or {}
        self.calls: List[Dict[str, Any]] = []
        self.seen: List[Any] = []

    def __call__(self, request: Dict[str, Any]) -> Dict[str, Any]:
        number = len(self.calls)
        self.calls.append(json.loads(json.dumps(request)))
        self.seen.append(self.peek())
        if number in self.raw:
            return self.raw[number]
        outcomes, completed = {}, []
        for key, planned in request["keys"].items():
            kind = self.fail.get((number, key)) or self.fail.get(number)
            if kind:
                outcomes[key] = {"kind": kind, "done": [], "msg": "boom"}
                continue
            done = [dict(entry, status_code=200, response='{"n":%d}' % number) for entry in planned]
            completed.extend(dict(entry, key=key) for entry in done)
            outcomes[key] = {"kind": "done", "done": done, "result": '{"n":%d}' % number}
        answer: Dict[str, Any] = {"changed": bool(completed), "invocations": completed, "outcomes": outcomes}
        if request["describe"]:
            answer["function"] = dict(self.function)
        return answer

    def payloads(self) -> List[str]:
        return [entry["payload"] for call in self.calls for planned in call["keys"].values() for entry in planned]

    def keys(self) -> List[List[str]]:
        return [sorted(call["keys"]) for call in self.calls]


@pytest.fixture(autouse=True)
def _new_worker() -> None:
    EARLIER_ATTEMPTS.clear()


@pytest.fixture
def store(tmp_path) -> FileStore:
    return FileStore(parse_url("file://%s" % tmp_path))


def run(store: Any, module: Module, options: Dict[str, Any], *, check_mode: bool = False, facts: Any = None,
        legacy: Any = None, uuid: str = "uuid-1") -> Dict[str, Any]:
    """One task, as the action plugin runs it: the task's result (and the ``ansible_facts`` it sets)."""
    wanted = dict({"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD"}, **options)
    facts = store._facts if isinstance(store, FactsStore) else (facts or {})  # pylint: disable=protected-access
    context = Context(HOST, facts, module, check_mode=check_mode, task_uuid=uuid, legacy=lambda: legacy,
                      controller=CONTROLLER, now=lambda: NOW, store=store)
    return run_task(wanted, context)
