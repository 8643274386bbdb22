# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers: run a module's main() with given args on ansible-core 2.18 and later; run a task
through the one driver (plugin_utils/driver.py) against a real store, with a stand-in for the module
that answers a request by key, as plugins/modules/lambda_invocation.py does."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.driver import Context
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.driver import run_task
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import EARLIER_ATTEMPTS
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.file import FileStore

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
    """run_module(main, args) -> the module's result dict (failed=True on fail_json), with the
    module's warnings as ``warnings`` (as ansible-core's own exit_json adds them)."""

    def with_warnings(kwargs: Dict[str, Any]) -> Dict[str, Any]:
        found = [str(w) for w in warnings.get_warning_messages()]
        if found and "warnings" not in kwargs:
            kwargs["warnings"] = found
        return kwargs

    def exit_json(self, **kwargs: Any) -> None:
        kwargs.setdefault("changed", False)
        raise ModuleExit(with_warnings(kwargs))

    def fail_json(self, msg: str = "", **kwargs: Any) -> None:
        kwargs.update(failed=True, msg=msg)
        raise ModuleExit(with_warnings(kwargs))

    warnings._global_warnings.clear()  # pylint: disable=protected-access  # what earlier tests warned

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(main: Any, args: Dict[str, Any]) -> Dict[str, Any]:
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as caught:
                main()
        return caught.value.result

    return run


# -- the one driver, with a stand-in for the module ------------------------------------------

CONTROLLER = {"host": "ci-7", "user": "runner", "pid": 4242, "worker_pid": 4243}
NOW = "2026-11-29T12:00:00Z"
HOST = "h"


class Module:
    """Stands in for the module. ``fail`` maps a call number, or (call number, key), to an outcome
    kind for that key; ``raw`` maps a call number to the whole result (a module that died, ...).
    ``durable`` says whether the function is a durable one (None: not, as the module finds when it
    reads the configuration); ``executions`` maps a durable execution name to what Lambda holds of it
    ({"Status": ..., "Result": ...}), for invocations looked up (recover: auto)."""

    def __init__(self, peek: Optional[Callable[[], Any]] = None, fail: Optional[Dict[Any, str]] = None,
                 raw: Optional[Dict[int, Dict[str, Any]]] = None, function: Optional[Dict[str, str]] = None,
                 durable: Optional[bool] = None, executions: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
        self.peek = peek or (lambda: None)
        self.fail = fail or {}
        self.raw = raw or {}
        self.function = function or {}
        self.durable = durable
        self.executions = executions or {}
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
            outcomes[key] = self._key(key, planned, number, completed)
        answer: Dict[str, Any] = {"changed": bool(completed), "invocations": completed, "outcomes": outcomes,
                                  "durable": {"fn:$LATEST": bool(self.durable)}}
        if request["describe"]:
            answer["function"] = dict(self.function)
        return answer

    def _key(self, key: str, planned: List[Dict[str, Any]], number: int, completed: List[Dict[str, Any]]) -> Dict[str, Any]:
        done = []
        for entry in planned:
            entry = dict(entry, status_code=200, response='{"n":%d}' % number)
            if entry.pop("lookup", False):
                if not self.durable:
                    return {"kind": "not_completed", "done": done, "msg": "fn is not a durable function",
                            "not_durable": True}
                found = self.executions.get(entry["idempotency_key"], {"Status": "not found"})
                entry.update(recovered="lambda", execution_status=found["Status"])
                if found["Status"] == "SUCCEEDED":
                    entry["response"] = found["Result"]
                elif found["Status"] == "FAILED":
                    return {"kind": "function_error", "done": done, "msg": "the durable execution had FAILED",
                            "failed_invocation": dict(entry, function_error="Unhandled")}
            done.append(entry)
            completed.append(dict(entry, key=key))
        results = [e["response"] for e in done if e["action"] != "delete"]
        return {"kind": "done", "done": done, "result": results[-1] if results else None}

    def payloads(self) -> List[str]:
        return [entry["payload"] for call in self.calls for planned in call["keys"].values() for entry in planned]

    def keys(self) -> List[List[str]]:
        return [sorted(call["keys"]) for call in self.calls]

    def names(self) -> List[str]:
        """The idempotency keys of every invocation the module was asked for, in order."""
        return [entry.get("idempotency_key") for call in self.calls for planned in call["keys"].values()
                for entry in planned]


@pytest.fixture(autouse=True)
def _new_worker() -> None:
    """Each test is a worker process of its own: no task of it ran before (stores/facts.py)."""
    EARLIER_ATTEMPTS.clear()


@pytest.fixture
def store(tmp_path) -> FileStore:
    """A file store in a temporary directory."""
    return FileStore(parse_url("file://%s" % tmp_path))


@pytest.fixture
def stand_in() -> Any:
    """The class that stands in for the module (see Module)."""
    return Module


@pytest.fixture
def run() -> Any:
    """run(store, module, options, ...) -> the task's result, as the action plugin runs the task."""
    return run_task_on


def run_task_on(store: Any, module: Module, options: Dict[str, Any], *, check_mode: bool = False,
                facts: Any = None, legacy: Any = None, uuid: str = "uuid-1") -> Dict[str, Any]:
    """One task, as the action plugin runs it: the task's result (and the ``ansible_facts`` it sets)."""
    wanted = dict({"function_name": "fn", "id": "t", "lifecycle_scope": "CRUD"}, **options)
    facts = store._facts if isinstance(store, FactsStore) else (facts or {})  # pylint: disable=protected-access
    context = Context(HOST, facts, module, check_mode=check_mode, task_uuid=uuid, legacy=lambda: legacy,
                      controller=CONTROLLER, now=lambda: NOW, store=store)
    return run_task(wanted, context)
