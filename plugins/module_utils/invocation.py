# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the action plugin hands the module, and what the module hands back: the wire form.

The request holds the planned invocations by key (a task without for_each is the one key ``""``),
each with its exact payload, and whether the function is to be read first. The answer holds one
outcome per key, as data (docs/lifecycle.md, "Module outcome"):

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


@dataclass(frozen=True)
class Invocation:
    """One call of a function, with the exact bytes it will receive."""

    action: str  # create, update or delete
    target: Target
    payload: bytes

    @classmethod
    def from_description(cls, entry: Mapping[str, Any]) -> "Invocation":
        target = Target(entry["function_name"], entry["qualifier"], entry.get("tenant_id"))
        return cls(entry["action"], target, str(entry["payload"]).encode("utf-8"))

    def describe(self) -> Dict[str, Any]:
        return {
            "action": self.action,
            "function_name": self.target.function_name,
            "qualifier": self.target.qualifier,
            "tenant_id": self.target.tenant_id,
            "payload": self.payload.decode("utf-8"),
        }


def request(keys: Mapping[str, List[Invocation]], *, describe: Sequence[str] = ()) -> Dict[str, Any]:
    """The module's request: each key's invocations, in order; ``describe``: read the function first,
    for these parts of it (reinvoke_on)."""
    return {"describe": list(describe), "keys": {key: [i.describe() for i in planned] for key, planned in keys.items()}}


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
