# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task's options checked beyond their types, and turned into Desired (D) for each record.

Every check of docs/lifecycle.md's "Bad input" lives here, and fails before anything is read,
written or invoked, with a message that names the option (and, with for_each, the key).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import FunctionNameError
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import is_qualifier
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import parse_function_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import ABSENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CREATE_ONLY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CRUD
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_MAX_CONCURRENCY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_QUALIFIER
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_TERRAFORM_KEY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import EVENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import INVOCATION_TYPES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import RECORD_INPUT_CHOICES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REINVOKE_ON_CHOICES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REQUEST_RESPONSE
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import SCOPES
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import STATES
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import kind
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import parse_input
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import valid_unicode
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import new_salt
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import trigger_text


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
    if not is_qualifier(qualifier):
        raise LifecycleError("qualifier must be a version number or an alias name, got %r" % (qualifier,))
    scope = params.get("lifecycle_scope") or CREATE_ONLY
    if scope not in SCOPES:
        raise LifecycleError("lifecycle_scope must be CREATE_ONLY or CRUD, got %r" % (scope,))
    key = params.get("terraform_key")
    key = DEFAULT_TERRAFORM_KEY if key is None else key
    if not isinstance(key, str) or not key:
        raise LifecycleError("terraform_key must be a non-empty string")
    valid_unicode(key, "terraform_key")
    state = params.get("state") or PRESENT
    if state not in STATES:
        raise LifecycleError("state must be present, absent or forgotten, got %r" % (state,))
    timeout = params.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0):
        raise LifecycleError("timeout must be a positive number of seconds, got %r" % (timeout,))
    triggers = trigger_map(params.get("triggers"))
    tenant_id = params.get("tenant_id") or None  # "" is unset, as in Terraform
    if tenant_id is not None:
        valid_unicode(tenant_id, "tenant_id")

    value = None
    if state == PRESENT:
        if params.get("input") is None:
            raise LifecycleError("input is required when state is present")
        value = parse_input(params["input"])
        if scope == CRUD:
            if not isinstance(value, dict):
                raise LifecycleError("input must be a JSON object when lifecycle_scope is CRUD, got %s" % kind(value))
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
            "itself. Use lifecycle_scope CREATE_ONLY, or record_input: full."
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

    if params.get("idempotency_key") and scope != CRUD:
        raise LifecycleError(
            "idempotency_key: true needs lifecycle_scope CRUD: the key goes in the lifecycle block, which "
            "CREATE_ONLY does not send (a durable function gets it as its execution name in any scope)")
    if params.get("expect_result") is not None:
        if invocation_type == EVENT:
            raise LifecycleError("expect_result cannot be used with invocation_type: Event: a queued invocation "
                                 "returns no response to compare")
        parse_input(params["expect_result"], "expect_result")

    record_id = params.get("id") or function_name
    valid_unicode(record_id, "id")
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
        idempotency_key=bool(params.get("idempotency_key")),
        durable=params.get("durable"),
    )


def trigger_map(raw: Any, option: str = "triggers") -> Dict[str, str]:
    """Triggers as Terraform's ``map(string)``: each value is a string.

    A number or boolean becomes its text (``1`` and ``1.0`` -> ``"1"``, ``true`` -> ``"true"``), as
    Terraform converts them; a list, a mapping or null is refused.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise LifecycleError("%s must be a mapping, got %s" % (option, kind(raw)))
    out: Dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise LifecycleError("%s has a non-string key %r" % (option, key))
        if isinstance(value, (Mapping, list, tuple)) or value is None:
            raise LifecycleError(
                "%s.%s is %s, but each trigger is a string; turn it into one, for example with "
                "'{{ value | to_json }}' or '{{ value | to_json | hash(\"sha256\") }}'" % (option, key, kind(value))
            )
        text = trigger_text(value)
        if text is None:
            raise LifecycleError("%s.%s holds a %s, which is not a string" % (option, key, type(value).__name__))
        out[valid_unicode(str(key), option)] = valid_unicode(text, option)
    return out


def key_id(record_id: str, key: str) -> str:
    """The id of one for_each key's record, as Terraform addresses an instance: ID[KEY]."""
    return "%s[%s]" % (record_id, key)


