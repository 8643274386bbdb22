# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts record store (the default): records kept in host facts, as lasting as Ansible's fact cache.

Layout (docs/state.md, "The record"):

- a record id ``ID`` is one fact, ``cloudhooks_aws_lambda_invocation_<slug>_<hash>``, whose value
  is the record's compact JSON text;
- the records of one id's for_each keys (``ID[KEY]``) share one fact,
  ``cloudhooks_aws_lambda_invocation_keys_<slug>_<hash>``, whose value is the JSON text of
  ``{"v": 1, "id": ID, "keys": {KEY: record, ...}}``: every task of the host pays for one fact per
  id, not one per key (ansible-core copies every top-level fact into each task's variables);
- before 0.2.0 each key was a fact of its own (``ID[KEY]`` named like an id): such a fact is read
  when the keys' fact does not have the key, and the first write of that key moves it (the old fact
  is set to null: Ansible cannot remove a fact).

A fact holds no in-flight marker, and what a task writes reaches the fact cache only when the task
succeeds (Ansible drops a failed task's facts): ``changes()`` is what the action plugin returns as
``ansible_facts``. Reads and writes happen in memory, for the one host and task.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Conflict
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import RecordStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreSpec
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Stored
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import digest
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import to_bytes

FACT_PREFIX = "cloudhooks_aws_lambda_invocation_"
KEYS_PREFIX = FACT_PREFIX + "keys_"
KEYS_VERSION = 1
_KEYED = re.compile(r"(.+)\[(.+)\]\Z", re.S)

# What each task wrote, per (task uuid, host, fact), in this worker process. A task retried with
# until/retries runs its attempts in one worker, and ansible-core does not hand an attempt's facts
# back to the next one on every version (2.21 gives none back to a task with delegate_facts), so the
# next attempt reads what the earlier one wrote here, and invokes nothing again.
EARLIER_ATTEMPTS: Dict[Tuple[str, str, str], Any] = {}


def fact_name(record_id: str, prefix: str = FACT_PREFIX) -> str:
    """A fact name for an id: readable, [a-z0-9_] only, unique per id (a hash of the id)."""
    slug = re.sub(r"[^a-z0-9]+", "_", record_id.lower()).strip("_")[:40]
    hashed = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    return "%s%s_%s" % (prefix, slug, hashed) if slug else prefix + hashed


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class FactsStore(RecordStore):
    """The facts of one host, for one task (see the module docstring)."""

    durable = False

    def __init__(self, spec: StoreSpec, host: str, facts: Mapping[str, Any], task_uuid: str = "") -> None:
        self.spec = spec
        self.host = host
        self._facts = dict(facts)
        self._task = task_uuid
        self._groups: Dict[str, Dict[str, Any]] = {}  # keys fact -> its keys, parsed
        self._group_ids: Dict[str, str] = {}  # keys fact -> the id whose keys it holds
        self._changed: Dict[str, Any] = {}
        self._carried: Dict[str, Any] = {}  # facts read from an earlier attempt of this task
        self._moving: Dict[str, Any] = {}  # keys read from their own fact (before 0.2.0): id -> record

    # -- where a record id lives ----------------------------------------------------------

    @staticmethod
    def locate(record_id: str) -> Tuple[str, Optional[str]]:
        """(fact, key): the fact that holds the record, and its key in that fact (None: the whole fact)."""
        match = _KEYED.match(record_id)
        if match:
            return fact_name(match.group(1), KEYS_PREFIX), match.group(2)
        return fact_name(record_id), None

    def where(self, host: str, record_id: str) -> str:
        fact, key = self.locate(record_id)
        return "the fact %s of %s" % (fact if key is None else "%s (key %s)" % (fact, key), host)

    def _value(self, fact: str) -> Any:
        if fact in self._changed or fact in self._carried:
            return self._facts.get(fact)
        earlier = EARLIER_ATTEMPTS.get((self._task, self.host, fact), self)
        if earlier is self:
            return self._facts.get(fact)
        # Ansible keeps the facts of a task's last attempt only: hand on what the earlier one wrote.
        self._facts[fact] = self._carried[fact] = earlier
        return earlier

    def _group(self, fact: str) -> Dict[str, Any]:
        if fact not in self._groups:
            value = self._value(fact)
            try:
                data = json.loads(value) if isinstance(value, str) else value
            except ValueError as exc:
                raise StoreError("the fact %s of %s is unreadable (not JSON: %s); remove it from the fact cache"
                                 % (fact, self.host, exc)) from exc
            if data in (None, ""):
                data = {}
            if not isinstance(data, dict) or data.get("v", KEYS_VERSION) != KEYS_VERSION:
                raise StoreError("the fact %s of %s is unreadable (not a mapping of keys of version %d)"
                                 % (fact, self.host, KEYS_VERSION))
            self._groups[fact] = dict(data.get("keys") or {})
        return self._groups[fact]

    # -- the interface --------------------------------------------------------------------

    def read(self, host: str, record_id: str) -> Optional[Stored]:
        record = self._record(record_id)
        if record in (None, ""):
            return None
        document = {"v": 1, "host": host, "id": record_id, "record": record, "in_flight": None}
        return Stored(document, digest(to_bytes({"record": record})))

    def _record(self, record_id: str) -> Any:
        fact, key = self.locate(record_id)
        if key is None:
            return _parsed(self._value(fact), fact, self.host, strict=False, raw=True)
        found = self._group(fact).get(key)
        if found is None:  # before 0.2.0, each key had a fact of its own: it moves with this task's facts
            found = _parsed(self._value(fact_name(record_id)), fact_name(record_id), self.host, strict=False, raw=True)
            if found not in (None, ""):
                self._moving[record_id] = found
        return found

    def knows(self, record_id: str) -> bool:
        """Whether the host has the fact that holds (or held) this record, even set to null: a record
        forgotten in facts is not looked for anywhere else."""
        fact, key = self.locate(record_id)
        return (fact if key is None else fact_name(record_id)) in self._facts

    def _check(self, host: str, record_id: str, version: Optional[str]) -> None:
        current = self.read(host, record_id)
        if (current.version if current else None) != version:
            raise Conflict("%s changed since it was read" % self.where(host, record_id))

    def _set(self, record_id: str, record: Any) -> str:
        fact, key = self.locate(record_id)
        if key is None:
            self._put(fact, None if record is None else _compact(record))
        else:
            group = self._group(fact)
            self._group_ids[fact] = record_id[:-len(key) - 2]
            if record is None:
                group.pop(key, None)
            else:
                group[key] = record
            self._changed[fact] = None  # serialised once, in changes()
            old = fact_name(record_id)
            if self._value(old) not in (None, ""):
                self._put(old, None)  # moved into the keys' fact
        return digest(to_bytes({"record": record}))

    def _put(self, fact: str, value: Any) -> None:
        self._facts[fact] = value
        self._changed[fact] = value

    def create(self, host: str, record_id: str, document: Mapping[str, Any]) -> str:
        self._check(host, record_id, None)
        return self._set(record_id, document.get("record"))

    def replace(self, host: str, record_id: str, document: Mapping[str, Any], version: str) -> str:
        self._check(host, record_id, version)
        return self._set(record_id, document.get("record"))

    def delete(self, host: str, record_id: str, version: str) -> None:
        self._check(host, record_id, version)
        self._set(record_id, None)

    def ids(self, host: str) -> List[str]:
        """Every record id of the host that is known: those the records carry (written since 0.2.0,
        and the keys of a keys' fact). A record written before carries no id; see unnamed()."""
        found = []
        for name, value in self._facts.items():
            if name.startswith(KEYS_PREFIX):
                group = _parsed(value, name, self.host) or {}
                found.extend("%s[%s]" % (group.get("id"), key) for key in (group.get("keys") or {}))
            elif name.startswith(FACT_PREFIX) and '"id":' in str(value):
                record = _parsed(value, name, self.host, strict=False)
                if isinstance(record, dict) and isinstance(record.get("id"), str):
                    found.append(record["id"])
        return sorted(set(found))

    def unnamed(self) -> List[Tuple[str, Dict[str, Any]]]:
        """(fact, record) of the records that carry no id (written before 0.2.0)."""
        found = []
        for name, value in sorted(self._facts.items()):
            if name.startswith(FACT_PREFIX) and not name.startswith(KEYS_PREFIX):
                record = _parsed(value, name, self.host, strict=False)
                if isinstance(record, dict) and "id" not in record:
                    found.append((name, record))
        return found

    def changes(self) -> Dict[str, Any]:
        """The facts to set: every fact this task wrote (null: no record), and those an earlier attempt
        of the task wrote, as the task returns them (``ansible_facts``)."""
        for record_id, record in list(self._moving.items()):
            if fact_name(record_id) not in self._changed:  # not written by this task: moved as it was
                self._set(record_id, record)
        out = dict(self._carried)
        for fact, value in self._changed.items():
            if fact in self._group_ids:
                group = self._groups[fact]
                value = _compact({"v": KEYS_VERSION, "id": self._group_ids[fact], "keys": group}) if group else None
            out[fact] = value
            EARLIER_ATTEMPTS[(self._task, self.host, fact)] = value
        return out


def _parsed(value: Any, fact: str, host: str, strict: bool = True, raw: bool = False) -> Any:
    """A fact's value as data: JSON text parsed (a record kept as a mapping is taken as it is).
    Text that is not JSON fails (``strict``), is None, or (``raw``) is given back as it is, for the
    record's own check to call unreadable."""
    if not isinstance(value, str) or value == "":
        return value or None
    try:
        return json.loads(value)
    except ValueError as exc:
        if raw:
            return value
        if not strict:
            return None
        raise StoreError("the fact %s of %s is unreadable (not JSON: %s); run once with state: forgotten, or "
                         "remove it from the fact cache" % (fact, host, exc)) from exc
