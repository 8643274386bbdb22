# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file:// record store: one file per host and id under a directory of the controller."""

from __future__ import annotations

import errno
import os
import tempfile
from typing import Any, List, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Conflict
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import RecordStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreSpec
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import Stored
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import decode_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import digest
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import encode_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import from_bytes
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import to_bytes


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
        return Stored(from_bytes(data, path), digest(data))

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
            if (None if current is None else digest(current)) != version:
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
            return digest(data)
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
