# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record stores: where the documents of the records live, behind one small interface.

A store keeps one JSON document per (host, id) and knows nothing of what is in it. It can

- ``read(host, id)``: the document and a version token, or None when there is none;
- ``create(host, id, document)``: only if there is none (else ``Conflict``); returns the new version;
- ``replace(host, id, document, version)``: only if the version is still ``version`` (else ``Conflict``);
- ``delete(host, id, version)``: only if the version is still ``version`` (else ``Conflict``);
- ``ids(host)``: the ids that have a document.

One class per backend, chosen by the URL of the ``record_store`` option: ``facts`` (the host's
facts, as before; in memory for the task), ``file:///DIR`` (one file per host and id, for one
controller) and ``s3://BUCKET/PREFIX`` (one object per host and id; in record_store_s3.py, which
needs botocore). Every failure of a store is a ``StoreError`` whose message names the store and
says what to do; a failed condition is a ``Conflict``. Standard library only.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit

ENV_VAR = "CLOUDHOOKS_RECORD_STORE"
FACTS = "facts"
S3_PARAMETERS = ("region", "profile", "endpoint_url")
_KEEP = re.compile(r"[a-z0-9_.-]")
_MAX_NAME = 180  # characters of an encoded name; longer ones are cut and end in ~<hash>


class StoreError(Exception):
    """The store failed, or is wrongly given: the message says which store and what to do."""


class Conflict(StoreError):
    """A conditional write lost: someone else wrote (or removed) the document first."""


@dataclass(frozen=True)
class Stored:
    """A document as read, with the version token that a later conditional write must name."""

    document: Dict[str, Any]
    version: str


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``record_store`` URL."""

    kind: str  # facts, file or s3
    url: str
    path: str = ""  # file: the directory
    bucket: str = ""  # s3
    prefix: str = ""  # s3, without slashes at either end
    parameters: Tuple[Tuple[str, str], ...] = ()  # s3: region, profile, endpoint_url given in the URL

    @property
    def durable(self) -> bool:
        return self.kind != FACTS


class RecordStore:
    """The interface every backend implements (see the module docstring)."""

    spec: StoreSpec

    def read(self, host: str, record_id: str) -> Optional[Stored]:
        raise NotImplementedError

    def create(self, host: str, record_id: str, document: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def replace(self, host: str, record_id: str, document: Mapping[str, Any], version: str) -> str:
        raise NotImplementedError

    def delete(self, host: str, record_id: str, version: str) -> None:
        raise NotImplementedError

    def ids(self, host: str) -> List[str]:
        raise NotImplementedError

    def where(self, host: str, record_id: str) -> str:
        """Where a document lives, for messages."""
        raise NotImplementedError


def store_url(option: Optional[str], environ: Mapping[str, str]) -> str:
    """The record_store option, else CLOUDHOOKS_RECORD_STORE, else facts."""
    if option:
        return option
    return environ.get(ENV_VAR) or FACTS


def preload(environ: Mapping[str, str]) -> None:
    """When CLOUDHOOKS_RECORD_STORE names an S3 store, load botocore's S3 model now (the action plugins
    call this at import: on ansible-core >= 2.19 that is once per run, before the workers fork).
    Otherwise nothing is loaded, so a playbook that keeps its records in facts pays nothing."""
    if not environ.get(ENV_VAR, "").startswith("s3://"):
        return
    try:
        from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store_s3 import warm
    except ImportError:  # no botocore: the S3 store says so when it is used
        return
    warm()


def parse_url(url: str) -> StoreSpec:
    """Check a record_store URL; raise StoreError naming the option and what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise StoreError("record_store must be facts, file:///ABSOLUTE/DIR or s3://BUCKET/PREFIX")
    url = url.strip()
    if url == FACTS:
        return StoreSpec(FACTS, url)
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise StoreError(
                "record_store %r: a file URL names a directory on this controller, as file:///ABSOLUTE/DIR "
                "(three slashes); %r is read as a host name" % (url, parts.netloc))
        path = unquote(parts.path)
        if parts.query or parts.fragment or not os.path.isabs(path) or path.rstrip("/") == "":
            raise StoreError("record_store %r: give an absolute directory other than /, as file:///ABSOLUTE/DIR" % url)
        return StoreSpec("file", url, path=os.path.normpath(path))
    if parts.scheme == "s3":
        bucket = parts.netloc
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket or ""):
            raise StoreError("record_store %r: %r is not an S3 bucket name (3-63 characters: a-z, 0-9, '.', '-')"
                             % (url, bucket))
        try:
            pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError as exc:
            raise StoreError("record_store %r: the query is not NAME=VALUE&...: %s" % (url, exc)) from exc
        names = [name for name, _value in pairs]
        unknown = sorted(set(names) - set(S3_PARAMETERS))
        if unknown or len(names) != len(set(names)) or any(not value for _name, value in pairs):
            raise StoreError(
                "record_store %r: the query may give region, profile and endpoint_url, each once and not "
                "empty; got %s" % (url, ", ".join(names)))
        if parts.fragment:
            raise StoreError("record_store %r: an S3 URL has no fragment (#...)" % url)
        prefix = unquote(parts.path).strip("/")
        return StoreSpec("s3", url, bucket=bucket, prefix=prefix, parameters=tuple(pairs))
    raise StoreError("record_store %r: must be facts, file:///ABSOLUTE/DIR or s3://BUCKET/PREFIX" % url)


