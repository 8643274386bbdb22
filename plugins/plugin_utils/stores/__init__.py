# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening the record store that a ``record_store`` URL names (the interface is in base.py)."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import ENV_VAR
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import FACTS
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import RecordStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreSpec


def open_store(spec: StoreSpec, *, host: str = "", facts: Optional[Mapping[str, Any]] = None, task_uuid: str = "",
               aws: Optional[Mapping[str, Any]] = None) -> RecordStore:
    """The store a spec names. ``host``/``facts``/``task_uuid`` serve the facts store (the facts of
    the host that holds the records); ``aws`` (the task's AWS connection options) the S3 store."""
    if spec.kind == FACTS:
        from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore

        return FactsStore(spec, host, facts or {}, task_uuid)
    if spec.kind == "file":
        from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.file import FileStore

        return FileStore(spec)
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.s3 import S3Store

    return S3Store(spec, aws or {})


def preload(environ: Mapping[str, str]) -> None:
    """When CLOUDHOOKS_RECORD_STORE names an S3 store, load botocore's S3 model now (the action plugins
    call this at import: on ansible-core >= 2.19 that is once per run, before the workers fork).
    Otherwise nothing is loaded, so a playbook that keeps its records elsewhere pays nothing."""
    if not environ.get(ENV_VAR, "").startswith("s3://"):
        return
    try:
        from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.s3 import warm
    except ImportError:  # no botocore: the S3 store says so when it is used
        return
    warm()
