# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A task's records as the runner works on them (one Slot per record), and the failure that ends
a task before anything is invoked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record


class TaskFailed(Exception):
    """Fails the task: ``result`` is what the task returns."""

    def __init__(self, msg: str, **result: Any) -> None:
        super().__init__(msg)
        self.result = dict({"changed": False, "invocations": [], "action": "none"}, **result)
        self.result.update(failed=True, msg=msg)


@dataclass
class Slot:
    """One record of the task, and what this run does with it."""

    key: Optional[str]  # the for_each key; None for a task without for_each
    record_id: str
    desired: Desired
    exists: bool = False  # the store holds a document
    existed: bool = False  # it held one when this run read it
    version: Optional[str] = None
    record: Optional[Record] = None  # R
    adopted_from: Optional[str] = None
    unreadable: Any = None  # (stored data, LifecycleError) of a record that cannot be read
    marker: Optional[Dict[str, Any]] = None
    recovered: Optional[Dict[str, Any]] = None
    serial: Optional[str] = None  # the transition's serial (documents.py); the marker's when it is recovered
    lookup: bool = False  # recover: auto: the module looks each invocation's durable execution up first
    not_durable: bool = False  # ... and found that the function is not a durable one: nothing was sent
    plan: Optional[Plan] = None
    # the transition under way
    remaining: List[Invocation] = field(default_factory=list)
    done: List[Dict[str, Any]] = field(default_factory=list)
    current: Optional[Record] = None  # the record as the invocations done so far leave it
    result: Optional[str] = None
    log: Optional[str] = None
    kind: Optional[str] = None  # when it failed: the outcome kind
    error: Optional[str] = None  # when it failed: the message, with what became of the record
    failed_entry: Optional[Dict[str, Any]] = None

    @property
    def wire(self) -> str:
        """The slot's key in the module's request and answer."""
        return "" if self.key is None else self.key

    @property
    def the_plan(self) -> Plan:
        """The plan of a slot that has one (the runner plans a slot before it writes or invokes it)."""
        if self.plan is None:
            raise AssertionError("%s has no plan yet" % self.record_id)
        return self.plan

    @property
    def planned(self) -> List[Invocation]:
        return list(self.plan.invocations) if self.plan is not None and self.kind is None else []
