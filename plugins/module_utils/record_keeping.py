# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping records in a durable store (file:// or s3://): the in-flight marker, progress, recover.

The lifecycle (lifecycle.py) decides what to invoke from a record; the store (record_store.py)
keeps JSON documents. This file is the protocol between them, run by the action plugin:

1. read the document of (host, id); when there is none, adopt the record from the host's fact
   or from an ansible-core 2.17/2.18 jsonfile cache file;
2. an in-flight marker found there fails the task, unless ``recover`` says how to go on;
3. plan; nothing to invoke: return (writing only a record-only change or an adoption);
4. before the first invocation, write the marker with a conditional write; a lost race re-reads:
   another run's marker fails the task naming it, a record that is now current means nothing to do;
5. invoke one planned invocation at a time, updating the document after each (a finished delete
   half of a replace leaves "no record" behind, so the next run sends only the create);
6. all done: the new record replaces the marker. A failure after which the function surely did
   not complete removes the marker; an unknown outcome (timeout, connection closed) keeps it.

The document: ``{"v": 1, "host", "id", "nonce", "written", "record": <record or null>,
"in_flight": <marker or null>}``; a new nonce in every write keeps each write's bytes (and so an
S3 ETag) unique and lets a writer whose request was retried recognise its own write.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Desired
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Plan
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Record
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import plan as make_plan
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import plan_adopted
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import FORGOTTEN
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import Conflict
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import RecordStore
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import StoreError
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import Stored

DOCUMENT_VERSION = 1
RETRY = "retry"
ASSUME_DONE = "assume_done"
RECOVER_CHOICES = (RETRY, ASSUME_DONE)
# The module says, when an invocation failed, whether the function surely did not complete.
NOT_COMPLETED = "not_completed"
UNKNOWN = "unknown"
# The module's own note on a failure assumes the record stays as it was; with a store, this file says.
# (The module runs one invocation at a time here, so its note never lists earlier ones.)
_MODULE_NOTES = (
    " Nothing was invoked before it; the stored record is unchanged.",
    " The stored record is unchanged.",
    " (nothing was invoked before it; the stored record is unchanged)",
    " (the stored record is unchanged)",
)
_ATTEMPTS = 3

# invoke(invocations) -> the module's result (failed, msg, invocations, result, failure_kind, log)
Invoker = Callable[[List[Invocation]], Dict[str, Any]]


class KeepingFailed(Exception):
    """Fails the task: ``result`` is what the task returns (msg, invocations, changed, ...)."""

    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.result = dict(result, failed=True, msg=msg)


def controller_identity() -> Dict[str, Any]:
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except  # no user name (a container without passwd entry)
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    # The task runs in a worker process; its parent is ansible-playbook.
    return {"host": socket.gethostname(), "user": user, "pid": os.getppid(), "worker_pid": os.getpid()}


def now_text() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Transition:
    """Invocations to make in order, and the record to keep once they all succeed."""

    action: str
    invocations: Tuple[Invocation, ...]
    record: Optional[Record]
    keep_result: bool = True  # record_result


