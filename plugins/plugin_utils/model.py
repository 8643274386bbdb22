# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words of docs/lifecycle.md as data: Record (R), Desired (D), Plan, and the record's encoding.

A record is kept as a mapping (``to_data``): in a store document, or, as its compact JSON text, in a
host fact. Nothing here talks to AWS, to Ansible or to a store.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from decimal import Decimal
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import is_qualifier
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import parse_function_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REINVOKE_ON_CHOICES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REQUEST_RESPONSE
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import SCOPES
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import canonical
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import same_json

RECORD_VERSION = 1


@dataclass(frozen=True)
class InputDigest:
    """record_input: digest: a salted SHA-256 of the input's canonical JSON (key order and white
    space do not count). The salt is random per record, so equal inputs on two hosts have different
    digests, and a digest cannot be matched against a list of likely inputs computed once."""

    salt: str
    sha256: str

    @classmethod
    def of(cls, value: Any, salt: str) -> "InputDigest":
        return cls(salt, _salted_sha256(value, salt))

    @classmethod
    def from_data(cls, data: Any) -> Optional["InputDigest"]:
        if data is None:
            return None
        if not isinstance(data, Mapping) or not isinstance(data.get("salt"), str) or not isinstance(data.get("sha256"), str):
            raise ValueError("input_digest is not a salt and a sha256")
        return cls(data["salt"], data["sha256"])

    def matches(self, value: Any) -> bool:
        return secrets.compare_digest(self.sha256, _salted_sha256(value, self.salt))

    def describe(self) -> str:
        return "salted SHA-256 %s (record_input: digest; the input itself is not stored)" % self.sha256


