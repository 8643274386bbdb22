# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed task tells the user about the record: the sentences, in one place."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import UNKNOWN
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError


def sentence(text: Any) -> str:
    """Text ending in one full stop, so that another sentence can follow it."""
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def before_invoking(key: Optional[str], error: Exception, where: Optional[str]) -> str:
    """A failure before anything was invoked, naming the for_each key (and, for a record store's
    failure, saying that nothing was invoked: the store's message cannot)."""
    text = str(error)
    if where and "unreadable" in text and where not in text:
        text = "%s (%s)" % (text.rstrip("."), where)
    if isinstance(error, StoreError):
        text = sentence(text) + " Nothing was invoked."
    return text if key is None else "for_each key %r: %s" % (key, text)


def _names(done: List[Mapping[str, Any]]) -> str:
    return ", ".join("%s of %s (qualifier %s)" % (d.get("action"), d.get("function_name"), d.get("qualifier")) for d in done)


def fact_failure(msg: str, done: List[Mapping[str, Any]], planned: int) -> str:
    """A failure with the host's facts: Ansible keeps no fact of a failed task, so R stays."""
    if not done:
        note = "The stored record is unchanged." if planned == 1 else \
            "Nothing was invoked before it; the stored record is unchanged."
    else:
        note = ("Already done in this run: %s; the stored record is unchanged, so the next run repeats the whole "
                "transition, starting again with the %s (state: forgotten drops the record if it cannot move on)."
                % (_names(done), _names(done[:1])))
    return "%s %s" % (sentence(msg), note)


def store_failure(msg: str, kind: str, where: str, progressed: bool) -> str:
    """A failure with a durable store: what became of the marker and the record."""
    if kind == UNKNOWN:
        note = ("Whether the function ran is not known: the in-flight marker at %s stays, and the next run stops on "
                "it until you choose recover=assume_done (it ran) or recover=retry (send it again)." % where)
    elif progressed:
        note = ("What succeeded before it is stored (%s): the next run starts from there and does not repeat it."
                % where)
    else:
        note = "The stored record is unchanged (%s); the next run tries again." % where
    return "%s %s" % (sentence(msg), note)


def unrecorded(where: str, error: Exception) -> str:
    return ("the function was invoked, but the record store could not be updated: %s. The in-flight marker at %s "
            "stays; the next run stops on it: choose recover=assume_done (this invocation ran) there."
            % (str(error).rstrip("."), where))


def another_run(record_id: str, host: str, described: str) -> str:
    return ("another run is invoking %s on %s right now (%s); this run invoked nothing. Run again when it has "
            "finished." % (record_id, host, described))


def recovered_from_lambda(found: List[Any]) -> str:
    """What recover: auto found in Lambda for an invocation a crash left in flight."""
    said = {
        "SUCCEEDED": "had succeeded: its result is recorded, and nothing was invoked again",
        "RUNNING": "was still running: the same invocation re-attached to it and waited for its end",
        "not found": "was not found: it had never started, so it was invoked",
    }
    parts = ["the durable execution of the in-flight invocation %s" % said.get(str(status), "was %s" % status)
             for status in found] or ["the in-flight invocation was sent again with its execution name"]
    return "recovered from Lambda: %s." % "; ".join(parts)


def keys_failed(errors: Dict[str, str], total: int) -> str:
    return "%d of %d for_each keys failed: %s" % (
        len(errors), total, " ".join("%r: %s" % (key, text) for key, text in errors.items()))


FACTS_DROPPED = (
    "some for_each keys failed, and Ansible drops the facts of a failed task: the keys that succeeded in this run "
    "are not recorded and will be invoked again on the next run. Keep the records in a durable store "
    "(record_store: file:///a/directory or s3://bucket/prefix), where each key's record is written whatever the "
    "others do."
)
