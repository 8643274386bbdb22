# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision table of docs/lifecycle.md as pure code: record (R) + desired (D) -> plan.

Every row of "state: present", "state: absent" and "state: forgotten" lives here once, with the
payloads (the lifecycle block in CRUD scope) and Lambda's payload limits. Nothing here talks to
AWS, to Ansible or to a store; the unit tests drive it as tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import ABSENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CREATE_ONLY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CRUD
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import EVENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import FORGOTTEN
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REQUEST_RESPONSE
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import compact
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import same_json
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import InputDigest
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import new_salt

# Lambda's limit for a synchronous (RequestResponse) request payload.
MAX_PAYLOAD_BYTES = 6291456
# Lambda's limit for an asynchronous (Event) request payload: 1 MB (1,048,576 bytes) since AWS
# raised it from 256 KB in October 2025. Source: the Invoke API reference ("For asynchronous
# invocations, the maximum payload size is 1 MB", docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html)
# and the Lambda quotas page (gettingstarted-limits), where MB means 1,024 KB.
MAX_ASYNC_PAYLOAD_BYTES = 1048576
PAYLOAD_LIMITS = {REQUEST_RESPONSE: (MAX_PAYLOAD_BYTES, "synchronous"), EVENT: (MAX_ASYNC_PAYLOAD_BYTES, "asynchronous")}


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
        return _absent(record, desired)
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


def plan_unreadable(data: Any, desired: Desired, error: LifecycleError) -> Plan:
    """The plan when the stored record cannot be read: with state: forgotten it is dropped (that is
    the way out of it); otherwise the task fails with ``error``."""
    if desired.state != FORGOTTEN:
        raise error
    diff: Dict[str, Any] = {"before": {"unreadable record": data}, "after": {}}
    return _checked(Plan("forget", True, (), None, store=True, reason="state: forgotten; the stored record was unreadable"), diff)


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


def idempotency_key(record_id: str, action: str, serial: str) -> str:
    """An invocation's idempotency key: stable for one transition of one record (the serial is the
    transition's, kept in its in-flight marker), another for the next; 47 characters of [a-z0-9-]."""
    hashed = hashlib.sha256("\0".join((record_id, action, serial)).encode("utf-8")).hexdigest()[:40]
    return "%s-%s" % (action, hashed)


def payload(value: Any, key: Optional[str] = None, action: Optional[str] = None, prev: Any = None,
            idempotency: Optional[str] = None) -> bytes:
    """Compact UTF-8 JSON; in CRUD scope the lifecycle block is added last under ``key`` (with the
    idempotency key when the task asks for it)."""
    if key is not None:
        value = dict(value)
        value[key] = {"action": action, "prev_input": prev}
        if idempotency is not None:
            value[key]["idempotency_key"] = idempotency
    try:
        return compact(value).encode("utf-8")
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


def _absent(record: Optional[Record], desired: Desired) -> Plan:
    if record is None:
        return Plan("none", False, reason="%s; there is no record" % desired.absent_because)
    if record.scope == CRUD:
        return Plan("delete", True, (_delete_of(record, desired),), None, store=True,
                    reason="%s; the record is CRUD" % desired.absent_because)
    return Plan("forget", True, (), None, store=True,
                reason="%s; the record is CREATE_ONLY, nothing is invoked" % desired.absent_because)


def _keys(desired: Desired, action: str) -> Tuple[Optional[str], Optional[str]]:
    """(the invocation's idempotency key, the same when the lifecycle block carries it)."""
    key = idempotency_key(desired.id, action, desired.serial) if desired.serial else None
    return key, (key if desired.idempotency_key else None)


def _create(desired: Desired, action: str, before: Tuple[Invocation, ...], why: str) -> Plan:
    key, in_block = _keys(desired, "create")
    if desired.scope == CRUD:
        body = payload(desired.input, desired.key, "create", None, in_block)
    else:
        body = payload(desired.input)
    invocations = before + (Invocation("create", desired.target, body, key),)
    return Plan(action, True, invocations, _record_of(desired, None, None), store=True, reason=why)


def _replace(record: Record, desired: Desired, why: str) -> Plan:
    before = (_delete_of(record, desired),) if record.scope == CRUD else ()
    return _create(desired, "replace", before, why)


def _update(record: Record, desired: Desired, why: str) -> Plan:
    key, in_block = _keys(desired, "update")
    body = payload(desired.input, desired.key, "update", record.input, in_block)
    invocation = Invocation("update", desired.target, body, key)
    return Plan("update", True, (invocation,), _record_of(desired, None, record), store=True, reason=why)


def _delete_of(record: Record, desired: Desired) -> Invocation:
    """The delete of R's target with R's input and key name (the task's idempotency key option)."""
    key, in_block = _keys(desired, "delete")
    return Invocation("delete", record.target, payload(record.input, record.key, "delete", record.input, in_block), key)


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
    size = len(payload(new.input, new.key, "delete", new.input))
    if size <= limit:
        return ()
    return (
        "input is large for lifecycle_scope CRUD: its delete payload (the input plus prev_input, the "
        "input again) would be %d bytes, over Lambda's %s limit of %d bytes, so state=absent "
        "and any later replacement will be refused until the input is smaller" % (size, kind, limit),
    )
