# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle of a Lambda invocation, as pure decisions: record + desired -> plan.

Every rule of docs/lifecycle (the reference behaviour, modelled on Terraform's
``aws_lambda_invocation``) lives here once. Nothing here talks to AWS or to Ansible:
the action plugin (controller) and the module (target) both import it, and the unit
tests drive it as tables. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Mapping, Optional, Tuple

CREATE_ONLY = "CREATE_ONLY"
CRUD = "CRUD"
SCOPES = (CREATE_ONLY, CRUD)
PRESENT = "present"
ABSENT = "absent"

DEFAULT_QUALIFIER = "$LATEST"
DEFAULT_TERRAFORM_KEY = "tf"
# Long enough for a function that runs Lambda's 15-minute maximum, plus start-up and transfer.
DEFAULT_TIMEOUT = 960
# Lambda's limit for a synchronous (RequestResponse) request payload.
MAX_PAYLOAD_BYTES = 6291456

FACT_PREFIX = "cloudhooks_aws_lambda_invocation_"
RECORD_VERSION = 1

# The options a task gives, in Ansible's argument_spec form. The module adds the AWS
# connection options (AnsibleAWSModule) and the hidden _invocations; the action plugin checks
# these before anything else happens.
OPTION_SPEC: Dict[str, Dict[str, Any]] = {
    "function_name": {"type": "str", "required": True},
    "input": {"type": "raw"},
    "lifecycle_scope": {"type": "str", "default": CREATE_ONLY, "choices": list(SCOPES)},
    "qualifier": {"type": "str", "default": DEFAULT_QUALIFIER},
    "terraform_key": {"type": "str", "default": DEFAULT_TERRAFORM_KEY, "no_log": False},
    "triggers": {"type": "raw"},
    "state": {"type": "str", "default": PRESENT, "choices": [PRESENT, ABSENT]},
    "id": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "tenant_id": {"type": "str"},
    "tail_log": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": DEFAULT_TIMEOUT},
    # Where the record is kept (record_store.py, record_keeping.py); the action plugin uses them.
    "record_store": {"type": "str"},
    "recover": {"type": "str", "choices": ["retry", "assume_done"]},
}

# The connection options (and aliases) that AnsibleAWSModule adds to every AWS module. The action
# plugin accepts them without importing amazon.aws (which imports botocore) on the no-change path;
# a unit test keeps this list equal to amazon.aws's aws_argument_spec().
AWS_CONNECTION_OPTIONS = frozenset(
    (
        "access_key", "aws_access_key", "aws_access_key_id", "aws_ca_bundle", "aws_config",
        "aws_endpoint_url", "aws_profile", "aws_region", "aws_secret_access_key", "aws_secret_key",
        "aws_session_token", "debug_botocore_endpoint_logs", "endpoint_url", "profile", "region",
        "secret_key", "session_token", "validate_certs",
    )
)


