# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of cloudhooks.aws.lambda_invocation_info: lists a host's records from its store.

The store belongs to the controller (as for lambda_invocation), so this plugin reads it itself and
never runs the module. It only reads: check mode changes nothing.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import AWS_CONNECTION_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import open_store
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import preload
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import store_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore

preload(os.environ)  # with CLOUDHOOKS_RECORD_STORE=s3://...: botocore's S3 model, once per run

INFO_SPEC: Dict[str, Dict[str, Any]] = dict(
    {"record_store": {"type": "str"}, "id": {"type": "str"}, "host": {"type": "str"}},
    **{name: {"type": "raw"} for name in AWS_CONNECTION_OPTIONS})


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        try:
            _checked, options = self.validate_argument_spec(argument_spec=INFO_SPEC)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=str(exc))
            return result
        host = options.get("host") or str(task_vars.get("inventory_hostname") or "localhost")
        try:
            spec = parse_url(store_url(options.get("record_store"), os.environ))
            aws = {k: v for k, v in options.items() if k in AWS_CONNECTION_OPTIONS and v is not None}
            store = open_store(spec, host=host, facts=self._facts_of(host, task_vars), aws=aws)
            if options.get("id"):
                stored = store.read(host, options["id"])
                document = stored.document if stored else None
                result.update(record=document, records=[_summary(document, store)] if document else [])
            else:
                found = []
                for name in store.ids(host):
                    stored = store.read(host, name)
                    if stored is not None:
                        found.append(_summary(stored.document, store))
                if isinstance(store, FactsStore):
                    found.extend(_summary({"id": None, "record": record}, store, fact) for fact, record in store.unnamed())
                result["records"] = found
        except StoreError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=False, record_store=spec.url, host=host)
        return result

    def _facts_of(self, host: str, task_vars: Dict[str, Any]) -> Dict[str, Any]:
        if host == task_vars.get("inventory_hostname"):
            return dict(task_vars.get("ansible_facts") or {})
        hostvars = task_vars.get("hostvars") or {}
        try:
            return dict((hostvars[host] or {}).get("ansible_facts") or {})
        except KeyError:
            return {}


def _summary(document: Dict[str, Any], store: Any, fact: Optional[str] = None) -> Dict[str, Any]:
    record = document.get("record") or {}
    record = record if isinstance(record, dict) else {"unreadable": record}
    marker = document.get("in_flight")
    summary: Dict[str, Any] = {
        "id": document.get("id"),
        "function_name": record.get("function_name"),
        "qualifier": record.get("qualifier"),
        "tenant_id": record.get("tenant_id"),
        "lifecycle_scope": record.get("scope"),
        "written": document.get("written"),
        "in_flight": bool(marker),
        "in_flight_action": marker.get("action") if marker else None,
        "in_flight_since": marker.get("since") if marker else None,
        "has_record": bool(document.get("record")),
    }
    if isinstance(store, FactsStore):
        summary["fact"] = fact or store.locate(str(document.get("id")))[0]
    return summary