@dataclass
class Keeper:
    """Runs one task's lifecycle against a durable store for one host and id."""

    store: RecordStore
    host: str
    desired: Desired
    invoke: Invoker
    check_mode: bool = False
    recover: Optional[str] = None
    adopt: Callable[[], Tuple[Optional[Record], Optional[str]]] = lambda: (None, None)
    # the task's terraform_state/terraform_address: the record to start from when none was found
    terraform: Optional[Callable[[Desired], Record]] = None
    controller: Dict[str, Any] = field(default_factory=controller_identity)
    now: Callable[[], str] = now_text
    # what happened, for the task's result
    invocations: List[Dict[str, Any]] = field(default_factory=list)
    result_text: Optional[str] = None
    log: Optional[str] = None

    @property
    def record_id(self) -> str:
        return self.desired.id

    @property
    def where(self) -> str:
        return self.store.where(self.host, self.record_id)

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> Dict[str, Any]:
        """The task's result (changed, action, invocations, result, ...); raises KeepingFailed."""
        lost_race = False
        for _attempt in range(_ATTEMPTS):
            stored = self._read()
            record, adopted_from = self._record_of(stored)
            marker = stored.document.get("in_flight") if stored else None
            version = stored.version if stored else None
            recovered: Optional[Dict[str, Any]] = None
            if marker:
                if lost_race:
                    raise KeepingFailed(
                        "another run is invoking %s on %s right now (%s); this run invoked nothing. "
                        "Run again when it has finished." % (self.record_id, self.host, describe_marker(marker)),
                        changed=False, invocations=[], action="none")
                record, version, recovered = self._recover(marker, record, version)
            try:
                if record is None and adopted_from is None and self.terraform is not None and self.desired.state != FORGOTTEN:
                    the_plan = plan_adopted(self.terraform(self.desired), self.desired)
                    adopted_from = "terraform_state"
                else:
                    the_plan = make_plan(record, self.desired)
            except LifecycleError as exc:
                raise KeepingFailed(str(exc), changed=bool(recovered), invocations=self.invocations) from exc
            if self.check_mode:
                return self._checked(the_plan, record, recovered, adopted_from)
            try:
                return self._apply(the_plan, record, version, stored is None, recovered, adopted_from)
            except Conflict:
                if recovered:
                    raise KeepingFailed(
                        "%s changed while this run recovered it; run again" % self.where,
                        changed=bool(self.invocations), invocations=self.invocations, action=recovered["action"])
                lost_race = True
        raise KeepingFailed("%s kept changing under this run (%d attempts); run again" % (self.where, _ATTEMPTS),
                            changed=bool(self.invocations), invocations=self.invocations, action="none")

    def _read(self) -> Optional[Stored]:
        try:
            stored = self.store.read(self.host, self.record_id)
        except StoreError as exc:
            raise KeepingFailed("%s Nothing was invoked." % exc, changed=False, invocations=[], action="none") from exc
        if stored and stored.document.get("v") != DOCUMENT_VERSION:
            raise KeepingFailed("the record at %s is unreadable (document version %r, expected %d); nothing was "
                                "invoked" % (self.where, stored.document.get("v"), DOCUMENT_VERSION),
                                changed=False, invocations=[], action="none")
        return stored

    def _record_of(self, stored: Optional[Stored]) -> Tuple[Optional[Record], Optional[str]]:
        try:
            if stored is not None:
                return Record.from_fact(stored.document.get("record")), None
            return self.adopt()
        except LifecycleError as exc:
            raise KeepingFailed("%s (%s); nothing was invoked" % (exc, self.where),
                                changed=False, invocations=[], action="none") from exc

    # -- in flight ---------------------------------------------------------------------------

    def _recover(self, marker: Dict[str, Any], record: Optional[Record],
                 version: Optional[str]) -> Tuple[Optional[Record], Optional[str], Dict[str, Any]]:
        """Go on from another run's marker as ``recover`` says: returns the record to plan from."""
        if self.recover not in RECOVER_CHOICES:
            raise KeepingFailed(in_flight_message(self.record_id, self.host, self.where, marker),
                                changed=False, invocations=[], action="none", in_flight=marker)
        planned = Record.from_fact(marker.get("record"))
        recovered = {"how": self.recover, "action": marker.get("action"), "in_flight": marker}
        if self.recover == RETRY and any(entry.get("payload") is None for entry in marker.get("remaining", [])):
            # record_input: digest keeps no payload (it holds the input) in the marker: plan again
            # from the record the marker was planned from, with the task's input.
            return Record.from_fact(marker.get("prior")), version, recovered
        remaining = tuple(Invocation.from_description(entry) for entry in marker.get("remaining", []))
        if self.check_mode:
            if self.recover == RETRY and remaining:
                self._invoke_dry(list(remaining))
            return planned, version, recovered
        if self.recover == ASSUME_DONE:
            if planned is None:
                self._remove(version)
                version = None
            else:
                version = self._write(version, planned, None)
            return planned, version, recovered
        transition = Transition(str(marker.get("action")), remaining, planned, self.desired.record_result)
        version, record = self._execute(transition, record, version, exists=True)
        return record, version, recovered

    # -- check mode --------------------------------------------------------------------------

    def _checked(self, the_plan: Plan, record: Optional[Record], recovered: Optional[Dict[str, Any]],
                 adopted_from: Optional[str]) -> Dict[str, Any]:
        if the_plan.invocations:
            self._invoke_dry(list(the_plan.invocations))
        result = self._result(the_plan, recovered, adopted_from)
        result["result"] = None if the_plan.invocations else (record.result if record else None)
        return result

    def _invoke_dry(self, planned: List[Invocation]) -> None:
        outcome = self.invoke(planned)
        if outcome.get("failed"):
            raise KeepingFailed(str(outcome.get("msg")), changed=False,
                                invocations=self.invocations + list(outcome.get("invocations", [])),
                                action="none")
        self.invocations.extend(outcome.get("invocations", []))

    # -- a real run --------------------------------------------------------------------------

    def _apply(self, the_plan: Plan, record: Optional[Record], version: Optional[str], missing: bool,
               recovered: Optional[Dict[str, Any]], adopted_from: Optional[str]) -> Dict[str, Any]:
        if the_plan.invocations:
            transition = Transition(the_plan.action, tuple(the_plan.invocations), the_plan.record, the_plan.keep_result)
            _version, final = self._execute(transition, record, version, exists=not missing)
        else:
            self.result_text = the_plan.result
            final = the_plan.record if the_plan.store else record
            if the_plan.store and final is None:
                self._remove(version)
            elif the_plan.store or (missing and adopted_from):
                self._write(version, final, None)
        result = self._result(the_plan, recovered, adopted_from)
        if the_plan.store or recovered:
            result["record"] = final
        return result

    def _execute(self, transition: Transition, base: Optional[Record], version: Optional[str],
                 exists: bool) -> Tuple[Optional[str], Optional[Record]]:
        """Marker, then each invocation with the document updated after it; returns (version, record kept)."""
        done: List[Dict[str, Any]] = []
        remaining = list(transition.invocations)
        current = base
        try:
            version = self._write(version, current, self._marker(transition, base, remaining, done))
        except Conflict:
            raise  # a lost race: run() reads again
        except StoreError as exc:
            raise KeepingFailed("%s Nothing was invoked." % exc, changed=bool(self.invocations),
                                invocations=self.invocations, action=transition.action) from exc
        while remaining:
            invocation = remaining.pop(0)
            outcome = self.invoke([invocation])
            if outcome.get("failed"):
                raise self._failed(outcome, transition, base, current, version, keep=exists or bool(done))
            entries = list(outcome.get("invocations", []))
            self.invocations.extend(entries)
            done.extend(entries)
            if "log" in outcome:
                self.log = outcome["log"]
            if invocation.action == "delete":
                current = None  # that side is gone: what is left to do starts from no record
            else:
                self.result_text = outcome.get("result")
                current = _with_result(transition.record, self.result_text if transition.keep_result else None)
            marker = self._marker(transition, base, remaining, done) if remaining else None
            version = self._after_invocation(version, current, marker)
        return version, current

    def _after_invocation(self, version: str, record: Optional[Record],
                          marker: Optional[Dict[str, Any]]) -> Optional[str]:
        try:
            if record is None and marker is None:  # all done, and nothing to keep (absent)
                self._remove(version)
                return None
            return self._write(version, record, marker)
        except StoreError as exc:
            raise KeepingFailed(
                "the function was invoked, but the record store could not be updated: %s. The in-flight marker "
                "at %s stays; the next run stops on it: choose recover=assume_done (this invocation ran) "
                "there." % (exc, self.where),
                changed=True, invocations=self.invocations, action="none") from exc

    def _failed(self, outcome: Dict[str, Any], transition: Transition, base: Optional[Record],
                current: Optional[Record], version: str, keep: bool) -> KeepingFailed:
        succeeded = bool(self.invocations)
        self.invocations.extend(outcome.get("invocations", []))
        msg = _without_module_note(str(outcome.get("msg") or "the invocation failed"))
        if outcome.get("failure_kind") == NOT_COMPLETED:
            try:
                if current is None and not keep:
                    self._remove(version)
                else:
                    self._write(version, current, None)
            except StoreError as exc:
                msg += " The in-flight marker at %s could not be removed (%s): the next run stops on it." % (
                    self.where, exc)
            else:
                if current is base:
                    msg += " The stored record is unchanged (%s); the next run tries again." % self.where
                else:
                    msg += (" What succeeded before it is stored (%s): the next run starts from there and does "
                            "not repeat it." % self.where)
        else:
            msg += (" Whether the function ran is not known: the in-flight marker at %s stays, and the next run "
                    "stops on it until you choose recover=assume_done (it ran) or recover=retry (send it again)."
                    % self.where)
        extra = {k: v for k, v in outcome.items() if k not in ("failed", "msg", "changed", "invocations", "action")}
        return KeepingFailed(msg, **dict(extra, changed=succeeded, invocations=self.invocations,
                                         action=transition.action))

    # -- documents ---------------------------------------------------------------------------

    def _marker(self, transition: Transition, base: Optional[Record], remaining: List[Invocation],
                done: List[Dict[str, Any]]) -> Dict[str, Any]:
        return {
            "action": transition.action,
            "remaining": [self._described(invocation) for invocation in remaining],
            "done": [{k: entry.get(k) for k in ("action", "function_name", "qualifier")} for entry in done],
            "record": _fact_of(transition.record),
            "prior": _fact_of(base),
            "since": self.now(),
            "controller": self.controller,
        }

    def _described(self, invocation: Invocation) -> Dict[str, Any]:
        """An invocation as the marker keeps it; with record_input: digest, without its payload,
        which holds the input that the record keeps out of the store."""
        entry = invocation.describe()
        if self.desired.record_input == "digest":
            entry["payload"] = None
        return entry

    def _write(self, version: Optional[str], record: Optional[Record], marker: Optional[Dict[str, Any]]) -> Optional[str]:
        """Write the document conditionally on ``version`` (None: it must not exist). Raises Conflict.

        A document with neither record nor marker says "no record" (the old side of a replace is gone):
        it stops adoption from bringing the old record back from a fact."""
        nonce = uuid.uuid4().hex
        document = {
            "v": DOCUMENT_VERSION, "host": self.host, "id": self.record_id, "nonce": nonce,
            "written": self.now(), "record": _fact_of(record), "in_flight": marker,
        }
        try:
            if version is None:
                return self.store.create(self.host, self.record_id, document)
            return self.store.replace(self.host, self.record_id, document, version)
        except Conflict:
            # A write that was retried after a lost answer finds itself: it did win.
            again = self.store.read(self.host, self.record_id)
            if again is not None and again.document.get("nonce") == nonce:
                return again.version
            raise

    def _remove(self, version: Optional[str]) -> None:
        if version is not None:
            self.store.delete(self.host, self.record_id, version)

    def _result(self, the_plan: Plan, recovered: Optional[Dict[str, Any]], adopted_from: Optional[str]) -> Dict[str, Any]:
        result: Dict[str, Any] = {
            "changed": the_plan.changed or bool(recovered),
            "action": the_plan.action if (the_plan.changed or not recovered) else str(recovered["action"]),
            "invocations": self.invocations,
            "result": self.result_text,
            "diff": the_plan.diff,
            "warnings": list(the_plan.warnings),
        }
        if self.log is not None:
            result["log"] = self.log
        if adopted_from:
            result["adopted_from"] = adopted_from
        if recovered:
            result["recovered"] = {"how": recovered["how"], "in_flight": recovered["in_flight"]}
        return result


