# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-flight markers: writing them before invoking, and going on from one that another run left.

docs/lifecycle.md, "Record stores": before the first invocation a conditional write puts a marker
in each record's document; losing that race re-reads the record (another run's marker fails the
task, a record that is now current needs nothing). A marker found by a later run is recovered, for every record that holds one, as ``recover`` says:
``retry`` sends the invocations it still names (with the same idempotency keys), ``assume_done``
stores its planned record, and ``auto`` (the default) asks Lambda when the function is a durable one:
each invocation is looked up by its execution name first (module_utils/durable.py). For a function
that is not durable, ``auto`` fails the task, listing every record that holds a marker.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from dataclasses import replace

from ansible_collections.cloudhooks.aws.plugins.module_utils.options import ASSUME_DONE
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import RETRY
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils import documents
from ansible_collections.cloudhooks.aws.plugins.plugin_utils import notes
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Conflict
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import Slot
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import TaskFailed

ATTEMPTS = 3  # conditional writes lost to other runs before this one gives up
LAMBDA = "lambda"  # recover: auto, for a durable function: what Lambda says of each execution


def recover_all(runner: Any, slots: List[Slot], how: Optional[str]) -> None:
    """Go on from every marker found, as ``how`` says; refuse, listing them all, when it cannot."""
    marked = [slot for slot in slots if slot.marker]
    if not marked:
        return
    if how not in (RETRY, ASSUME_DONE):
        # Before touching any marker (which may be a run's still going): which functions are durable.
        unknown = sorted({t for slot in marked for t in _targets(slot) if t.name() not in runner.durable},
                         key=Target.name)
        if unknown and any(slot.desired.durable is None for slot in marked):
            runner.call({}, probe=unknown)
        for slot in marked:
            slot.not_durable = not _may_be_durable(runner, slot)
        if all(slot.not_durable for slot in marked):
            refuse_if_not_durable(runner, marked)
        how = LAMBDA
    retried: List[Slot] = []
    for slot in marked:
        if slot.not_durable:
            continue  # refused below, its marker untouched
        found = slot.marker or {}
        try:
            planned, prior = Record.from_data(found.get("record")), Record.from_data(found.get("prior"))
        except LifecycleError as exc:
            raise TaskFailed(notes.before_invoking(slot.key, exc, runner.store.where(runner.host, slot.record_id))) from exc
        slot.recovered = {"how": how, "action": found.get("action"), "in_flight": found}
        slot.serial, slot.lookup = found.get("serial"), how == LAMBDA  # the same idempotency keys
        invocations = [replace(i, lookup=slot.lookup) for i in documents.remaining_of(found)]
        if how == ASSUME_DONE:
            slot.record = planned
            if not runner.check_mode:
                runner.write(slot, planned, keep=False)
        elif not invocations and found.get("remaining"):
            # record_input: digest keeps no payload (it holds the input) in the marker: plan again from
            # the record the marker was planned from, with the task's input and the marker's serial.
            slot.record = prior
        elif runner.check_mode:
            slot.not_durable = bool(runner.call({slot.wire: invocations}).outcomes[slot.wire].get("not_durable"))
            slot.record = planned
        else:
            slot.plan = Plan(str(found.get("action")), True, tuple(invocations), planned, store=True,
                             keep_result=slot.desired.record_result)
            retried.append(slot)
    runner.execute(retried)
    refuse_if_not_durable(runner, marked)
    for slot in retried:
        if slot.kind is None:
            slot.recovered["found"] = [entry.get("execution_status") for entry in slot.done if entry.get("recovered")]
            slot.record, slot.plan, slot.serial, slot.lookup = slot.current, None, None, False


def _targets(slot: Slot) -> List[Target]:
    return [i.target for i in documents.names_of(slot.marker or {})]


def _may_be_durable(runner: Any, slot: Slot) -> bool:
    """Whether the function of a marker's invocations may be durable: not declared or known otherwise."""
    return slot.desired.durable is not False and any(runner.durable.get(t.name()) is not False for t in _targets(slot))


