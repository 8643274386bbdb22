# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task's result from what the runner did: one record's (the module's RETURN), or by key (for_each)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.cloudhooks.aws.plugins.plugin_utils import notes
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import TaskSpec
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import json_or_none
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import Slot


def of(spec: TaskSpec, slots: List[Slot], invocations: List[Dict[str, Any]], warnings: List[str], *,
       check_mode: bool, durable: bool) -> Dict[str, Any]:
    """The task's result: by key with for_each, else the one record's."""
    if spec.keyed:
        return keyed(slots, invocations, warnings, check_mode, durable)
    return one(slots[0], invocations, warnings, check_mode)


def _text(slot: Slot, check_mode: bool) -> Optional[str]:
    """The result a slot returns: the response of its last create/update, or the stored one."""
    if slot.plan is None or slot.kind is not None:
        return None
    if slot.plan.invocations:
        return None if check_mode else slot.result
    return slot.plan.result


def _action(slot: Slot) -> str:
    recovered = str((slot.recovered or {}).get("action") or "none")
    if slot.plan is None:
        return recovered
    return slot.plan.action if (slot.plan.changed or not slot.recovered) else recovered


def _real(invocations: List[Dict[str, Any]]) -> bool:
    return any(not entry.get("dry_run") for entry in invocations)


def one(slot: Slot, invocations: List[Dict[str, Any]], warnings: List[str], check_mode: bool) -> Dict[str, Any]:
    """The result of a task without for_each."""
    made = [{k: v for k, v in entry.items() if k != "key"} for entry in invocations]
    if slot.failed_entry:
        made.append(slot.failed_entry)
    text = _text(slot, check_mode)
    result: Dict[str, Any] = {
        "changed": _changed(slot) if slot.kind is None else _real(invocations),
        "action": _action(slot),
        "invocations": made,
        "result": text,
        "result_json": json_or_none(text),
        "warnings": list(slot.plan.warnings if slot.plan else ()) + warnings,
        "diff": slot.plan.diff if slot.plan else {},
    }
    if slot.log is not None:
        result["log"] = slot.log
    if slot.adopted_from:
        result["adopted_from"] = slot.adopted_from
    if slot.recovered:
        result["recovered"] = {k: v for k, v in slot.recovered.items() if k in ("how", "in_flight", "found")}
        if slot.recovered["how"] == "lambda" and slot.kind is None:
            result["msg"] = notes.recovered_from_lambda(slot.recovered.get("found") or [])
    if slot.kind is not None:
        result.update(failed=True, msg=slot.error, failure_kind=slot.kind)
    return result


def _changed(slot: Slot) -> bool:
    return bool(slot.plan is not None and slot.plan.changed) or bool(slot.recovered)


def keyed(slots: List[Slot], invocations: List[Dict[str, Any]], warnings: List[str],
          check_mode: bool, durable: bool) -> Dict[str, Any]:
    """The result of a for_each task: each key's action and result, and the keys that failed."""
    errors = {str(slot.key): str(slot.error) for slot in slots if slot.kind is not None}
    results = {}
    for slot in slots:
        if slot.kind is None and slot.plan is not None and (slot.plan.record is not None or slot.plan.invocations):
            text = _text(slot, check_mode)
            results[str(slot.key)] = {"result": text, "result_json": json_or_none(text)}
    diff = {"prepared": "".join("%s: %s" % (slot.record_id, slot.plan.diff.get("prepared", ""))
                                for slot in slots if slot.plan is not None),
            "before": {slot.key: slot.plan.diff.get("before") for slot in slots if slot.plan is not None},
            "after": {slot.key: slot.plan.diff.get("after") for slot in slots if slot.plan is not None}}
    warnings = [w for slot in slots if slot.plan is not None for w in slot.plan.warnings] + warnings
    if errors and not durable and _real(invocations):
        warnings.append(notes.FACTS_DROPPED)
    result: Dict[str, Any] = {
        "changed": any(_changed(slot) for slot in slots if slot.kind is None) or _real(invocations),
        "actions": {str(slot.key): _action(slot) for slot in slots},
        "results": results,
        "invocations": invocations,
        "warnings": warnings,
        "diff": diff,
    }
    recovered = {str(slot.key): slot.recovered["how"] for slot in slots if slot.recovered}
    if recovered:
        result["recovered_keys"] = recovered
    if errors:
        result.update(failed=True, failed_keys=errors, msg=notes.keys_failed(errors, len(slots)))
    return result
