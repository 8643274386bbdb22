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
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import FORGOTTEN
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import SCOPES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import STATES

# Lambda's limit for a synchronous (RequestResponse) request payload.
MAX_PAYLOAD_BYTES = 6291456

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
    written_by: Optional[str] = field(default=None, compare=False)
    # The id the record is kept under; written for for_each keys (ID[KEY]), whose facts are found
    # by it. Older records and single records leave it out.
    record_id: Optional[str] = field(default=None, compare=False)

    def to_fact(self) -> str:
        extra = {"id": self.record_id} if self.record_id is not None else {}
        return _compact(
            {
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
        )

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
            record_id = data.get("id")
            return cls(
                target=Target(data["function_name"], qualifier, tenant_id or None),
                scope=scope,
                key=key,
                triggers=stored_triggers(triggers),
                input=data["input"],
                result=result,
                written_by=written_by if isinstance(written_by, str) else None,
                record_id=record_id if isinstance(record_id, str) else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise LifecycleError(
                "the stored record is unreadable (%s); remove the fact, run once with state: forgotten, "
                "or use a new id" % exc
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

    def with_result(self, result: Optional[str], written_by: Optional[str] = None) -> Optional[Record]:
        """The record to store once the invocations succeeded and returned ``result``."""
        if self.record is None:
            return None
        return replace(self.record, result=result, written_by=written_by)


def fact_name(record_id: str) -> str:
    """One fact per id: readable, [a-z0-9_] only, unique per id (a hash of the id)."""
    slug = re.sub(r"[^a-z0-9]+", "_", record_id.lower()).strip("_")[:40]
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    return "%s%s_%s" % (FACT_PREFIX, slug, digest) if slug else FACT_PREFIX + digest


def parse_desired(params: Mapping[str, Any]) -> Desired:
    """Check the task's options beyond their types; raise LifecycleError naming the option."""
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
    diff: Dict[str, Any] = {"before": record.view() if record else {}, "after": after}
    if desired.state == FORGOTTEN:
        return _checked(_forget(record), diff)
    if desired.state == ABSENT:
        return _checked(_absent(record), diff)
    if record is None:
        return _checked(_create(desired, "create", (), "no record"), diff)
    why = _replace_reasons(record, desired)
    if why:
        return _checked(_replace(record, desired, why), diff)
    if not same_json(record.input, desired.input):
        if desired.scope == CRUD:
            return _checked(_update(record, desired, "input changed"), diff)
        return _checked(_replace(record, desired, "input changed"), diff)
    if record.scope == CREATE_ONLY and desired.scope == CRUD:
        # Terraform parity: moving into CRUD tells the function, with the same input.
        return _checked(_update(record, desired, "scope changed from CREATE_ONLY to CRUD"), diff)
    if record.scope != desired.scope or record.key != desired.key:
        # [ours] only the record changes; nothing is invoked.
        why = "scope changed" if record.scope != desired.scope else "terraform_key changed"
        new = _record_of(desired, record.result)
        return _checked(Plan("update", True, (), new, store=True, result=record.result, reason=why + "; only the record changes"), diff)
    return _checked(Plan("none", False, (), record, store=False, result=record.result, reason="nothing changed"), diff)


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
    return _checked(adopted, usual.diff)


def shared_record_warning(record: Optional[Record], desired: Desired, task_uuid: Optional[str]) -> Optional[str]:
    """Two tasks that share one record: the record was written earlier in this run, by another
    task, with another input. Ansible gives every task of a run a uuid that differs only in its last
    part, so the rest names the run."""
    if record is None or not record.written_by or not task_uuid or desired.state != PRESENT:
        return None
    if record.written_by == task_uuid or _run_of(record.written_by) != _run_of(task_uuid):
        return None
    if same_json(record.input, desired.input):
        return None
    return (
        "the record of id %r was written earlier in this run by another task with another input: two "
        "tasks without their own id share one record, and each invokes again on every run. Give each "
        "task its own id." % desired.id
    )


def _run_of(task_uuid: str) -> str:
    return task_uuid.rsplit("-", 1)[0]


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
    return Plan(action, True, invocations, _record_of(desired, None), store=True, reason=why)


def _replace(record: Record, desired: Desired, why: str) -> Plan:
    before = (_delete_of(record),) if record.scope == CRUD else ()
    return _create(desired, "replace", before, why)


def _update(record: Record, desired: Desired, why: str) -> Plan:
    body = payload(desired.input, desired.key, "update", record.input)
    invocation = Invocation("update", desired.target, body)
    return Plan("update", True, (invocation,), _record_of(desired, None), store=True, reason=why)


def _delete_of(record: Record) -> Invocation:
    return Invocation("delete", record.target, payload(record.input, record.key, "delete", record.input))


def _record_of(desired: Desired, result: Optional[str]) -> Record:
    return Record(desired.target, desired.scope, desired.key, desired.triggers, desired.input, result)


def _checked(plan_: Plan, diff: Dict[str, Any]) -> Plan:
    """Refuse a payload over Lambda's synchronous limit before anything is invoked; name the
    planned action and why in the diff (shown even when before and after are the same)."""
    for invocation in plan_.invocations:
        size = len(invocation.payload)
        if size > MAX_PAYLOAD_BYTES:
            source = "the stored input" if invocation.action == "delete" else "input"
            raise LifecycleError(
                "%s is too large: the %s payload for %s would be %d bytes, over Lambda's "
                "synchronous limit of %d bytes" % (
                    source, invocation.action, invocation.target.describe(), size, MAX_PAYLOAD_BYTES)
            )
    diff = dict(diff, prepared="lambda_invocation: %s (%s)\n" % (plan_.action, plan_.reason))
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
