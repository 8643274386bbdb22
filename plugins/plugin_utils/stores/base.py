# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record stores: where the documents of the records live, behind one small interface.

This file is the interface and what every backend shares; each backend is a file beside it
(facts.py, file.py, s3.py), and none imports another. __init__.py opens the one a URL names.

A store keeps one JSON document per (host, id) and knows nothing of what is in it. It can

- ``read(host, id)``: the document and a version token, or None when there is none;
- ``create(host, id, document)``: only if there is none (else ``Conflict``); returns the new version;
- ``replace(host, id, document, version)``: only if the version is still ``version`` (else ``Conflict``);
- ``delete(host, id, version)``: only if the version is still ``version`` (else ``Conflict``);
- ``ids(host)``: the ids that have a document.

One class per backend, chosen by the URL of the ``record_store`` option: ``facts`` (the host's
facts; no markers, and only as lasting as Ansible's fact cache), ``file:///DIR`` (one file per
host and id, for one controller) and ``s3://BUCKET/PREFIX`` (one object per host and id, with
conditional writes; needs botocore). Every failure of a store is a ``StoreError`` whose message
names the store and says what to do; a failed condition is a ``Conflict``. The lifecycle does not
know which store it runs on; the store does not know the lifecycle.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple
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
    # Whether the store keeps in-flight markers and each record as soon as it is written (file, s3),
    # or only what Ansible keeps of a task's facts (facts).
    durable: bool = True

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
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def from_bytes(data: bytes, where: str) -> Dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError("the record at %s is unreadable (not JSON: %s); restore it (a versioned bucket keeps "
                         "earlier versions) or remove it" % (where, exc)) from exc
    if not isinstance(document, dict):
        raise StoreError("the record at %s is unreadable (not a JSON object); restore it or remove it" % where)
    return document


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
