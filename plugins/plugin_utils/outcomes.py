# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading what the module answered: one outcome per key, whatever became of the module.

This is where a module run that did not answer as the module does is classified (docs/lifecycle.md,
"Module outcome"): a result that holds outcomes is read key by key; a failure the module marked as
coming before any AWS call (its own argument checks, no region, ...) is ``not_completed`` for every
key; anything else (no JSON, MODULE FAILURE, a traceback, a killed process) is ``unknown``: the
function may have run, and a record store keeps its in-flight markers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import KINDS
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import NOT_COMPLETED
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import NOTHING_SENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import UNKNOWN
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import outcome


@dataclass
class Answer:
    """The module's answer to one request."""

    outcomes: Dict[str, Dict[str, Any]]  # by key
    invocations: List[Dict[str, Any]] = field(default_factory=list)  # in the order they completed
    function: Optional[Dict[str, Any]] = None  # what the module read of the function (reinvoke_on)
    durable: Dict[str, bool] = field(default_factory=dict)  # which targets are durable functions
    warnings: List[str] = field(default_factory=list)
    failure: Optional[str] = None  # the module failed as a whole: its message


def read_answer(raw: Mapping[str, Any], keys: List[str]) -> Answer:
    warnings = [str(w) for w in raw.get("warnings") or []]
    found = raw.get("outcomes")
    if not raw.get("failed") and isinstance(found, Mapping):
        outcomes = {}
        for key in keys:
            one = found.get(key)
            if isinstance(one, Mapping) and one.get("kind") in KINDS and isinstance(one.get("done"), list):
                outcomes[key] = dict(one)
            else:
                outcomes[key] = outcome(UNKNOWN, [], "the module gave no outcome for this key: whether the function "
                                        "ran is not known")
        durable = {str(k): bool(v) for k, v in (raw.get("durable") or {}).items()}
        return Answer(outcomes, list(raw.get("invocations") or []), raw.get("function"), durable, warnings)
    message = str(raw.get("msg") or "the module failed").strip()
    if raw.get(NOTHING_SENT):
        return Answer({key: outcome(NOT_COMPLETED, [], message) for key in keys}, [], None, {}, warnings, message)
    message = ("the module did not answer as it does (%s), so whether the function ran is not known"
               % message.rstrip(".").splitlines()[0])
    return Answer({key: outcome(UNKNOWN, [], message) for key in keys}, [], None, {}, warnings, message)