# -- pure helpers -----------------------------------------------------------------------------


def describe_marker(marker: Mapping[str, Any]) -> str:
    who = marker.get("controller") or {}
    return "%s started %s by %s@%s, ansible-playbook pid %s" % (
        marker.get("action"), marker.get("since"), who.get("user"), who.get("host"), who.get("pid"))


def in_flight_message(record_id: str, host: str, where: str, marker: Mapping[str, Any]) -> str:
    def names(entries: Any) -> str:
        return ", ".join("%s of %s (qualifier %s)" % (e.get("action"), e.get("function_name"), e.get("qualifier"))
                         for e in entries or [])

    done = names(marker.get("done"))
    return (
        "an invocation of %s on %s is in flight (%s): the %s. Still to send: %s%s. Either that run is still "
        "going, or it ended without confirming, and the function may or may not have run. Nothing was invoked by "
        "this run. If that run is over, check the function's side, then run again with recover=assume_done (it "
        "ran: store the planned record without invoking) or recover=retry (send the planned invocation again)." % (
            record_id, host, where, describe_marker(marker), names(marker.get("remaining")) or "nothing",
            "; already done: " + done if done else "")
    )


def legacy_jsonfile_facts(cache_dir: Optional[str], prefix: str, host: str) -> Optional[Dict[str, Any]]:
    """A host's facts from an ansible-core 2.17/2.18 jsonfile cache file (``<prefix><host>``), if any."""
    if not cache_dir:
        return None
    path = os.path.join(os.path.expanduser(cache_dir), "%s%s" % (prefix or "", host))
    try:
        with open(path, "r", encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and "__payload__" not in value else None


def adopter(facts: Mapping[str, Any], fact: str, legacy: Callable[[], Optional[Mapping[str, Any]]]
            ) -> Callable[[], Tuple[Optional[Record], Optional[str]]]:
    """Where a record missing from the store comes from: the fact, else (only when the fact cache has
    never had that fact) the 2.17/2.18 jsonfile file. A fact set to null (a forgotten record) stops
    the search, so an old file cannot bring a forgotten record back."""

    def adopt() -> Tuple[Optional[Record], Optional[str]]:
        if fact in facts:
            record = Record.from_fact(facts.get(fact))
            return record, ("fact" if record else None)
        old = legacy()
        if old and old.get(fact):
            return Record.from_fact(old[fact]), "jsonfile"
        return None, None

    return adopt


def _fact_of(record: Optional[Record]) -> Optional[Dict[str, Any]]:
    return json.loads(record.to_fact()) if record is not None else None


def _with_result(record: Optional[Record], result: Optional[str]) -> Optional[Record]:
    if record is None:
        return None
    from dataclasses import replace

    return replace(record, result=result)


def _without_module_note(msg: str) -> str:
    """The module's message without its note on the stored record, which this file writes itself."""
    for note in _MODULE_NOTES:
        msg = msg.replace(note, "")
    return msg
