# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle of a Lambda invocation, as pure decisions: record + desired -> plan.

Every rule of docs/lifecycle.md (the decision table as this code implements it, modelled on
Terraform's ``aws_lambda_invocation``) lives here once. Nothing here talks to AWS or to Ansible:
the action plugin (controller) and the module (target) both import it, and the unit
tests drive it as tables. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from decimal import Decimal
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import FunctionNameError
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import parse_function_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import ABSENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CREATE_ONLY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CRUD
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_QUALIFIER
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_TERRAFORM_KEY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import EVENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import INVOCATION_TYPES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import RECORD_INPUT_CHOICES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REINVOKE_ON_CHOICES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import FORGOTTEN
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REQUEST_RESPONSE
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import SCOPES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import STATES

# Lambda's limit for a synchronous (RequestResponse) request payload.
MAX_PAYLOAD_BYTES = 6291456
# Lambda's limit for an asynchronous (Event) request payload: 1 MB (1,048,576 bytes) since AWS
# raised it from 256 KB in October 2025. Source: the Invoke API reference ("For asynchronous
# invocations, the maximum payload size is 1 MB", docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html)
# and the Lambda quotas page (gettingstarted-limits), where MB means 1,024 KB.
MAX_ASYNC_PAYLOAD_BYTES = 1048576
PAYLOAD_LIMITS = {REQUEST_RESPONSE: (MAX_PAYLOAD_BYTES, "synchronous"), EVENT: (MAX_ASYNC_PAYLOAD_BYTES, "asynchronous")}

# What reinvoke_on: configuration compares, from GetFunctionConfiguration.
CONFIGURATION_FIELDS = ("Runtime", "Handler", "MemorySize", "Timeout", "Environment", "Layers", "Role", "Architectures")

FACT_PREFIX = "cloudhooks_aws_lambda_invocation_"
RECORD_VERSION = 1

# A version or alias, as Lambda's Invoke accepts it in Qualifier.
_QUALIFIER = re.compile(r"[a-zA-Z0-9$_.-]{1,128}\Z")


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
    """What the last successful run stored for one id on one host.

    ``written_by`` is the uuid of the task that wrote it (it tells a record written earlier in
    this run from an older one); it is not part of the comparison.
    """

    target: Target
    scope: str
    key: str
    triggers: Dict[str, Any]
    input: Any
    result: Optional[str] = None
    # record_input: digest: the salted digest kept instead of the input (``input`` is then None).
    input_digest: Optional["InputDigest"] = None
    # reinvoke_on: what the function was when it was last invoked ({"code": ..., "configuration": ...}).
    function: Dict[str, str] = field(default_factory=dict)
    written_by: Optional[str] = field(default=None, compare=False)
    # The id the record is kept under; written for for_each keys (ID[KEY]), whose facts are found
    # by it. Older records and single records leave it out.
    record_id: Optional[str] = field(default=None, compare=False)

    def to_fact(self) -> str:
        # The id the record is kept under, for for_each keys (ID[KEY]), whose facts are found by it.
        extra = {"id": self.record_id} if self.record_id is not None else {}
        data: Dict[str, Any] = {
            **extra,
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
        }
        # Written only when used, so that a record without them reads the same in older versions.
        if self.input_digest is not None:
            data["input_digest"] = {"salt": self.input_digest.salt, "sha256": self.input_digest.sha256}
        if self.function:
            data["function"] = dict(self.function)
        return _compact(data)

    def same_input(self, value: Any) -> bool:
        """Whether ``value`` is the input this record was made with (by its digest, if it keeps one)."""
        if self.input_digest is not None:
            return self.input_digest.matches(value)
        return same_json(self.input, value)

    @classmethod
    def from_fact(cls, value: Any) -> Optional["Record"]:
        """The record stored in a fact; None when there is none (never invoked, or forgotten).

        A record that does not hold what this version writes (another format version ``v``, a
        scope or qualifier it does not know, a function name that is none of Lambda's forms) is
        refused as unreadable rather than guessed at.
        """
        if value is None or value == "":
            return None
        try:
            data = json.loads(value) if isinstance(value, str) else value
            version = data.get("v")
            if type(version) is not int or version != RECORD_VERSION:  # pylint: disable=unidiomatic-typecheck
                raise ValueError("unknown record version %r" % (version,))
            scope = data["scope"]
            if scope not in SCOPES:
                raise ValueError("unknown lifecycle_scope %r" % (scope,))
            qualifier = data["qualifier"]
            if not isinstance(qualifier, str) or not _QUALIFIER.match(qualifier):
                raise ValueError("unknown qualifier %r" % (qualifier,))
            key = data["key"]
            if not isinstance(key, str) or not key:
                raise ValueError("unknown terraform_key %r" % (key,))
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
            written_by = data.get("written_by")
            input_digest = InputDigest.from_fact(data.get("input_digest"))
            function = data.get("function") or {}
            if not isinstance(function, Mapping) or not all(
                    k in REINVOKE_ON_CHOICES and isinstance(v, str) for k, v in function.items()):
                raise ValueError("function is not a mapping of code/configuration to text")
            record_id = data.get("id")
            return cls(
                target=Target(data["function_name"], qualifier, tenant_id or None),
                scope=scope,
                key=key,
                triggers=stored_triggers(triggers),
                input=data["input"],
                result=result,
                input_digest=input_digest,
                function=dict(function),
                written_by=written_by if isinstance(written_by, str) else None,
                record_id=record_id if isinstance(record_id, str) else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise LifecycleError(
                "the stored record is unreadable (%s); remove the fact, run once with state: forgotten, "
                "or use a new id" % exc
            ) from exc

    def view(self) -> Dict[str, Any]:
        shown = self.input_digest.describe() if self.input_digest is not None else self.input
        return _view(self.target, self.scope, self.key, self.triggers, shown, self.function)


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
    def from_fact(cls, data: Any) -> Optional["InputDigest"]:
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
    return hashlib.sha256((salt + "\n" + _canonical(value)).encode("utf-8")).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


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
        state["configuration"] = hashlib.sha256(_canonical(picked).encode("utf-8")).hexdigest()
    return state


def needs_function_state(desired: "Desired") -> bool:
    """reinvoke_on is compared only with state: present (absent and forgotten use the record)."""
    return bool(desired.reinvoke_on) and desired.state == PRESENT


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
    record_input: str = "full"
    record_result: bool = True
    reinvoke_on: Tuple[str, ...] = ()
    invocation_type: str = REQUEST_RESPONSE
    salt: Optional[str] = None  # the salt of a new digest record (record_input: digest)
    # reinvoke_on: the function as the module read it (function_state()); the action plugin sets it.
    function: Dict[str, str] = field(default_factory=dict)

    def view(self) -> Dict[str, Any]:
        return _view(self.target, self.scope, self.key, self.triggers, self.input, self.function)

    def with_function(self, state: Mapping[str, str]) -> "Desired":
        return replace(self, function=dict(state))


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


def fact_name(record_id: str) -> str:
    """One fact per id: readable, [a-z0-9_] only, unique per id (a hash of the id)."""
    slug = re.sub(r"[^a-z0-9]+", "_", record_id.lower()).strip("_")[:40]
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    return "%s%s_%s" % (FACT_PREFIX, slug, digest) if slug else FACT_PREFIX + digest


def parse_desired(params: Mapping[str, Any], salt: Optional[str] = None) -> Desired:
    """Check the task's options beyond their types; raise LifecycleError naming the option.

    ``salt`` is the salt of a new digest record (record_input: digest); a random one by default.
    """
    function_name = params.get("function_name")
    try:
        ref = parse_function_name(function_name)  # type: ignore[arg-type]
    except FunctionNameError as exc:
        raise LifecycleError(str(exc)) from exc
    if ref.qualifier:
        raise LifecycleError(
            "function_name %r ends with the qualifier %r; give the plain name or ARN in function_name "
            "and the version or alias in qualifier" % (function_name, ref.qualifier)
        )
    qualifier = params.get("qualifier") or DEFAULT_QUALIFIER
    if not _QUALIFIER.match(qualifier):
        raise LifecycleError("qualifier must be a version number or an alias name, got %r" % (qualifier,))
    scope = params.get("lifecycle_scope") or CREATE_ONLY
    if scope not in SCOPES:
        raise LifecycleError("lifecycle_scope must be CREATE_ONLY or CRUD, got %r" % (scope,))
    key = params.get("terraform_key")
    key = DEFAULT_TERRAFORM_KEY if key is None else key
    if not isinstance(key, str) or not key:
        raise LifecycleError("terraform_key must be a non-empty string")
    _unicode(key, "terraform_key")
    state = params.get("state") or PRESENT
    if state not in STATES:
        raise LifecycleError("state must be present, absent or forgotten, got %r" % (state,))
    timeout = params.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0):
        raise LifecycleError("timeout must be a positive number of seconds, got %r" % (timeout,))
    triggers = trigger_map(params.get("triggers"))
    tenant_id = params.get("tenant_id") or None  # "" is unset, as in Terraform
    if tenant_id is not None:
        _unicode(tenant_id, "tenant_id")

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

    record_input = params.get("record_input") or "full"
    if record_input not in RECORD_INPUT_CHOICES:
        raise LifecycleError("record_input must be full or digest, got %r" % (record_input,))
    if record_input == "digest" and scope == CRUD and state == PRESENT:
        raise LifecycleError(
            "record_input: digest cannot be used with lifecycle_scope CRUD: CRUD sends the previous "
            "input as prev_input in its update and delete payloads, so the record must keep the input "
            "itself. Use lifecycle_scope CREATE_ONLY, or record_input: full"
        )
    reinvoke_on = tuple(params.get("reinvoke_on") or ())
    unknown = [v for v in reinvoke_on if v not in REINVOKE_ON_CHOICES]
    if unknown:
        raise LifecycleError("reinvoke_on may hold code and configuration, got %r" % (unknown,))
    invocation_type = params.get("invocation_type") or REQUEST_RESPONSE
    if invocation_type not in INVOCATION_TYPES:
        raise LifecycleError("invocation_type must be RequestResponse or Event, got %r" % (invocation_type,))
    if invocation_type == EVENT and params.get("tail_log"):
        raise LifecycleError(
            "tail_log cannot be used with invocation_type: Event: Lambda returns no log for a queued "
            "invocation (read it in CloudWatch Logs)"
        )

    record_id = params.get("id") or function_name
    _unicode(record_id, "id")
    return Desired(
        id=record_id,
        target=Target(function_name, qualifier, tenant_id),
        scope=scope,
        key=key,
        triggers=triggers,
        state=state,
        force=bool(params.get("force")),
        input=value,
        record_input=record_input,
        record_result=params.get("record_result") is not False,
        reinvoke_on=tuple(sorted(set(reinvoke_on))),
        invocation_type=invocation_type,
        salt=(salt or new_salt()) if record_input == "digest" else None,
    )


def parse_input(raw: Any) -> Any:
    """A string holds JSON and is parsed; anything else is taken as the JSON value itself.

    NaN, Infinity and numbers too large for a float (1e400) are refused: the payload could not
    carry them as JSON.
    """
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8")
    if isinstance(raw, str):
        try:
            return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
        except LifecycleError:
            raise
        except ValueError as exc:
            raise LifecycleError("input is not valid JSON: %s" % exc) from exc
    return _plain(raw, "input")


def trigger_map(raw: Any, option: str = "triggers") -> Dict[str, str]:
    """Triggers as Terraform's ``map(string)``: each value is a string.

    A number or boolean becomes its text (``1`` and ``1.0`` -> ``"1"``, ``true`` -> ``"true"``), as
    Terraform converts them; a list, a mapping or null is refused.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise LifecycleError("%s must be a mapping, got %s" % (option, _kind(raw)))
    out: Dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise LifecycleError("%s has a non-string key %r" % (option, key))
        if isinstance(value, (Mapping, list, tuple)) or value is None:
            raise LifecycleError(
                "%s.%s is %s, but each trigger is a string; turn it into one, for example with "
                "'{{ value | to_json }}' or '{{ value | to_json | hash(\"sha256\") }}'" % (option, key, _kind(value))
            )
        text = _trigger_text(value)
        if text is None:
            raise LifecycleError("%s.%s holds a %s, which is not a string" % (option, key, type(value).__name__))
        out[_unicode(str(key), option)] = _unicode(text, option)
    return out


def stored_triggers(raw: Mapping[str, Any]) -> Dict[str, Any]:
    """Triggers read from a record: 0.1.0 stored numbers and booleans as they were given; they
    compare as their text now. Anything else 0.1.0 kept (a list, a mapping, null) stays as it was
    and so differs from every trigger a task can give now."""
    out: Dict[str, Any] = {}
    for key, value in raw.items():
        text = _trigger_text(value)
        out[str(key)] = value if text is None else text
    return out


def _trigger_text(value: Any) -> Optional[str]:
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


def plan(record: Optional[Record], desired: Desired) -> Plan:
    """The whole decision table of docs/lifecycle.md; first matching row wins."""
    after = {} if desired.state != PRESENT else desired.view()
    if after and desired.record_input == "digest":
        # The diff never shows an input the record would not keep: its digest instead, with the
        # record's salt when it keeps one (so an unchanged input shows the same digest).
        salt = record.input_digest.salt if record and record.input_digest else str(desired.salt)
        after["input"] = InputDigest.of(desired.input, salt).describe()
    diff: Dict[str, Any] = {"before": record.view() if record else {}, "after": after}
    decided = replace(_decide(record, desired), keep_result=desired.record_result)
    return _checked(decided, diff, desired.invocation_type)


def _decide(record: Optional[Record], desired: Desired) -> Plan:
    if desired.state == FORGOTTEN:
        return _forget(record)
    if desired.state == ABSENT:
        return _absent(record)
    if record is None:
        return _create(desired, "create", (), "no record")
    why = _replace_reasons(record, desired)
    if why:
        return _replace(record, desired, why)
    if record.input_digest is not None and desired.scope == CRUD:
        # CRUD's update would send prev_input, which a digest record does not keep: start over.
        return _replace(record, desired, "scope changed to CRUD; the record keeps only a digest of the input, "
                        "so the function is sent create")
    if not record.same_input(desired.input):
        if desired.scope == CRUD:
            return _update(record, desired, "input changed")
        return _replace(record, desired, "input changed")
    if record.scope == CREATE_ONLY and desired.scope == CRUD:
        # Terraform parity: moving into CRUD tells the function, with the same input.
        return _update(record, desired, "scope changed from CREATE_ONLY to CRUD")
    why = _record_only_reasons(record, desired)
    if why:
        # [ours] only the record changes; nothing is invoked.
        kept = record.result if desired.record_result else None
        new = _record_of(desired, kept, record)
        return Plan("update", True, (), new, store=True, result=kept, reason=why + "; only the record changes")
    return Plan("none", False, (), record, store=False, result=record.result, reason="nothing changed")


def _record_only_reasons(record: Record, desired: Desired) -> str:
    """What differs between R and D that changes the record but invokes nothing."""
    reasons: List[str] = []
    if record.scope != desired.scope:
        reasons.append("scope changed")
    elif record.key != desired.key:
        reasons.append("terraform_key changed")
    if (record.input_digest is not None) != (desired.record_input == "digest"):
        reasons.append("record_input changed to %s" % desired.record_input)
    if record.result is not None and not desired.record_result:
        reasons.append("record_result: false drops the stored result")
    if sorted(record.function) != sorted(desired.function):
        reasons.append("reinvoke_on changed (the function is recorded as it is now)")
    return "; ".join(reasons)


def plan_stored(value: Any, desired: Desired, adopt: Optional[Callable[[Desired], Record]] = None) -> Plan:
    """plan() from a stored fact's value.

    With state: forgotten even an unreadable record is dropped: that is the way out of it.
    ``adopt`` (the task's terraform_state and terraform_address) gives the record to start from
    when there is none; it is not called when a record exists, nor with state: forgotten, which
    has nothing to drop.
    """
    try:
        record = Record.from_fact(value)
    except LifecycleError:
        if desired.state != FORGOTTEN:
            raise
        diff: Dict[str, Any] = {"before": {"unreadable record": value}, "after": {}}
        return _checked(Plan("forget", True, (), None, store=True, reason="state: forgotten; the stored record was unreadable"), diff)
    if record is None and adopt is not None and desired.state != FORGOTTEN:
        return plan_adopted(adopt(desired), desired)
    return plan(record, desired)


def plan_adopted(record: Record, desired: Desired) -> Plan:
    """plan() from a record taken from Terraform state, as the next ``terraform apply`` would go on.

    Where nothing differs, the action is ``adopt``: nothing is invoked, the record is stored
    (changed). Otherwise the plan is the usual one from that record (an update whose prev_input
    is Terraform's input, a replace, a delete), and its reason says where the record came from.
    """
    usual = plan(record, desired)
    if usual.action == "none":
        adopted = replace(usual, action="adopt", changed=True, store=True,
                          reason="taken from Terraform state; input and triggers are those Terraform sent, nothing is invoked")
    else:
        adopted = replace(usual, reason="taken from Terraform state; " + usual.reason)
    return _checked(adopted, usual.diff, desired.invocation_type)


def shared_record_warning(record: Optional[Record], desired: Desired, task_uuid: Optional[str]) -> Optional[str]:
    """Two tasks that share one record: the record was written earlier in this run, by another
    task, with another input. Ansible gives every task of a run a uuid that differs only in its last
    part, so the rest names the run."""
    if record is None or not record.written_by or not task_uuid or desired.state != PRESENT:
        return None
    if record.written_by == task_uuid or _run_of(record.written_by) != _run_of(task_uuid):
        return None
    if record.same_input(desired.input):
        return None
    return (
        "the record of id %r was written earlier in this run by another task with another input: two "
        "tasks without their own id share one record, and each invokes again on every run. Give each "
        "task its own id." % desired.id
    )


def _run_of(task_uuid: str) -> str:
    return task_uuid.rsplit("-", 1)[0]


def json_or_none(text: Optional[str]) -> Any:
    """A function's response parsed, when it is JSON (result_json); otherwise None."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


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


def _replace_reasons(record: Record, desired: Desired) -> str:
    """Why the row "target or triggers differ, or force: true" matches; empty when it does not."""
    reasons: List[str] = []
    old, new = record.target, desired.target
    for part in ("function_name", "qualifier", "tenant_id"):
        if getattr(old, part) != getattr(new, part):
            reasons.append("target changed (%s %r -> %r)" % (part, getattr(old, part), getattr(new, part)))
    if not same_json(record.triggers, desired.triggers):
        keys = sorted(set(record.triggers) | set(desired.triggers))
        changed = [k for k in keys if not same_json(record.triggers.get(k), desired.triggers.get(k))
                   or (k in record.triggers) != (k in desired.triggers)]
        reasons.append("triggers changed (%s)" % ", ".join(changed))
    for part in desired.reinvoke_on:
        # A part the record does not hold yet (reinvoke_on just added) only joins the record.
        if part in record.function and record.function[part] != desired.function.get(part):
            reasons.append("function %s changed (reinvoke_on)" % part)
    if desired.force:
        reasons.append("force: true")
    return "; ".join(reasons)


def _forget(record: Optional[Record]) -> Plan:
    if record is None:
        return Plan("none", False, reason="state: forgotten; there is no record")
    return Plan("forget", True, (), None, store=True, reason="state: forgotten; nothing is invoked")


def _absent(record: Optional[Record]) -> Plan:
    if record is None:
        return Plan("none", False, reason="state: absent; there is no record")
    if record.scope == CRUD:
        return Plan("delete", True, (_delete_of(record),), None, store=True, reason="state: absent; the record is CRUD")
    return Plan("forget", True, (), None, store=True, reason="state: absent; the record is CREATE_ONLY, nothing is invoked")


def _create(desired: Desired, action: str, before: Tuple[Invocation, ...], why: str) -> Plan:
    if desired.scope == CRUD:
        body = payload(desired.input, desired.key, "create", None)
    else:
        body = payload(desired.input)
    invocations = before + (Invocation("create", desired.target, body),)
    return Plan(action, True, invocations, _record_of(desired, None, None), store=True, reason=why)


def _replace(record: Record, desired: Desired, why: str) -> Plan:
    before = (_delete_of(record),) if record.scope == CRUD else ()
    return _create(desired, "replace", before, why)


def _update(record: Record, desired: Desired, why: str) -> Plan:
    body = payload(desired.input, desired.key, "update", record.input)
    invocation = Invocation("update", desired.target, body)
    return Plan("update", True, (invocation,), _record_of(desired, None, record), store=True, reason=why)


def _delete_of(record: Record) -> Invocation:
    return Invocation("delete", record.target, payload(record.input, record.key, "delete", record.input))


def _record_of(desired: Desired, result: Optional[str], record: Optional[Record]) -> Record:
    """The record D makes. A digest record keeps its salt while the input is the same digest
    record's (a new salt otherwise)."""
    if desired.record_input != "digest":
        return Record(desired.target, desired.scope, desired.key, desired.triggers, desired.input, result,
                      function=dict(desired.function))
    if record is not None and record.input_digest is not None and record.input_digest.matches(desired.input):
        digest = record.input_digest
    else:
        digest = InputDigest.of(desired.input, desired.salt or new_salt())
    return Record(desired.target, desired.scope, desired.key, desired.triggers, None, result,
                  input_digest=digest, function=dict(desired.function))


def _checked(plan_: Plan, diff: Dict[str, Any], invocation_type: str = REQUEST_RESPONSE) -> Plan:
    """Refuse a payload over Lambda's limit for the invocation type before anything is invoked; name
    the planned action and why in the diff (shown even when before and after are the same)."""
    limit, kind = PAYLOAD_LIMITS[invocation_type]
    for invocation in plan_.invocations:
        size = len(invocation.payload)
        if size > limit:
            source = "the stored input" if invocation.action == "delete" else "input"
            raise LifecycleError(
                "%s is too large: the %s payload for %s would be %d bytes, over Lambda's "
                "%s limit of %d bytes%s" % (
                    source, invocation.action, invocation.target.describe(), size, kind, limit,
                    " (invocation_type: Event)" if invocation_type == EVENT else "")
            )
    diff = dict(diff, prepared="lambda_invocation: %s (%s)\n" % (plan_.action, plan_.reason))
    return replace(plan_, diff=diff, warnings=_undeletable(plan_, limit, kind))


def _undeletable(plan_: Plan, limit: int = MAX_PAYLOAD_BYTES, kind: str = "synchronous") -> Tuple[str, ...]:
    """A CRUD record whose delete payload (the input twice) would be refused later: say so now."""
    new = plan_.record
    if not plan_.invocations or new is None or new.scope != CRUD:
        return ()
    if len(plan_.invocations[-1].payload) * 2 <= limit:
        return ()  # cheap bound: the delete payload is at most about twice this one
    size = len(_delete_of(new).payload)
    if size <= limit:
        return ()
    return (
        "input is large for lifecycle_scope CRUD: its delete payload (the input plus prev_input, the "
        "input again) would be %d bytes, over Lambda's %s limit of %d bytes, so state=absent "
        "and any later replacement will be refused until the input is smaller" % (size, kind, limit),
    )


# -- JSON helpers ---------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise LifecycleError("input holds %s, which JSON cannot carry; give a number or a string" % name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise LifecycleError("input holds the number %s, too large for a float; give it as a string" % text)
    return number


def _unicode(text: str, option: str) -> str:
    """Refuse text that cannot be sent or stored as UTF-8 (a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LifecycleError("%s holds text that is not valid Unicode (%s)" % (option, exc.reason)) from exc
    return text


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _plain(value: Any, option: str) -> Any:
    """A JSON value made of plain types, keeping key order; refuse what JSON cannot hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _paired(str(value))
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
            out[_paired(str(k))] = _plain(v, option)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, option) for v in value]
    raise LifecycleError("%s holds a %s, which is not a JSON value" % (option, type(value).__name__))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _paired(text: str) -> str:
    """Text with each UTF-16 surrogate pair joined into the one character it stands for.

    ansible-core 2.18 turns a templated string that looks like a data structure into one by reading
    it as Python, so the JSON escape of an emoji (two surrogates) becomes two separate code points;
    json.loads would have joined them. A lone surrogate stays, and payload() refuses it.
    """
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text


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


def _view(target: Target, scope: str, key: str, triggers: Dict[str, Any], value: Any,
          function: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    view = {
        "function_name": target.function_name,
        "qualifier": target.qualifier,
        "tenant_id": target.tenant_id,
        "lifecycle_scope": scope,
        "terraform_key": key,
        "triggers": triggers,
        "input": value,
    }
    if function:
        view["function"] = dict(function)  # reinvoke_on
    return view