class LifecycleError(ValueError):
    """A user error: the message names the option and what is wrong with it."""


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
class Record:
    """What the last successful run stored for one id on one host."""

    target: Target
    scope: str
    key: str
    triggers: Dict[str, Any]
    input: Any
    result: Optional[str] = None

    def to_fact(self) -> str:
        return _compact(
            {
                "v": RECORD_VERSION,
                "function_name": self.target.function_name,
                "qualifier": self.target.qualifier,
                "tenant_id": self.target.tenant_id,
                "scope": self.scope,
                "key": self.key,
                "triggers": self.triggers,
                "input": self.input,
                "result": self.result,
            }
        )

    @classmethod
    def from_fact(cls, value: Any) -> Optional["Record"]:
        """The record stored in a fact; None when there is none (never invoked, or forgotten)."""
        if value is None or value == "":
            return None
        try:
            data = json.loads(value) if isinstance(value, str) else value
            if data.get("v") != RECORD_VERSION:
                raise ValueError("unknown record version %r" % data.get("v"))
            return cls(
                target=Target(data["function_name"], data["qualifier"], data.get("tenant_id")),
                scope=data["scope"],
                key=data["key"],
                triggers=data.get("triggers") or {},
                input=data["input"],
                result=data.get("result"),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise LifecycleError(
                "the stored record is unreadable (%s); remove the fact or run with a new id" % exc
            ) from exc

    def view(self) -> Dict[str, Any]:
        return _view(self.target, self.scope, self.key, self.triggers, self.input)


@dataclass(frozen=True)
class Desired:
    """The task's arguments now, checked and parsed."""

    id: str
    target: Target
    scope: str
    key: str
    triggers: Dict[str, Any]
    state: str = PRESENT
    force: bool = False
    input: Any = None  # parsed JSON value; None only with state=absent

    def view(self) -> Dict[str, Any]:
        return _view(self.target, self.scope, self.key, self.triggers, self.input)


@dataclass(frozen=True)
class Invocation:
    """One synchronous call of a function, with the exact bytes it will receive."""

    action: str  # create, update or delete
    target: Target
    payload: bytes

    @classmethod
    def from_description(cls, entry: Mapping[str, Any]) -> "Invocation":
        """The invocation that describe() described (the action plugin hands these to the module)."""
        target = Target(entry["function_name"], entry["qualifier"], entry.get("tenant_id"))
        return cls(entry["action"], target, entry["payload"].encode("utf-8"))

    def describe(self) -> Dict[str, Any]:
        return {
            "action": self.action,
            "function_name": self.target.function_name,
            "qualifier": self.target.qualifier,
            "tenant_id": self.target.tenant_id,
            "payload": self.payload.decode("utf-8"),
        }


@dataclass(frozen=True)
class Plan:
    """What a run does: the invocations in order, and the record to keep once they succeed.

    ``record`` is the record after success (None: forget it). ``store`` says whether that
    differs from what is stored now. ``result`` is the stored result returned when nothing
    is invoked; after invocations the last create/update response replaces it.
    """

    action: str  # create, update, replace, delete, forget, none
    changed: bool
    invocations: Tuple[Invocation, ...] = ()
    record: Optional[Record] = None
    store: bool = False
    result: Optional[str] = None
    diff: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    warnings: Tuple[str, ...] = ()

    def with_result(self, result: Optional[str]) -> Optional[Record]:
        """The record to store once the invocations succeeded and returned ``result``."""
        if self.record is None:
            return None
        return replace(self.record, result=result)


def fact_name(record_id: str) -> str:
    """One fact per id: readable, [a-z0-9_] only, unique per id (a hash of the id)."""
    slug = re.sub(r"[^a-z0-9]+", "_", record_id.lower()).strip("_")[:40]
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    return "%s%s_%s" % (FACT_PREFIX, slug, digest) if slug else FACT_PREFIX + digest


def parse_desired(params: Mapping[str, Any]) -> Desired:
    """Check the task's options beyond their types; raise LifecycleError naming the option."""
    function_name = params.get("function_name")
    if not isinstance(function_name, str) or not function_name.strip():
        raise LifecycleError("function_name must be a non-empty string")
    embedded = _embedded_qualifier(function_name)
    if embedded:
        raise LifecycleError(
            "function_name %r ends with the qualifier %r; give the plain name or ARN in function_name "
            "and the version or alias in qualifier" % (function_name, embedded)
        )
    qualifier = params.get("qualifier") or DEFAULT_QUALIFIER
    scope = params.get("lifecycle_scope") or CREATE_ONLY
    if scope not in SCOPES:
        raise LifecycleError("lifecycle_scope must be CREATE_ONLY or CRUD, got %r" % (scope,))
    key = params.get("terraform_key")
    key = DEFAULT_TERRAFORM_KEY if key is None else key
    if not isinstance(key, str) or not key:
        raise LifecycleError("terraform_key must be a non-empty string")
    state = params.get("state") or PRESENT
    if state not in (PRESENT, ABSENT):
        raise LifecycleError("state must be present or absent, got %r" % (state,))
    timeout = params.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0):
        raise LifecycleError("timeout must be a positive number of seconds, got %r" % (timeout,))
    triggers = params.get("triggers")
    if triggers is None:
        triggers = {}
    if not isinstance(triggers, Mapping):
        raise LifecycleError("triggers must be a mapping, got %s" % _kind(triggers))
    triggers = _plain(dict(triggers), "triggers")

    value = None
    if state == PRESENT:
        if params.get("input") is None:
            raise LifecycleError("input is required when state is present")
        value = parse_input(params["input"])
        if scope == CRUD:
            if not isinstance(value, dict):
                raise LifecycleError(
                    "input must be a JSON object when lifecycle_scope is CRUD, got %s" % _kind(value)
                )
            if key in value:
                raise LifecycleError(
                    "input already has the key %r, which lifecycle_scope CRUD adds for its lifecycle "
                    "block; choose another terraform_key" % key
                )

    record_id = params.get("id") or function_name
    return Desired(
        id=record_id,
        target=Target(function_name, qualifier, params.get("tenant_id") or None),
        scope=scope,
        key=key,
        triggers=triggers,
        state=state,
        force=bool(params.get("force")),
        input=value,
    )


