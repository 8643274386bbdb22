# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The document a store keeps per host and id, and the in-flight marker in it.

``{"v": 1, "host", "id", "nonce", "written", "record": <record or null>, "in_flight": <marker or
null>}``. A new nonce in every write keeps each write's bytes (and so an S3 ETag) unique, and lets
a writer whose request was retried recognise its own write. A document with neither record nor
marker says "no record" (the old side of a replace is gone): it stops adoption from bringing the
old record back from a fact.

The marker says what a run is doing: the transition (``action``), the invocations still to send
(``remaining``) and those done, the record planned and the one it was planned from (``prior``),
since when and from where (``controller``).
"""

from __future__ import annotations

import datetime
import getpass
import os
import socket
import uuid
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record

DOCUMENT_VERSION = 1


def controller_identity() -> Dict[str, Any]:
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except  # no user name (a container without passwd entry)
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    # The task runs in a worker process; its parent is ansible-playbook.
    return {"host": socket.gethostname(), "user": user, "pid": os.getppid(), "worker_pid": os.getpid()}


def now_text() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(host: str, record_id: str, record: Optional[Record], marker: Optional[Mapping[str, Any]],
             written: str) -> Dict[str, Any]:
    return {
        "v": DOCUMENT_VERSION, "host": host, "id": record_id, "nonce": uuid.uuid4().hex, "written": written,
        "record": record.to_data() if record is not None else None, "in_flight": dict(marker) if marker else None,
    }


def check_version(found: Mapping[str, Any], where: str) -> None:
    if found.get("v") != DOCUMENT_VERSION:
        raise LifecycleError("the record at %s is unreadable (document version %r, expected %d)"
                             % (where, found.get("v"), DOCUMENT_VERSION))


def new_serial() -> str:
    return uuid.uuid4().hex


def marker(action: str, remaining: List[Invocation], done: List[Mapping[str, Any]], planned: Optional[Record],
           prior: Optional[Record], *, digest_only: bool, since: str, controller: Mapping[str, Any],
           serial: Optional[str]) -> Dict[str, Any]:
    """The in-flight marker. With record_input: digest the invocations are kept without their payloads
    (which hold the input that the record keeps out of the store). ``serial`` makes the idempotency keys
    of the transition's invocations: a retry of this marker sends the same ones."""
    return {
        "action": action,
        "serial": serial,
        "remaining": [dict(i.describe(), **({"payload": None} if digest_only else {})) for i in remaining],
        "done": [{k: entry.get(k) for k in ("action", "function_name", "qualifier")} for entry in done],
        "record": planned.to_data() if planned is not None else None,
        "prior": prior.to_data() if prior is not None else None,
        "since": since,
        "controller": dict(controller),
    }


def remaining_of(found: Mapping[str, Any]) -> List[Invocation]:
    """The marker's invocations still to send; empty when it keeps no payloads (record_input: digest)."""
    entries = found.get("remaining") or []
    if any(entry.get("payload") is None for entry in entries):
        return []
    return [Invocation.from_description(entry) for entry in entries]


def names_of(found: Mapping[str, Any]) -> List[Invocation]:
    """The marker's invocations still to send, with or without their payloads: enough to look their
    durable executions up by name."""
    return [Invocation.from_description(dict(entry, payload=entry.get("payload") or "")) for entry in found.get("remaining") or []]


def describe_marker(found: Mapping[str, Any]) -> str:
    who = found.get("controller") or {}
    return "%s started %s by %s@%s, ansible-playbook pid %s" % (
        found.get("action"), found.get("since"), who.get("user"), who.get("host"), who.get("pid"))


def in_flight_message(record_id: str, host: str, where: str, found: Mapping[str, Any]) -> str:
    def names(entries: Any) -> str:
        return ", ".join("%s of %s (qualifier %s)" % (e.get("action"), e.get("function_name"), e.get("qualifier"))
                         for e in entries or [])

    done = names(found.get("done"))
    return (
        "an invocation of %s on %s is in flight (%s): the %s. Still to send: %s%s. Either that run is still "
        "going, or it ended without confirming, and the function may or may not have run. Nothing was invoked by "
        "this run. If that run is over, check the function's side, then run again with recover=assume_done (it "
        "ran: store the planned record without invoking) or recover=retry (send the planned invocation again)." % (
            record_id, host, where, describe_marker(found), names(found.get("remaining")) or "nothing",
            "; already done: " + done if done else "")
    )