def open_store(spec: StoreSpec, *, facts: Optional[Mapping[str, Mapping[str, Any]]] = None,
               fact_name: Optional[Callable[[str], str]] = None, fact_prefix: str = "",
               aws: Optional[Mapping[str, Any]] = None) -> RecordStore:
    """The store a spec names. ``facts``/``fact_name``/``fact_prefix`` serve the facts store (host ->
    facts); ``aws`` (the task's AWS connection options) the S3 store."""
    if spec.kind == FACTS:
        return FactsStore(spec, facts or {}, fact_name or (lambda record_id: record_id), fact_prefix)
    if spec.kind == "file":
        return FileStore(spec)
    from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store_s3 import S3Store

    return S3Store(spec, aws or {})


# -- names ----------------------------------------------------------------------------------


def encode_name(text: str) -> str:
    """A safe file or object name for any host name or id: a-z, 0-9, '_', '-' and '.' (not first)
    stay; every other byte of the UTF-8 text, capitals included (case-insensitive file systems),
    becomes %XX. A name over 180 characters is cut, and ends in ~ and a hash of the whole text."""
    out = []
    for position, char in enumerate(text):
        if _KEEP.fullmatch(char) and not (position == 0 and char == "."):
            out.append(char)
        else:
            out.extend("%%%02X" % byte for byte in char.encode("utf-8"))
    name = "".join(out)
    if len(name) > _MAX_NAME:
        name = name[:_MAX_NAME - 17].rstrip("%0123456789ABCDEF") + "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return name


def decode_name(name: str) -> Optional[str]:
    """The text of an encoded name; None for a name that was cut (read its document instead)."""
    if "~" in name:
        return None
    return unquote(name, errors="strict")


def to_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def from_bytes(data: bytes, where: str) -> Dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError("the record at %s is unreadable (not JSON: %s); restore it (a versioned bucket keeps "
                         "earlier versions) or remove it" % (where, exc)) from exc
    if not isinstance(document, dict):
        raise StoreError("the record at %s is unreadable (not a JSON object); restore it or remove it" % where)
    return document


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- facts ----------------------------------------------------------------------------------


class FactsStore(RecordStore):
    """The host facts of this task (the default). A document is ``{"record": <the fact's value>}``
    under the fact ``fact_name(id)``; writes go to ``changes`` (host -> facts to set), which the
    action plugin returns as ``ansible_facts``. Removing a record sets its fact to null. Nothing
    here outlives the task unless Ansible's fact cache keeps it."""

    def __init__(self, spec: StoreSpec, facts: Mapping[str, Mapping[str, Any]], fact_name: Callable[[str], str],
                 prefix: str) -> None:
        self.spec = spec
        self._facts = {host: dict(values) for host, values in facts.items()}
        self._fact_name = fact_name
        self._prefix = prefix
        self.changes: Dict[str, Dict[str, Any]] = {}

    def where(self, host: str, record_id: str) -> str:
        return "the fact %s of %s" % (self._fact_name(record_id), host)

    def read(self, host: str, record_id: str) -> Optional[Stored]:
        value = self._facts.get(host, {}).get(self._fact_name(record_id))
        if value is None or value == "":
            return None
        return Stored({"record": value}, _digest(to_bytes({"record": value})))

    def _set(self, host: str, record_id: str, value: Any) -> str:
        name = self._fact_name(record_id)
        self._facts.setdefault(host, {})[name] = value
        self.changes.setdefault(host, {})[name] = value
        return _digest(to_bytes({"record": value}))

    def _check(self, host: str, record_id: str, version: Optional[str]) -> None:
        current = self.read(host, record_id)
        if (current.version if current else None) != version:
            raise Conflict("%s changed since it was read" % self.where(host, record_id))

    def create(self, host: str, record_id: str, document: Mapping[str, Any]) -> str:
        self._check(host, record_id, None)
        return self._set(host, record_id, document.get("record"))

    def replace(self, host: str, record_id: str, document: Mapping[str, Any], version: str) -> str:
        self._check(host, record_id, version)
        return self._set(host, record_id, document.get("record"))

    def delete(self, host: str, record_id: str, version: str) -> None:
        self._check(host, record_id, version)
        self._set(host, record_id, None)

    def ids(self, host: str) -> List[str]:
        """The names of the host's record facts (a fact's name is a hash of its id, not the id)."""
        return sorted(name for name, value in self._facts.get(host, {}).items()
                      if name.startswith(self._prefix) and value not in (None, ""))