def _embedded_qualifier(function_name: str) -> Optional[str]:
    """The version or alias written into a name or ARN (name:q, acct:function:name:q, arn:...:name:q)."""
    parts = function_name.split(":")
    if parts[0] == "arn":
        return parts[7] if len(parts) == 8 else None
    if len(parts) >= 3 and parts[1] == "function":
        return parts[3] if len(parts) == 4 else None
    return parts[1] if len(parts) == 2 else None


def parse_input(raw: Any) -> Any:
    """A string holds JSON and is parsed; anything else is taken as the JSON value itself."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8")
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise LifecycleError("input is not valid JSON: %s" % exc) from exc
    return _plain(raw, "input")


def plan(record: Optional[Record], desired: Desired) -> Plan:
    """The whole decision table of the lifecycle; first matching row wins."""
    after = {} if desired.state == ABSENT else desired.view()
    diff = {"before": record.view() if record else {}, "after": after}
    if desired.state == ABSENT:
        return _checked(_absent(record), diff)
    if record is None:
        return _checked(_create(desired, "create", ()), diff)
    if (
        record.target != desired.target
        or not same_json(record.triggers, desired.triggers)
        or desired.force
    ):
        return _checked(_replace(record, desired), diff)
    if not same_json(record.input, desired.input):
        if desired.scope == CRUD:
            return _checked(_update(record, desired), diff)
        return _checked(_replace(record, desired), diff)
    if record.scope == CREATE_ONLY and desired.scope == CRUD:
        # Terraform parity: moving into CRUD tells the function, with the same input.
        return _checked(_update(record, desired), diff)
    if record.scope != desired.scope or record.key != desired.key:
        # [ours] only the record changes; nothing is invoked.
        new = _record_of(desired, record.result)
        return Plan("update", True, (), new, store=True, result=record.result, diff=diff)
    return Plan("none", False, (), record, store=False, result=record.result, diff=diff)


def same_json(a: Any, b: Any) -> bool:
    """Equal as parsed JSON: key order and white space do not count; 1 and true differ."""
    return _canonical(a) == _canonical(b)


def payload(value: Any, key: Optional[str] = None, action: Optional[str] = None, prev: Any = None) -> bytes:
    """Compact UTF-8 JSON; in CRUD scope the lifecycle block is added last under ``key``."""
    if key is not None:
        value = dict(value)
        value[key] = {"action": action, "prev_input": prev}
    try:
        return _compact(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LifecycleError("input holds text that is not valid Unicode (%s)" % exc.reason) from exc


# -- the rows ------------------------------------------------------------------------


def _absent(record: Optional[Record]) -> Plan:
    if record is None:
        return Plan("none", False)
    if record.scope == CRUD:
        return Plan("delete", True, (_delete_of(record),), None, store=True)
    return Plan("forget", True, (), None, store=True)


def _create(desired: Desired, action: str, before: Tuple[Invocation, ...]) -> Plan:
    if desired.scope == CRUD:
        body = payload(desired.input, desired.key, "create", None)
    else:
        body = payload(desired.input)
    invocations = before + (Invocation("create", desired.target, body),)
    return Plan(action, True, invocations, _record_of(desired, None), store=True)


def _replace(record: Record, desired: Desired) -> Plan:
    before = (_delete_of(record),) if record.scope == CRUD else ()
    return _create(desired, "replace", before)


def _update(record: Record, desired: Desired) -> Plan:
    body = payload(desired.input, desired.key, "update", record.input)
    invocation = Invocation("update", desired.target, body)
    return Plan("update", True, (invocation,), _record_of(desired, None), store=True)


def _delete_of(record: Record) -> Invocation:
    return Invocation("delete", record.target, payload(record.input, record.key, "delete", record.input))


def _record_of(desired: Desired, result: Optional[str]) -> Record:
    return Record(desired.target, desired.scope, desired.key, desired.triggers, desired.input, result)


def _checked(plan_: Plan, diff: Dict[str, Dict[str, Any]]) -> Plan:
    """Refuse a payload over Lambda's synchronous limit before anything is invoked."""
    for invocation in plan_.invocations:
        size = len(invocation.payload)
        if size > MAX_PAYLOAD_BYTES:
            source = "the stored input" if invocation.action == "delete" else "input"
            raise LifecycleError(
                "%s is too large: the %s payload for %s would be %d bytes, over Lambda's "
                "synchronous limit of %d bytes" % (
                    source, invocation.action, invocation.target.describe(), size, MAX_PAYLOAD_BYTES)
            )
    return replace(plan_, diff=diff, warnings=_undeletable(plan_))