def _salted_sha256(value: Any, salt: str) -> str:
    return hashlib.sha256((salt + "\n" + canonical(value)).encode("utf-8")).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Record:
    """What the last successful run stored for one id on one host.

    ``written_by`` is the uuid of the task that wrote it (it tells a record written earlier in this
    run from an older one); ``record_id`` is the id it is kept under. Neither is compared.
    """

    target: Target
    scope: str
    key: str
    triggers: Dict[str, Any]
    input: Any
    result: Optional[str] = None
    # record_input: digest: the salted digest kept instead of the input (``input`` is then None).
    input_digest: Optional[InputDigest] = None
    # reinvoke_on: what the function was when it was last invoked ({"code": ..., "configuration": ...}).
    function: Dict[str, str] = field(default_factory=dict)
    written_by: Optional[str] = field(default=None, compare=False)
    record_id: Optional[str] = field(default=None, compare=False)

    def to_data(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"id": self.record_id} if self.record_id is not None else {}
        data.update({
            "v": RECORD_VERSION,
            "function_name": self.target.function_name,
            "qualifier": self.target.qualifier,
            "tenant_id": self.target.tenant_id,
            "scope": self.scope,
            "key": self.key,
            "triggers": self.triggers,
            "input": self.input,
            "result": self.result,
            "written_by": self.written_by,
        })
        # Written only when used, so that a record without them reads the same in older versions.
        if self.input_digest is not None:
            data["input_digest"] = {"salt": self.input_digest.salt, "sha256": self.input_digest.sha256}
        if self.function:
            data["function"] = dict(self.function)
        return data

    def same_input(self, value: Any) -> bool:
        """Whether ``value`` is the input this record was made with (by its digest, if it keeps one)."""
        if self.input_digest is not None:
            return self.input_digest.matches(value)
        return same_json(self.input, value)

    @classmethod
    def from_data(cls, data: Any) -> Optional["Record"]:
        """The record in a stored mapping; None when there is none (never invoked, or forgotten).

        A record that does not hold what this version writes (another format version ``v``, a
        scope or qualifier it does not know, a function name that is none of Lambda's forms) is
        refused as unreadable rather than guessed at.
        """
        if data is None or data == "":
            return None
        try:
            if isinstance(data, str):  # a fact written by a version that kept it as text, or damaged
                data = json.loads(data)
            version = data.get("v")
            if type(version) is not int or version != RECORD_VERSION:  # pylint: disable=unidiomatic-typecheck
                raise ValueError("unknown record version %r" % (version,))
            if data["scope"] not in SCOPES:
                raise ValueError("unknown lifecycle_scope %r" % (data["scope"],))
            if not is_qualifier(data["qualifier"]):
                raise ValueError("unknown qualifier %r" % (data["qualifier"],))
            if not isinstance(data["key"], str) or not data["key"]:
                raise ValueError("unknown terraform_key %r" % (data["key"],))
            tenant_id = data.get("tenant_id")
            if tenant_id is not None and not isinstance(tenant_id, str):
                raise ValueError("unknown tenant_id %r" % (tenant_id,))
            parse_function_name(data["function_name"])
            triggers = data.get("triggers") or {}
            if not isinstance(triggers, Mapping):
                raise ValueError("triggers is not a mapping")
            result = data.get("result")
            if result is not None and not isinstance(result, str):
                raise ValueError("result is not a string")
            function = data.get("function") or {}
            if not isinstance(function, Mapping) or not all(
                    k in REINVOKE_ON_CHOICES and isinstance(v, str) for k, v in function.items()):
                raise ValueError("function is not a mapping of code/configuration to text")
            written_by, record_id = data.get("written_by"), data.get("id")
            return cls(
                target=Target(data["function_name"], data["qualifier"], tenant_id or None),
                scope=data["scope"],
                key=data["key"],
                triggers=stored_triggers(triggers),
                input=data["input"],
                result=result,
                input_digest=InputDigest.from_data(data.get("input_digest")),
                function=dict(function),
                written_by=written_by if isinstance(written_by, str) else None,
                record_id=record_id if isinstance(record_id, str) else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise LifecycleError(
                "the stored record is unreadable (%s); remove it, run once with state: forgotten, "
                "or use a new id" % exc
            ) from exc

    def view(self) -> Dict[str, Any]:
        shown = self.input_digest.describe() if self.input_digest is not None else self.input
        return view(self.target, self.scope, self.key, self.triggers, shown, self.function)


def stored_triggers(raw: Mapping[str, Any]) -> Dict[str, Any]:
    """Triggers read from a record: 0.1.0 stored numbers and booleans as they were given; they
    compare as their text now. Anything else 0.1.0 kept (a list, a mapping, null) stays as it was
    and so differs from every trigger a task can give now."""
    out: Dict[str, Any] = {}
    for key, value in raw.items():
        text = trigger_text(value)
        out[str(key)] = value if text is None else text
    return out


def trigger_text(value: Any) -> Optional[str]:
    """Terraform's text for a string, number or boolean; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LifecycleError("triggers holds %r, which is not a number Terraform can hold" % value)
        number = Decimal(repr(value))
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    return None


@dataclass(frozen=True)
class Desired:
    """The task's arguments now, checked and parsed, for one record."""

    id: str
    target: Target
    scope: str
    key: str
    triggers: Dict[str, Any]
    state: str = PRESENT
    force: bool = False
    input: Any = None  # parsed JSON value; None only with state=absent
    record_input: str = "full"
    record_result: bool = True
    reinvoke_on: Tuple[str, ...] = ()
    invocation_type: str = REQUEST_RESPONSE
    salt: Optional[str] = None  # the salt of a new digest record (record_input: digest)
    # reinvoke_on: the function as the module read it (function_state()).
    function: Dict[str, str] = field(default_factory=dict)
    idempotency_key: bool = False  # the key goes in the lifecycle block (CRUD)
    durable: Optional[bool] = None  # the task says the function is durable (True) or not (False)
    absent_because: str = "state: absent"  # why state is absent (a for_each key no longer listed)
    # The transition's serial: a new one for each transition, the in-flight marker's when it is recovered;
    # with the record id and the action it makes each invocation's idempotency key.
    serial: Optional[str] = None

    def view(self) -> Dict[str, Any]:
        return view(self.target, self.scope, self.key, self.triggers, self.input, self.function)

    def with_function(self, state: Mapping[str, str]) -> "Desired":
        return replace(self, function=dict(state))

    @property
    def needs_function(self) -> bool:
        """reinvoke_on is compared only with state: present (absent and forgotten use the record)."""
        return bool(self.reinvoke_on) and self.state == PRESENT


@dataclass(frozen=True)
class Plan:
    """What a run does for one record: the invocations in order, and the record to keep once they succeed.

    ``record`` is the record after success (None: forget it). ``store`` says whether that
    differs from what is stored now. ``result`` is the stored result returned when nothing
    is invoked; after invocations the last create/update response replaces it. ``reason``
    says why this action was chosen, in the words of docs/lifecycle.md.
    """

    action: str  # create, update, replace, delete, forget, adopt, none
    changed: bool
    invocations: Tuple[Invocation, ...] = ()
    record: Optional[Record] = None
    store: bool = False
    result: Optional[str] = None
    diff: Dict[str, Any] = field(default_factory=dict)
    warnings: Tuple[str, ...] = ()
    reason: str = ""
    keep_result: bool = True  # record_result

    def with_result(self, result: Optional[str], written_by: Optional[str] = None) -> Optional[Record]:
        """The record to store once the invocations succeeded and returned ``result`` (not kept
        with record_result: false)."""
        if self.record is None:
            return None
        return replace(self.record, result=result if self.keep_result else None, written_by=written_by)


def view(target: Target, scope: str, key: str, triggers: Dict[str, Any], value: Any,
         function: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """What --diff shows of a record or a task."""
    shown = {
        "function_name": target.function_name,
        "qualifier": target.qualifier,
        "tenant_id": target.tenant_id,
        "lifecycle_scope": scope,
        "terraform_key": key,
        "triggers": triggers,
        "input": value,
    }
    if function:
        shown["function"] = dict(function)  # reinvoke_on
    return shown
