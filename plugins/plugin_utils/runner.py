# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one driver of every task: read, adopt, recover, plan, marker, invoke, write (docs/architecture.md).

A task is a set of records: a task without for_each is one (id ``ID``), a for_each task one per key
(``ID[KEY]``). For each, on any store (stores/):

1. read its document; when there is none, adopt it (adoption.py); an unreadable one fails the
   task before anything is written or invoked, naming the key;
2. a marker left in flight by another run fails the task, unless ``recover`` says how to go on
   (recovery.py);
3. plan (planner.py); with reinvoke_on, the module reads the function once for the task first;
4. check mode: the planned invocations go to the module as DryRun calls, and nothing is written;
5. record-only changes and adoptions are written; then, with a durable store, an in-flight marker
   for every record with invocations (conditional writes: a lost race re-reads);
6. the module makes the invocations, every record's at once (a durable store gets one invocation
   per record per module run, so that the progress of a replace is stored between its halves);
7. each record's outcome decides what is written: done -> the new record; function error or not
   completed -> the marker removed, what finished kept; unknown -> the marker stays. With the host's
   facts nothing of a failed record is written (Ansible drops a failed task's facts anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import DONE
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import UNKNOWN
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import request
from ansible_collections.cloudhooks.aws.plugins.plugin_utils import documents
from ansible_collections.cloudhooks.aws.plugins.plugin_utils import notes
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import FACT
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import TERRAFORM
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import Adoption
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import TaskSpec
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import keys_in
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import pairs
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.outcomes import Answer
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.outcomes import read_answer
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan_adopted
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan_unreadable
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.recovery import mark_all
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.recovery import recover_all
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.recovery import refuse_if_not_durable
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Conflict
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import RecordStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import Slot
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import TaskFailed

# module(request) -> the module's result, as ActionBase._execute_module returns it
ModuleRunner = Callable[[Dict[str, Any]], Mapping[str, Any]]


@dataclass
class Runner:
    """Runs one task for one host against one store."""

    store: RecordStore
    adoption: Adoption
    module: ModuleRunner
    host: str
    check_mode: bool = False
    task_uuid: str = ""
    controller: Dict[str, Any] = field(default_factory=documents.controller_identity)
    now: Callable[[], str] = documents.now_text
    invocations: List[Dict[str, Any]] = field(default_factory=list)  # in the order they completed
    warnings: List[str] = field(default_factory=list)
    durable: Dict[str, bool] = field(default_factory=dict)  # which targets are durable functions (Target.name())

    def run(self, spec: TaskSpec, recover: Optional[str] = None) -> List[Slot]:
        """Every record's slot once the task is done; raises TaskFailed when it stops before invoking."""
        slots = [self.read_slot(key, spec.record_id(key), desired) for key, desired in self._owned(spec)]
        self._describe(slots)
        recover_all(self, slots, recover)
        for slot in slots:
            if slot.kind is None:
                slot.plan = self.plan_slot(slot)
        if self.check_mode:
            self._dry_run([slot for slot in slots if slot.planned])
            return slots
        for slot in slots:
            if slot.plan is not None and slot.kind is None and not slot.plan.invocations:
                self.record_only(slot)
        self.execute([slot for slot in slots if slot.planned])
        refuse_if_not_durable(self, slots)
        return slots

    # -- reading and planning ----------------------------------------------------------------

    def _owned(self, spec: TaskSpec) -> List[Tuple[Optional[str], Desired]]:
        if not spec.keyed:
            return list(spec.keys.items())
        try:
            existing = keys_in(spec.base_id, self.store.ids(self.host))
        except StoreError as exc:
            raise TaskFailed(notes.before_invoking(None, exc, None)) from exc
        return pairs(spec, existing)

    def read_slot(self, key: Optional[str], record_id: str, desired: Desired) -> Slot:
        slot = Slot(key, record_id, desired)
        where = self.store.where(self.host, record_id)
        try:
            stored = self.store.read(self.host, record_id)
            if stored is None:
                slot.record, slot.adopted_from = self.adoption.find(record_id, key, desired)
                return slot
            if self.store.durable:
                documents.check_version(stored.document, where)
            slot.exists = slot.existed = True
            slot.version = stored.version
            slot.marker = stored.document.get("in_flight") or None
            data = stored.document.get("record")
            try:
                slot.record = Record.from_data(data)
            except LifecycleError as exc:
                slot.unreadable = (data, exc)
        except (LifecycleError, StoreError) as exc:
            raise TaskFailed(notes.before_invoking(key, exc, where)) from exc
        return slot

    def _describe(self, slots: List[Slot]) -> None:
        """reinvoke_on: one GetFunctionConfiguration for the task (its keys share the target)."""
        wanted = [slot for slot in slots if slot.desired.needs_function]
        if not wanted:
            return
        answer = self.call({}, describe=list(wanted[0].desired.reinvoke_on))
        if answer.failure is not None or not isinstance(answer.function, dict):
            raise TaskFailed(answer.failure or "the module did not read the function")
        for slot in wanted:
            slot.desired = slot.desired.with_function(answer.function)

    def plan_slot(self, slot: Slot) -> Plan:
        """The slot's plan, its invocations keyed by the transition's serial (a new one, or the marker's
        being recovered), and looked up first when recover is auto."""
        slot.serial = slot.serial or documents.new_serial()
        desired = replace(slot.desired, serial=slot.serial)
        try:
            if slot.unreadable is not None:
                the_plan = plan_unreadable(slot.unreadable[0], desired, slot.unreadable[1])
            elif slot.adopted_from == TERRAFORM and slot.record is not None:
                the_plan = plan_adopted(slot.record, desired)
            else:
                the_plan = plan(slot.record, desired)
            if slot.lookup:
                the_plan = replace(the_plan, invocations=tuple(replace(i, lookup=True) for i in the_plan.invocations))
            return the_plan
        except LifecycleError as exc:
            where = self.store.where(self.host, slot.record_id)
            raise TaskFailed(notes.before_invoking(slot.key, exc, where), changed=bool(self.invocations),
                             invocations=self.invocations) from exc

    # -- the module ----------------------------------------------------------------------------

    def call(self, batch: Mapping[str, List[Invocation]], describe: Optional[List[str]] = None,
             probe: Sequence[Target] = ()) -> Answer:
        answer = read_answer(self.module(request(batch, describe=describe or [], durable=self.durable, probe=probe)),
                             list(batch))
        self.warnings.extend(answer.warnings)
        self.invocations.extend(answer.invocations)
        self.durable.update(answer.durable)
        return answer

    def _dry_run(self, slots: List[Slot]) -> None:
        if slots:
            answer = self.call({slot.wire: slot.planned for slot in slots})
            for slot in slots:
                self._failed_if(slot, answer.outcomes[slot.wire])

    def _failed_if(self, slot: Slot, found: Mapping[str, Any]) -> bool:
        if found["kind"] == DONE:
            return False
        slot.kind, slot.error, slot.failed_entry = found["kind"], str(found.get("msg")), found.get("failed_invocation")
        return True

    # -- writing -----------------------------------------------------------------------------

    def write(self, slot: Slot, record: Optional[Record], marker: Optional[Dict[str, Any]] = None,
              keep: bool = True) -> None:
        """The slot's document, conditionally on the version read. No record and no marker removes it,
        unless ``keep``: a "no record" document stops adoption from bringing an old record back."""
        if record is not None:
            record = replace(record, record_id=slot.record_id)
        if record is None and marker is None and not keep:
            if slot.exists:
                self.store.delete(self.host, slot.record_id, str(slot.version))
            slot.exists, slot.version, slot.marker = False, None, None
            return
        data = documents.document(self.host, slot.record_id, record, marker, self.now())
        try:
            if slot.exists:
                slot.version = self.store.replace(self.host, slot.record_id, data, str(slot.version))
            else:
                slot.version = self.store.create(self.host, slot.record_id, data)
        except Conflict:
            again = self.store.read(self.host, slot.record_id)  # a write that was retried after a lost answer
            if again is None or again.document.get("nonce") != data["nonce"]:
                raise
            slot.version = again.version
        slot.exists, slot.marker = True, marker

    def record_only(self, slot: Slot) -> None:
        """A plan without invocations: a record-only change, a forget, an adoption, a marker to clear."""
        the_plan = slot.the_plan
        slot.result = the_plan.result
        if not (the_plan.store or slot.marker or (slot.adopted_from and not slot.exists and self.store.durable)):
            return
        final = the_plan.record if the_plan.store else slot.record
        try:
            self.write(slot, replace(final, written_by=self.task_uuid) if final else None, keep=False)
            self._unfact(slot)
        except StoreError as exc:
            slot.kind, slot.error = UNKNOWN, notes.before_invoking(slot.key, exc, None)

    def _unfact(self, slot: Slot) -> None:
        """A record adopted from a fact into a durable store leaves the fact (which held the input)."""
        facts = self.adoption.facts
        if slot.adopted_from == FACT and facts is not None:
            found = facts.read(self.host, slot.record_id)
            if found is not None:
                facts.delete(self.host, slot.record_id, found.version)

    # -- invoking ----------------------------------------------------------------------------

    def execute(self, slots: List[Slot]) -> None:
        """Markers, then the planned invocations in rounds, each record written after its outcome."""
        for slot in slots:
            slot.remaining, slot.done, slot.current = slot.planned, [], slot.record
        active = mark_all(self, slots) if self.store.durable else list(slots)
        per_call = 1 if self.store.durable else None
        while active:
            answer = self.call({slot.wire: slot.remaining[:per_call] for slot in active})
            for slot in active:
                self._advance(slot, answer.outcomes[slot.wire])
            active = [slot for slot in active if slot.remaining and slot.kind is None]

    def marker_of(self, slot: Slot) -> Dict[str, Any]:
        return documents.marker(slot.the_plan.action, slot.remaining, slot.done, self.final(slot), slot.record,
                                digest_only=slot.desired.record_input == "digest", since=self.now(),
                                controller=self.controller, serial=slot.serial)

    def final(self, slot: Slot) -> Optional[Record]:
        """The record the slot's transition keeps once it succeeds, with the result it returned."""
        return slot.the_plan.with_result(slot.result, self.task_uuid)

    def _advance(self, slot: Slot, found: Mapping[str, Any]) -> None:
        if found.get("result") is not None:
            slot.result = found["result"]
        for entry in found["done"]:
            slot.remaining.pop(0)
            slot.done.append(entry)
            slot.current = None if entry.get("action") == "delete" else self.final(slot)
        slot.log = found.get("log", slot.log)
        where = self.store.where(self.host, slot.record_id)
        try:
            if self._failed_if(slot, found):
                self._after_failure(slot, found, where)
            elif not slot.remaining:
                self.write(slot, slot.current, keep=False)
                self._unfact(slot)
            else:
                self.write(slot, slot.current, self.marker_of(slot))
        except StoreError as exc:
            slot.kind, slot.error = UNKNOWN, notes.unrecorded(where, exc)

    def _after_failure(self, slot: Slot, found: Mapping[str, Any], where: str) -> None:
        """What a failed record keeps: with the facts nothing (Ansible drops a failed task's facts);
        with a durable store, the marker is removed unless the outcome is unknown."""
        if not self.store.durable:
            slot.error = notes.fact_failure(str(slot.error), slot.done, len(slot.the_plan.invocations))
            return
        if found.get("not_durable") and slot.recovered:  # recover: auto, not a durable function: as found
            slot.not_durable = True
            self.write(slot, slot.record, slot.recovered["in_flight"])
            return
        if slot.kind != UNKNOWN:
            self.write(slot, slot.current, keep=slot.existed or bool(slot.done))
        slot.error = notes.store_failure(str(slot.error), str(slot.kind), where, bool(slot.done))