def key_of(record_id: str, name: str) -> Optional[str]:
    """The key of a record id ``ID[KEY]`` of this ID; None for any other id."""
    prefix = record_id + "["
    if name.startswith(prefix) and name.endswith("]") and len(name) > len(prefix) + 1:
        return name[len(prefix):-1]
    return None


@dataclass(frozen=True)
class TaskSpec:
    """What a task asks for: its id, and the records it owns with what it wants of each.

    ``keys`` maps a for_each key to its Desired; a task without for_each has the one key None.
    With for_each (or state absent/forgotten of an id that has keys), the task also owns every
    key of its id that has a record: Runner plans those with ``removed()``.
    """

    base_id: str
    keyed: bool
    keys: Dict[Optional[str], Desired]
    options: Mapping[str, Any]
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY

    def record_id(self, key: Optional[str]) -> str:
        return self.base_id if key is None else key_id(self.base_id, key)

    def removed(self, key: str) -> Desired:
        """D for a key that has a record but is not (or no longer) given: absent, or forgotten."""
        state = self.options.get("state") or PRESENT
        desired = _keyed(self.options, self.base_id, key, None, ABSENT if state == PRESENT else state)
        if state == PRESENT:
            desired = replace(desired, absent_because="the key is no longer in for_each")
        return desired


def parse_task(options: Mapping[str, Any], *, keyed_absent: bool = False) -> TaskSpec:
    """The task's Desired for each record it names; ``keyed_absent``: state absent/forgotten without
    for_each applies to the keys of the id (it has some)."""
    base_id = str(options.get("id") or options.get("function_name"))
    concurrency = options.get("max_concurrency", DEFAULT_MAX_CONCURRENCY)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise LifecycleError("max_concurrency must be a whole number of 1 or more, got %r" % (concurrency,))
    raw = options.get("for_each")
    if raw is None and not keyed_absent:
        return TaskSpec(base_id, False, {None: parse_desired(options)}, options, concurrency)
    if raw is not None and options.get("input") is not None:
        raise LifecycleError("for_each and input are mutually exclusive: with for_each, each key's value is its input")
    if raw is not None and not isinstance(raw, Mapping):
        raise LifecycleError("for_each must be a mapping of key -> input")
    parse_desired(dict(options, input=None, state=ABSENT))  # the options every key shares, checked once
    keys: Dict[Optional[str], Desired] = {}
    if (options.get("state") or PRESENT) == PRESENT:
        for key, value in (raw or {}).items():
            if not isinstance(key, str):
                raise LifecycleError("for_each key %r is not a string (a %s); quote it" % (key, type(key).__name__))
            if not key:
                raise LifecycleError("for_each has an empty key")
            if value is None:
                raise LifecycleError("for_each key %r has no input (null)" % key)
            keys[key] = _keyed(options, base_id, key, value, PRESENT)
    return TaskSpec(base_id, True, keys, options, concurrency)


def _keyed(options: Mapping[str, Any], base_id: str, key: str, value: Any, state: str) -> Desired:
    params = dict(options, id=key_id(base_id, key), input=value, state=state, for_each=None)
    try:
        return parse_desired(params)
    except LifecycleError as exc:
        raise LifecycleError("for_each key %r: %s" % (key, exc)) from exc


def keys_in(base_id: str, names: List[str]) -> List[str]:
    """The keys of ``base_id`` among record ids, sorted."""
    return sorted(k for k in (key_of(base_id, name) for name in names) if k is not None)


def pairs(spec: TaskSpec, existing: List[str]) -> List[Tuple[Optional[str], Desired]]:
    """Every record the task owns, with what it wants of it: the keys given, then the keys of the
    id that have a record but are not given (planned as removed)."""
    out: List[Tuple[Optional[str], Desired]] = list(spec.keys.items())
    out.extend((key, spec.removed(key)) for key in existing if key not in spec.keys)
    return out