def refuse_if_not_durable(runner: Any, slots: List[Slot]) -> None:
    """recover: auto found functions that are not durable: their markers are as they were; refuse."""
    refused = [slot for slot in slots if slot.not_durable]
    if refused:
        raise TaskFailed(refusal(runner, refused), changed=bool(runner.invocations), invocations=runner.invocations,
                         in_flight=_markers(refused))


def refusal(runner: Any, marked: List[Slot]) -> str:
    if marked[0].key is None:
        slot = marked[0]
        return documents.in_flight_message(slot.record_id, runner.host, runner.store.where(runner.host, slot.record_id),
                                           slot.marker or {})
    listed = "; ".join("%r at %s (%s)" % (slot.key, runner.store.where(runner.host, slot.record_id),
                                          documents.describe_marker(slot.marker or {})) for slot in marked)
    return (
        "%d for_each key(s) of %s on %s have an invocation in flight: %s. Either that run is still going, or it ended "
        "without confirming, and the function may or may not have run. Nothing was invoked by this run. If that run "
        "is over, check the function's side, then run again with recover=assume_done (they ran: store the planned "
        "records without invoking) or recover=retry (send the planned invocations again); recover applies to every "
        "key that holds a marker." % (len(marked), marked[0].record_id.rsplit("[", 1)[0], runner.host, listed))


def _markers(marked: List[Slot]) -> Any:
    if marked[0].key is None:
        return marked[0].marker
    return {slot.key: slot.marker for slot in marked}


def mark_all(runner: Any, slots: List[Slot]) -> List[Slot]:
    """Write the in-flight marker of every slot; the slots that still have something to invoke."""
    existed = {id(slot): (slot.exists, slot.record) for slot in slots}
    marked: List[Slot] = []
    try:
        for slot in slots:
            if _mark(runner, slot):
                marked.append(slot)
    except TaskFailed:
        _unmark(runner, marked, existed)
        raise
    return marked


def _mark(runner: Any, slot: Slot) -> bool:
    for _attempt in range(ATTEMPTS):
        try:
            runner.write(slot, slot.record, runner.marker_of(slot))
            return True
        except Conflict:
            fresh = runner.read_slot(slot.key, slot.record_id, slot.desired)
            if fresh.marker:
                raise TaskFailed(notes.another_run(slot.record_id, runner.host, documents.describe_marker(fresh.marker)),
                                 in_flight=fresh.marker)
            if slot.recovered:
                raise TaskFailed("%s changed while this run recovered it; run again." % runner.store.where(
                    runner.host, slot.record_id), changed=bool(runner.invocations), invocations=runner.invocations)
            for name in ("exists", "existed", "version", "record", "adopted_from", "unreadable", "marker"):
                setattr(slot, name, getattr(fresh, name))
            slot.plan = runner.plan_slot(slot)
            slot.remaining, slot.done, slot.current = list(slot.plan.invocations), [], slot.record
            if not slot.remaining:
                runner.record_only(slot)
                return False
        except StoreError as exc:
            raise TaskFailed("%s. Nothing was invoked." % str(exc).rstrip("."), changed=bool(
                runner.invocations), invocations=runner.invocations) from exc
    raise TaskFailed("%s kept changing under this run (%d attempts); run again." % (
        runner.store.where(runner.host, slot.record_id), ATTEMPTS), changed=bool(runner.invocations),
        invocations=runner.invocations)


def _unmark(runner: Any, marked: List[Slot], existed: Dict[int, Any]) -> None:
    """Remove the markers this run wrote before it stopped: nothing was invoked."""
    for slot in marked:
        was, record = existed[id(slot)]
        try:
            if was:
                runner.write(slot, record)
            else:
                runner.write(slot, None, keep=False)
        except StoreError:
            pass  # the marker stays; the next run names it
