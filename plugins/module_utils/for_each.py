# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""for_each: one record per key, id ``ID[KEY]``, all planned invocations in one module run.

Run by the action plugin against a RecordStore (the host's facts, file:// or s3://):

1. list the keys of ID that have a record (``ID[...]``); each key of ``for_each`` is planned with
   lifecycle.plan() exactly as one invocation; a key with a record but no longer in ``for_each``
   (every key, with ``state: absent``) is planned as ``state: absent``. Any bad input or
   unreadable record fails the task here, naming the key, before anything is written or invoked;
2. keys with nothing to invoke cost nothing (a record-only change is written); no key to invoke:
   the module is not run;
3. an in-flight marker is written for every key that has invocations (conditional writes), then
   the module makes every key's invocations in one run, max_concurrency keys at a time;
4. from the module's per-key outcomes: each succeeded key's record replaces its marker; a key that
   surely did not complete gets its marker removed (keeping what it finished: a replace whose
   delete ran stores "no record"); a key whose outcome is unknown keeps its marker.

The action plugin cannot hear from the module while it runs, so the records are written when the
module returns; a run killed in between leaves the markers, and the next run stops on them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Desired
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import json_or_none
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Plan
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Record
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import parse_desired
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import plan as make_plan
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import ABSENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import RecordStore
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import StoreError
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import Stored

DOCUMENT_VERSION = 1
NOT_COMPLETED = "not_completed"

# invoke_all({key: [invocations]}) -> the module's result: {"invocations", "keys": {key: outcome}}
BatchInvoker = Callable[[Dict[str, List[Invocation]]], Dict[str, Any]]


class ForEachFailed(Exception):
    """Fails the task: ``result`` is what the task returns."""

    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.result = dict(result, failed=True, msg=msg)


def key_id(record_id: str, key: str) -> str:
    """The id of one key's record, as Terraform addresses an instance: ID[KEY]."""
    return "%s[%s]" % (record_id, key)


def key_of(record_id: str, name: str) -> Optional[str]:
    """The key of a record id ``ID[KEY]`` of this ID; None for any other id."""
    prefix = record_id + "["
    if name.startswith(prefix) and name.endswith("]") and len(name) > len(prefix) + 1:
        return name[len(prefix):-1]
    return None


def parse_for_each(options: Mapping[str, Any]) -> Tuple[str, Dict[str, Desired]]:
    """(ID, key -> Desired) for the keys given in for_each; raise LifecycleError naming the key."""
    record_id = options.get("id") or options.get("function_name")
    raw = options.get("for_each")
    if raw is not None and options.get("input") is not None:
        raise LifecycleError("for_each and input are mutually exclusive: with for_each, each key's value is its input")
    if raw is not None and options.get("reinvoke_on"):
        raise LifecycleError(
            "reinvoke_on is not supported with for_each: it reads the function once per task before planning, "
            "which the for_each run does not do yet. Use a loop over single invocations for it")
    concurrency = options.get("max_concurrency", 10)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise LifecycleError("max_concurrency must be a whole number of 1 or more, got %r" % (concurrency,))
    if raw is not None and not isinstance(raw, Mapping):
        raise LifecycleError("for_each must be a mapping of key -> input")
    desired: Dict[str, Desired] = {}
    if options.get("state", PRESENT) != PRESENT:
        raw = {}  # absent / forgotten: applies to every key of ID, those given or not
    for key, value in (raw or {}).items():
        if not isinstance(key, str):
            raise LifecycleError("for_each key %r is not a string (a %s); quote it" % (key, type(key).__name__))
        if not key:
            raise LifecycleError("for_each has an empty key")
        if value is None:
            raise LifecycleError("for_each key %r has no input (null)" % key)
        desired[key] = _desired(options, record_id, key, value, PRESENT)
    return str(record_id), desired


def _desired(options: Mapping[str, Any], record_id: str, key: str, value: Any, state: str) -> Desired:
    params = dict(options, id=key_id(record_id, key), input=value, state=state, for_each=None)
    try:
        return parse_desired(params)
    except LifecycleError as exc:
        raise LifecycleError("for_each key %r: %s" % (key, exc)) from exc


@dataclass
class KeyPlan:
    key: str
    desired: Desired
    record: Optional[Record]
    version: Optional[str]
    plan: Plan


@dataclass
class ForEach:
    """Runs one for_each task against one store for one host."""

    store: RecordStore
    host: str
    options: Mapping[str, Any]
    invoke_all: BatchInvoker
    list_ids: Callable[[], List[str]]
    check_mode: bool = False
    written_by: Optional[str] = None
    controller: Dict[str, Any] = field(default_factory=dict)
    now: Callable[[], str] = lambda: ""
    # the host's facts as the store: a record is kept as the fact's JSON text, as single records are
    fact_strings: bool = False
    invocations: List[Dict[str, Any]] = field(default_factory=list)

    def run(self) -> Dict[str, Any]:
        record_id, wanted = parse_for_each(self.options)
        existing = sorted(k for k in (key_of(record_id, name) for name in self.list_ids()) if k is not None)
        state = self.options.get("state", PRESENT)
        removed = [k for k in existing if k not in wanted]
        plans: List[KeyPlan] = []
        for key in list(wanted) + removed:
            desired = wanted.get(key) or _desired(self.options, record_id, key, None, state if state != PRESENT else ABSENT)
            stored = self._read(key, desired.id)
            marker = stored.document.get("in_flight") if stored else None
            if marker:
                raise ForEachFailed(
                    "for_each key %r: an invocation is in flight at %s (%s started %s); nothing was invoked. Check "
                    "the function's side, then run that key alone once: cloudhooks.aws.lambda_invocation with id %r, "
                    "its input and recover=assume_done or recover=retry" % (
                        key, self.store.where(self.host, desired.id), marker.get("action"), marker.get("since"), desired.id),
                    changed=False, invocations=[])
            try:
                record = Record.from_fact(stored.document.get("record")) if stored else None
                the_plan = make_plan(record, desired)
            except LifecycleError as exc:
                raise ForEachFailed("for_each key %r: %s; nothing was invoked" % (key, exc),
                                    changed=False, invocations=[]) from exc
            plans.append(KeyPlan(key, desired, record, stored.version if stored else None, the_plan))

        batch = {p.key: list(p.plan.invocations) for p in plans if p.plan.invocations}
        if self.check_mode:
            outcomes = self._invoke(batch) if batch else {}
            return self._result(plans, outcomes, {})
        errors: Dict[str, str] = {}
        for p in plans:
            if not p.plan.invocations and p.plan.store:
                self._keep(p, self._final(p, p.plan.record and p.plan.record.result), errors)
        marked: Dict[str, Optional[str]] = {}
        for p in plans:
            if p.key in batch:
                if self.fact_strings:  # a fact holds no marker, and a failed task's facts are dropped
                    marked[p.key] = p.version
                    continue
                try:
                    marked[p.key] = self._write(p.desired.id, p.version, p.record, self._marker(p))
                except StoreError as exc:
                    self._unmark(plans, marked)
                    raise ForEachFailed("for_each key %r: %s. Nothing was invoked." % (p.key, exc),
                                        changed=False, invocations=[]) from exc
        outcomes = self._invoke(batch, plans, marked) if batch else {}
        for p in plans:
            if p.key not in batch:
                continue
            outcome = outcomes[p.key]
            done = outcome.get("done") or []
            if "msg" not in outcome:
                self._keep(p, self._final(p, outcome.get("result")), errors, marked[p.key])
                continue
            deleted = any(entry.get("action") == "delete" for entry in done)
            current = None if deleted else p.record
            if outcome.get("failure_kind") == NOT_COMPLETED:
                try:
                    if current is None:
                        if marked[p.key] is not None:
                            self.store.delete(self.host, p.desired.id, str(marked[p.key]))
                    else:
                        self._write(p.desired.id, marked[p.key], current, None)
                    note = "what succeeded before it is stored; the next run tries again"
                except StoreError as exc:
                    note = "the in-flight marker could not be removed (%s)" % exc
            else:
                note = ("whether the function ran is not known: the in-flight marker at %s stays; run that key "
                        "alone with recover" % self.store.where(self.host, p.desired.id))
            errors[p.key] = "%s (%s)" % (outcome["msg"], note)
        return self._result(plans, outcomes, errors)

    # -- steps --------------------------------------------------------------------------------

    def _invoke(self, batch: Dict[str, List[Invocation]], plans: Optional[List[KeyPlan]] = None,
                marked: Optional[Dict[str, Optional[str]]] = None) -> Dict[str, Dict[str, Any]]:
        outcome = self.invoke_all(batch)
        if outcome.get("failed") or not isinstance(outcome.get("keys"), dict):
            if plans is not None and marked is not None and not outcome.get("invocations"):
                self._unmark(plans, marked)  # the module stopped before any call: nothing ran
            raise ForEachFailed(str(outcome.get("msg") or "the module failed"), changed=bool(outcome.get("invocations")),
                                invocations=list(outcome.get("invocations") or []))
        self.invocations = list(outcome.get("invocations") or [])
        return outcome["keys"]

    def _unmark(self, plans: List[KeyPlan], marked: Dict[str, Optional[str]]) -> None:
        for p in plans:
            if marked.get(p.key) is not None and not self.fact_strings:
                try:
                    if p.version is None:
                        self.store.delete(self.host, p.desired.id, str(marked[p.key]))
                    else:
                        self._write(p.desired.id, marked[p.key], p.record, None)
                except StoreError:
                    pass  # the marker stays; the next run names it

    def _final(self, p: KeyPlan, result: Optional[str]) -> Optional[Record]:
        if p.plan.record is None:
            return None
        return replace(p.plan.record, result=result if p.plan.keep_result else None, written_by=self.written_by,
                       record_id=p.desired.id)

    def _keep(self, p: KeyPlan, record: Optional[Record], errors: Dict[str, str], version: Any = "unset") -> None:
        version = p.version if version == "unset" else version
        try:
            if record is None:
                if version is not None:
                    self.store.delete(self.host, p.desired.id, version)
            else:
                self._write(p.desired.id, version, record, None)
        except StoreError as exc:
            errors[p.key] = ("the function was invoked, but the record store could not be updated: %s. The in-flight "
                             "marker stays: run that key alone with recover=assume_done" % exc)

    def _read(self, key: str, record_id: str) -> Optional[Stored]:
        try:
            stored = self.store.read(self.host, record_id)
        except StoreError as exc:
            raise ForEachFailed("for_each key %r: %s Nothing was invoked." % (key, exc), changed=False, invocations=[]) from exc
        if stored and "v" in stored.document and stored.document.get("v") != DOCUMENT_VERSION:
            raise ForEachFailed("for_each key %r: the record at %s is unreadable (document version %r); nothing was "
                                "invoked" % (key, self.store.where(self.host, record_id), stored.document.get("v")),
                                changed=False, invocations=[])
        return stored

    def _marker(self, p: KeyPlan) -> Dict[str, Any]:
        return {
            "action": p.plan.action,
            # record_input: digest keeps the input out of the store: no payloads in the marker either
            # (recover: retry on that key plans again from the prior record, with the task's input).
            "remaining": [dict(invocation.describe(), **({"payload": None} if p.desired.record_input == "digest" else {}))
                          for invocation in p.plan.invocations],
            "done": [],
            "record": _fact_of(p.plan.record and replace(p.plan.record, record_id=p.desired.id)),
            "prior": _fact_of(p.record),
            "since": self.now(),
            "controller": self.controller,
        }

    def _write(self, record_id: str, version: Optional[str], record: Optional[Record],
               marker: Optional[Dict[str, Any]]) -> Optional[str]:
        document = {
            "v": DOCUMENT_VERSION, "host": self.host, "id": record_id, "nonce": uuid.uuid4().hex,
            "written": self.now(), "record": _fact_of(record), "in_flight": marker,
        }
        if self.fact_strings:
            document["record"] = record.to_fact() if record is not None else None
        if version is None:
            return self.store.create(self.host, record_id, document)
        return self.store.replace(self.host, record_id, document, version)

    def _result(self, plans: List[KeyPlan], outcomes: Dict[str, Dict[str, Any]], errors: Dict[str, str]) -> Dict[str, Any]:
        actions: Dict[str, str] = {}
        results: Dict[str, Dict[str, Any]] = {}
        diffs: Dict[str, Any] = {}
        for p in plans:
            actions[p.key] = p.plan.action
            diffs[p.key] = p.plan.diff
            if p.key in outcomes and not self.check_mode:
                text = outcomes[p.key].get("result") if p.key not in errors else None
            elif p.plan.invocations:
                text = None
            else:
                text = p.plan.result
            if p.plan.record is not None or p.key in outcomes:
                results[p.key] = {"result": text, "result_json": json_or_none(text)}
        changed = any(p.plan.changed for p in plans if p.key not in errors) or bool(self.invocations)
        result: Dict[str, Any] = {
            "changed": changed, "actions": actions, "results": results, "invocations": self.invocations,
            "diff": diffs, "warnings": [w for p in plans for w in p.plan.warnings],
        }
        if errors:
            result["failed"] = True
            result["failed_keys"] = dict(errors)
            result["msg"] = "%d of %d for_each keys failed: %s" % (
                len(errors), len(plans), "; ".join("%r: %s" % (k, v) for k, v in errors.items()))
        return result


def _fact_of(record: Optional[Record]) -> Optional[Dict[str, Any]]:
    return json.loads(record.to_fact()) if record is not None else None
