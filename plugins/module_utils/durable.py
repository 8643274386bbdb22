# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durable functions (docs/lifecycle.md, "Exactly once").

A durable function (its configuration has ``DurableConfig``) is invoked with a qualifier and an
execution name, the invocation's idempotency key: Lambda answers the same name and payload with
the execution it already has (a synchronous call waits for it) instead of running it again, for
the function's retention period. So an invocation whose outcome a crash left unknown is looked up
by its name (``ListDurableExecutionsByFunction``, ``GetDurableExecution``) before it is sent again:
SUCCEEDED -> its result, nothing invoked; FAILED, TIMED_OUT or STOPPED -> a function error; RUNNING
or not found -> the same Invoke, which re-attaches or starts it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Dict, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target

FAILED_STATUSES = ("FAILED", "TIMED_OUT", "STOPPED")
POLL_SECONDS = 2


class NameTaken(Exception):
    """Lambda refused the execution name: another payload already used it (the function did not run)."""


class StillRunning(Exception):
    """The execution of that name was still running when the task's timeout ran out."""


class NotDurable(Exception):
    """A marker can be looked up in Lambda only for a durable function."""


class Durability:
    """Which targets are durable functions: declared by the task (``durable``), known from the
    request, else read once per target from its configuration (GetFunctionConfiguration). A
    botocore older than durable functions drops ``DurableConfig`` from what it parses: with
    ``raw`` the answer's body is read instead, so that such a function is still recognised."""

    def __init__(self, client: Any, declared: Optional[bool], known: Mapping[str, bool],
                 warn: Callable[[str], None], raw: bool = False) -> None:
        self.client = client
        self.declared = declared
        self.known: Dict[str, bool] = dict(known)
        self.warn = warn
        self.raw = raw
        self.lock = threading.Lock()

    def __call__(self, invocation: Invocation) -> bool:
        return self.of(invocation.target)

    def of(self, target: Target) -> bool:
        if self.declared is not None:
            return self.declared
        with self.lock:
            if target.name() not in self.known:
                self.known[target.name()] = self._read(target)
            return self.known[target.name()]

    def _read(self, target: Target) -> bool:
        bodies: list = []

        def keep_body(http_response: Any = None, **_kwargs: Any) -> None:
            bodies.append(getattr(http_response, "content", None))

        event = "after-call.lambda.GetFunctionConfiguration"
        if self.raw:
            self.client.meta.events.register(event, keep_body)
        try:
            configuration = self.client.get_function_configuration(
                aws_retry=True, FunctionName=target.function_name, Qualifier=target.qualifier)
        except Exception as exc:  # pylint: disable=broad-except  # the Invoke that follows says what is wrong
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            if code != "ResourceNotFoundException":
                self.warn("could not read whether %s is a durable function (%s); it is invoked as one that is "
                          "not. Give durable: true or false to skip this read (it needs "
                          "lambda:GetFunctionConfiguration)." % (target.describe(), code))
            return False
        finally:
            if self.raw:
                self.client.meta.events.unregister(event, keep_body)
        return bool(configuration.get("DurableConfig")) or any(_durable_in(body) for body in bodies)


def _durable_in(body: Any) -> bool:
    """Whether a GetFunctionConfiguration answer's body, as sent, holds a DurableConfig."""
    try:
        found = json.loads(body) if body else None
    except (TypeError, ValueError):
        return False
    return isinstance(found, dict) and bool(found.get("DurableConfig"))


def execution(client: Any, invocation: Invocation) -> Optional[Dict[str, Any]]:
    """The durable execution named by the invocation's key, whole (GetDurableExecution); None when there is none."""
    target = invocation.target
    pages = client.get_paginator("list_durable_executions_by_function").paginate(
        FunctionName=target.function_name, Qualifier=target.qualifier, DurableExecutionName=invocation.key)
    for page in pages:
        for found in page.get("DurableExecutions") or []:
            if found.get("DurableExecutionName") == invocation.key:  # some docs say "contains": be exact
                return dict(client.get_durable_execution(aws_retry=True, DurableExecutionArn=found["DurableExecutionArn"]))
    return None


def entry_of(invocation: Invocation, found: Mapping[str, Any], how: str) -> Dict[str, Any]:
    """An execution as the task reports an invocation: its result, or its error as a function error."""
    entry = invocation.describe()
    entry.pop("lookup", None)
    entry.update(status_code=200, durable_execution_arn=found.get("DurableExecutionArn"),
                 executed_version=found.get("Version"), recovered=how, execution_status=found.get("Status"))
    if found.get("Status") in FAILED_STATUSES:
        error = found.get("Error") or {}
        entry["function_error"] = "Unhandled"
        entry["response"] = json.dumps({"errorType": error.get("ErrorType"), "errorMessage": error.get("ErrorMessage")})
        entry["error_message"] = "the durable execution %s of the %s invocation of %s had %s: %s: %s" % (
            invocation.key, invocation.action, invocation.target.describe(), found.get("Status"),
            error.get("ErrorType") or "Error", str(error.get("ErrorMessage") or "").rstrip("."))
    else:
        entry["response"] = found.get("Result")
    return entry


def ended(found: Optional[Mapping[str, Any]]) -> bool:
    return found is not None and (found.get("Status") == "SUCCEEDED" or found.get("Status") in FAILED_STATUSES)


def reattached(client: Any, invocation: Invocation, timeout: int) -> Dict[str, Any]:
    """Lambda refused the name (DurableExecutionAlreadyStartedException): the execution of that name,
    when it has this payload, waited for to its end; NameTaken when it has another one."""
    deadline = time.monotonic() + timeout
    while True:
        found = execution(client, invocation)
        if found is None:
            raise NameTaken("Lambda refused the durable execution name %s, and has no execution of that name"
                            % invocation.key)
        payload = found.get("InputPayload")
        if payload is not None and _canonical(payload) != _canonical(invocation.payload.decode("utf-8")):
            raise NameTaken(
                "the durable execution name %s was already used with another payload (%s of %s); nothing was "
                "invoked. The input changed while that invocation was in flight: check the function's side, then "
                "run again with recover=assume_done or state: forgotten" % (
                    invocation.key, invocation.action, invocation.target.describe()))
        if ended(found):
            return entry_of(invocation, found, "lambda")
        if time.monotonic() > deadline:
            raise StillRunning("the durable execution %s of the %s invocation of %s was still %s after timeout=%d "
                               "seconds; it was not sent again, and it may still be running" % (
                                   invocation.key, invocation.action, invocation.target.describe(),
                                   found.get("Status"), timeout))
        time.sleep(POLL_SECONDS)


def _canonical(text: str) -> Any:
    try:
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return text