# -- file -----------------------------------------------------------------------------------


class FileStore(RecordStore):
    """One file per host and id: DIR/<host>/<id>.json (names encoded by encode_name), mode 0600.

    Every write takes an exclusive lock (flock on DIR/<host>/.lock), compares the version (the
    SHA-256 of the file's bytes) and renames a complete new file into place, so a reader never
    sees half a file and two writers never both win. For one controller: flock is not reliable
    on network file systems.
    """

    def __init__(self, spec: StoreSpec) -> None:
        self.spec = spec
        self.root = spec.path

    def _dir(self, host: str) -> str:
        return os.path.join(self.root, encode_name(host))

    def _path(self, host: str, record_id: str) -> str:
        return os.path.join(self._dir(host), encode_name(record_id) + ".json")

    def where(self, host: str, record_id: str) -> str:
        return self._path(host, record_id)

    def _fail(self, exc: OSError, path: str) -> StoreError:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StoreError("record_store %s: no permission to use %s (%s); the controller's user must be "
                              "able to read and write the directory" % (self.spec.url, path, exc.strerror))
        return StoreError("record_store %s: %s: %s" % (self.spec.url, path, exc.strerror or exc))

    def _root_exists(self) -> None:
        if not os.path.isdir(self.root):
            raise StoreError("record_store %s: the directory %s does not exist; create it (mode 0700) first"
                             % (self.spec.url, self.root))

    def _read_file(self, path: str) -> Optional[bytes]:
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail(exc, path) from exc

    def read(self, host: str, record_id: str) -> Optional[Stored]:
        self._root_exists()
        path = self._path(host, record_id)
        data = self._read_file(path)
        if data is None:
            return None
        return Stored(from_bytes(data, path), _digest(data))

    def _locked(self, host: str, record_id: str, version: Optional[str], data: Optional[bytes]) -> str:
        """Under the host's lock: check the version, then write ``data`` (None: remove the file)."""
        import fcntl  # POSIX controllers only, as Ansible itself

        self._root_exists()
        directory = self._dir(host)
        path = self._path(host, record_id)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            lock = os.open(os.path.join(directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._fail(exc, directory) from exc
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self._read_file(path)
            if (None if current is None else _digest(current)) != version:
                raise Conflict("record_store %s: %s changed since it was read" % (self.spec.url, path))
            if data is None:
                os.unlink(path)
                return ""
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                if os.path.exists(temporary):
                    os.unlink(temporary)
                raise
            return _digest(data)
        except OSError as exc:
            raise self._fail(exc, path) from exc
        finally:
            os.close(lock)  # releases the lock

    def create(self, host: str, record_id: str, document: Mapping[str, Any]) -> str:
        return self._locked(host, record_id, None, to_bytes(document))

    def replace(self, host: str, record_id: str, document: Mapping[str, Any], version: str) -> str:
        return self._locked(host, record_id, version, to_bytes(document))

    def delete(self, host: str, record_id: str, version: str) -> None:
        self._locked(host, record_id, version, None)

    def ids(self, host: str) -> List[str]:
        self._root_exists()
        directory = self._dir(host)
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise self._fail(exc, directory) from exc
        found = []
        for name in names:
            if name.startswith(".") or not name.endswith(".json"):
                continue
            record_id = decode_name(name[:-len(".json")])
            if record_id is None:
                data = self._read_file(os.path.join(directory, name))
                record_id = str(from_bytes(data or b"{}", name).get("id", name))
            found.append(record_id)
        return found
