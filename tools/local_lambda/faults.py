# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults injected into Invoke: what a test tells the endpoint to do to the next N invocations.

A fault matches Invoke requests (RequestResponse and Event, never DryRun) of one function,
optionally only those that named a given qualifier, and is used up after `count` of them:

* ``error`` with ``when="before"``: answer with that error code of Invoke's model; the handler
  does not run (and for a durable function no execution is started).
* ``error`` with ``when="after"``: run the handler to the end (a durable execution is recorded as
  it ended), then answer with the error instead of the result.
* ``delay_seconds``: hold the answer that long (after the handler, or before answering for
  ``when="before"``), so a client can be killed while the function has already run.
* ``close``: close the connection without any answer (``when="after"``: once the handler ran).

The plan belongs to one server (its admin path ``/_local_lambda/faults``).
"""
from __future__ import annotations

import dataclasses
import itertools
import threading
from typing import Any

from .errors import invoke_error_codes

WHEN = ("before", "after")


@dataclasses.dataclass
class Fault:
    """One injected fault; `remaining` counts the Invoke requests it still applies to."""

    id: int
    function: str
    qualifier: str | None
    when: str
    error: str | None
    message: str | None
    delay_seconds: float
    close: bool
    remaining: int

    def status(self) -> int:
        """The HTTP status AWS answers `error` with (botocore's model)."""
        return invoke_error_codes()[self.error] if self.error else 200

    def describe(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "status": self.status() if self.error else None}


def parse_fault(spec: Any, fault_id: int) -> Fault:
    """A Fault from the admin request's JSON object; ValueError says what is wrong with it."""
    if not isinstance(spec, dict):
        raise ValueError("the body must be a JSON object")
    unknown = sorted(set(spec) - {"function", "qualifier", "when", "error", "message", "delay_seconds", "close", "count"})
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}")
    function, qualifier, error = spec.get("function"), spec.get("qualifier"), spec.get("error")
    if not isinstance(function, str) or not function:
        raise ValueError("'function' (the function's name) is required")
    if qualifier is not None and (not isinstance(qualifier, str) or not qualifier):
        raise ValueError("'qualifier' must be a version, an alias or $LATEST")
    count, close, delay = spec.get("count", 1), spec.get("close", False), spec.get("delay_seconds", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("'count' must be a whole number of 1 or more")
    if not isinstance(close, bool):
        raise ValueError("'close' must be true or false")
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        raise ValueError("'delay_seconds' must be a number of 0 or more")
    if error is not None and error not in invoke_error_codes():
        raise ValueError(f"'error' must be an error code of Invoke's model, one of: {', '.join(sorted(invoke_error_codes()))}")
    if error and close:
        raise ValueError("give 'error' or 'close', not both")
    if not error and not close and not delay:
        raise ValueError("give 'error', 'close' or 'delay_seconds'")
    when = spec.get("when", "before" if error else "after")
    if when not in WHEN:
        raise ValueError("'when' must be 'before' (the handler does not run) or 'after' (it runs first)")
    message = spec.get("message")
    if message is not None and not isinstance(message, str):
        raise ValueError("'message' must be a string")
    return Fault(fault_id, function, qualifier, when, error, message, float(delay), close, count)


class FaultPlan:
    """The faults still pending on one server, first added first used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: Any) -> Fault:
        fault = parse_fault(spec, next(self._ids))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, function: str, qualifier: str | None) -> Fault | None:
        """Use up one application of the first fault matching this Invoke; None when none does."""
        with self._lock:
            for fault in self._faults:
                if fault.function == function and fault.qualifier in (None, qualifier):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