def _undeletable(plan_: Plan) -> Tuple[str, ...]:
    """A CRUD record whose delete payload (the input twice) would be refused later: say so now."""
    new = plan_.record
    if not plan_.invocations or new is None or new.scope != CRUD:
        return ()
    if len(plan_.invocations[-1].payload) * 2 <= MAX_PAYLOAD_BYTES:
        return ()  # cheap bound: the delete payload is at most about twice this one
    size = len(_delete_of(new).payload)
    if size <= MAX_PAYLOAD_BYTES:
        return ()
    return (
        "input is large for lifecycle_scope CRUD: its delete payload (the input plus prev_input, the "
        "input again) would be %d bytes, over Lambda's synchronous limit of %d bytes, so state=absent "
        "and any later replacement will be refused until the input is smaller" % (size, MAX_PAYLOAD_BYTES),
    )


# -- JSON helpers ---------------------------------------------------------------------


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _plain(value: Any, option: str) -> Any:
    """A JSON value made of plain types, keeping key order; refuse what JSON cannot hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LifecycleError("%s holds %r, which JSON cannot represent" % (option, value))
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise LifecycleError("%s has a non-string key %r; JSON object keys are strings" % (option, k))
            out[str(k)] = _plain(v, option)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, option) for v in value]
    raise LifecycleError("%s holds a %s, which is not a JSON value" % (option, type(value).__name__))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return "a %s" % type(value).__name__


def _view(target: Target, scope: str, key: str, triggers: Dict[str, Any], value: Any) -> Dict[str, Any]:
    return {
        "function_name": target.function_name,
        "qualifier": target.qualifier,
        "tenant_id": target.tenant_id,
        "lifecycle_scope": scope,
        "terraform_key": key,
        "triggers": triggers,
        "input": value,
    }
