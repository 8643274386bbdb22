# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the action plugin hands the module, and what the module hands back: the wire form.

The request holds the planned invocations by key (a task without for_each is the one key ``""``),
each with its exact payload and its idempotency key (a durable function's execution name), whether
the function is to be read first, and what is known of which targets are durable functions. The
answer holds one outcome per key, as data (docs/lifecycle.md, "Module outcome"):

- ``done``: every invocation of the key returned; ``result`` is the last create/update response;
- ``function_error``: the function ran and failed (FunctionError, or expect_result not met);
- ``not_completed``: Lambda refused before the function ran, or the module refused before calling;
- ``unknown``: the function may have run (no answer in time, connection lost, a 5xx answer).

Standard library only: the controller imports it too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_QUALIFIER

DONE = "done"
FUNCTION_ERROR = "function_error"
NOT_COMPLETED = "not_completed"
UNKNOWN = "unknown"
KINDS = (DONE, FUNCTION_ERROR, NOT_COMPLETED, UNKNOWN)

# The module's answer when it stopped before calling AWS (its own argument checks, no region, ...):
# set by the module on every such failure, so the controller knows that nothing was sent.
NOTHING_SENT = "nothing_sent"

# What reinvoke_on compares, from GetFunctionConfiguration.
CONFIGURATION_FIELDS = ("Runtime", "Handler", "MemorySize", "Timeout", "Environment", "Layers", "Role", "Architectures")


@dataclass(frozen=True)
class Target:
    function_name: str
    qualifier: str = DEFAULT_QUALIFIER
    tenant_id: Optional[str] = None

    def describe(self) -> str:
        text = "%s (qualifier %s" % (self.function_name, self.qualifier)
        if self.tenant_id:
            text += ", tenant %s" % self.tenant_id
        return text + ")"

    def name(self) -> str:
        """The target as the request's ``durable`` mapping names it."""
        return "%s:%s" % (self.function_name, self.qualifier)


@dataclass(frozen=True)
class Invocation:
    """One call of a function, with the exact bytes it will receive.

    ``key`` is the invocation's idempotency key: stable for one transition of one record (a retry of
    the same in-flight marker reuses it), sent as a durable function's DurableExecutionName. ``lookup``
    asks the module to look that execution up before invoking (recovering a marker)."""

    action: str  # create, update or delete
    target: Target
    payload: bytes
    key: Optional[str] = None
    lookup: bool = False

    @classmethod
    def from_description(cls, entry: Mapping[str, Any]) -> "Invocation":
        target = Target(entry["function_name"], entry["qualifier"], entry.get("tenant_id"))
        return cls(entry["action"], target, str(entry["payload"]).encode("utf-8"), entry.get("idempotency_key"),
                   bool(entry.get("lookup")))

    def describe(self) -> Dict[str, Any]:
        found = {
            "action": self.action,
            "function_name": self.target.function_name,
            "qualifier": self.target.qualifier,
            "tenant_id": self.target.tenant_id,
            "payload": self.payload.decode("utf-8"),
        }
        if self.key is not None:
            found["idempotency_key"] = self.key
        if self.lookup:
            found["lookup"] = True
        return found


def request(keys: Mapping[str, List[Invocation]], *, describe: Sequence[str] = (),
            durable: Optional[Mapping[str, bool]] = None, probe: Sequence[Target] = ()) -> Dict[str, Any]:
    """The module's request: each key's invocations, in order; ``describe``: read the function first,
    for these parts of it (reinvoke_on); ``durable``: which targets are known to be durable functions
    or not (the module reads the others' configuration once); ``probe``: targets to find that of
    without invoking anything (recover: auto, before it touches a marker)."""
    found: Dict[str, Any] = {"describe": list(describe), "durable": dict(durable or {}),
                             "keys": {key: [i.describe() for i in planned] for key, planned in keys.items()}}
    if probe:
        found["probe"] = [{"function_name": t.function_name, "qualifier": t.qualifier} for t in probe]
    return found


def unmet(expected: Any, actual: Any, path: str = "") -> Optional[str]:
    """Where ``actual`` (a parsed response) does not contain ``expected`` (expect_result): every key of
    a mapping, recursively, with an equal value (a list is compared whole, 1 and 1.0 and true differ);
    None when it does."""
    where = path or "the response"
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return "%s is %s, not an object" % (where, _json(actual))
        for name, value in expected.items():
            if name not in actual:
                return "%s has no %s" % (where, _json(name))
            found = unmet(value, actual[name], "%s.%s" % (path, name) if path else str(name))
            if found:
                return found
        return None
    if _json(expected, sort=True) != _json(actual, sort=True):
        return "%s is %s, not %s" % (where, _json(actual), _json(expected))
    return None


def _json(value: Any, sort: bool = False) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort)


def outcome(kind: str, done: List[Dict[str, Any]], msg: Optional[str] = None, **extra: Any) -> Dict[str, Any]:
    """One key's outcome: its kind, the invocations that returned, and on failure the message."""
    found: Dict[str, Any] = {"kind": kind, "done": done}
    if msg is not None:
        found["msg"] = msg
    found.update((k, v) for k, v in extra.items() if v is not None)
    return found


def function_state(configuration: Mapping[str, Any], reinvoke_on: Any) -> Dict[str, str]:
    """What reinvoke_on compares, from one GetFunctionConfiguration answer: ``code`` is the
    qualified version's CodeSha256, ``configuration`` a SHA-256 of its runtime, handler, memory,
    timeout, environment variables, layers, role and architectures (never the values themselves)."""
    state: Dict[str, str] = {}
    if "code" in reinvoke_on:
        state["code"] = str(configuration.get("CodeSha256") or "")
    if "configuration" in reinvoke_on:
        picked = {name: configuration.get(name) for name in CONFIGURATION_FIELDS}
        picked["Environment"] = (configuration.get("Environment") or {}).get("Variables") or {}
        picked["Layers"] = [layer.get("Arn") for layer in configuration.get("Layers") or []]
        picked["Architectures"] = list(configuration.get("Architectures") or ["x86_64"])
        text = json.dumps(picked, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        state["configuration"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return state
