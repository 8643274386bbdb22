# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of cloudhooks.aws.lambda_invocation_info: lists a host's records from its store.

The store belongs to the controller (as for lambda_invocation), so this plugin reads it itself and
never runs the module. It only reads: check mode changes nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import AWS_CONNECTION_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import FACT_PREFIX
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import fact_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import StoreError
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import open_store, parse_url, preload, store_url

preload(os.environ)  # with CLOUDHOOKS_RECORD_STORE=s3://...: botocore's S3 model, once per run (record_store.py)


INFO_SPEC: Dict[str, Dict[str, Any]] = {
    "record_store": {"type": "str"},
    "id": {"type": "str"},
    "host": {"type": "str"},
}
_VALIDATOR = ArgumentSpecValidator(INFO_SPEC)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        unknown = sorted(k for k in args if k not in INFO_SPEC and k not in AWS_CONNECTION_OPTIONS)
        if unknown:
            result.update(failed=True, msg="unsupported option(s): %s. Supported: %s, and the AWS connection options"
                          % (", ".join(unknown), ", ".join(INFO_SPEC)))
            return result
        checked = _VALIDATOR.validate({k: v for k, v in args.items() if k in INFO_SPEC})
        if checked.error_messages:
            result.update(failed=True, msg="; ".join(checked.error_messages))
            return result
        options = checked.validated_parameters
        host = options.get("host") or str(task_vars.get("inventory_hostname") or "localhost")
        try:
            spec = parse_url(store_url(options.get("record_store"), os.environ))
            facts = {host: self._facts_of(host, task_vars)} if not spec.durable else {}
            store = open_store(spec, facts=facts, fact_name=fact_name, fact_prefix=FACT_PREFIX,
                               aws={k: v for k, v in args.items() if k in AWS_CONNECTION_OPTIONS})
            if options.get("id"):
                stored = store.read(host, options["id"])
                document = _document(stored.document if stored else None, spec.durable)
                result.update(record=document, records=[_summary(options["id"], document, spec.durable)] if document else [])
            else:
                names = store.ids(host)
                found = []
                for name in names:
                    stored = store.read(host, name) if spec.durable else _fact_document(facts[host].get(name))
                    document = _document(getattr(stored, "document", stored), spec.durable)
                    if document:
                        found.append(_summary(None if not spec.durable else name, document, spec.durable,
                                              fact=None if spec.durable else name))
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


def _fact_document(value: Any) -> Optional[Dict[str, Any]]:
    return {"record": value} if value not in (None, "") else None


def _document(document: Optional[Dict[str, Any]], durable: bool) -> Optional[Dict[str, Any]]:
    """The whole stored document, with the record parsed (a fact holds it as a JSON string)."""
    if document is None:
        return None
    out = dict(document)
    record = out.get("record")
    if isinstance(record, str):
        try:
            out["record"] = json.loads(record)
        except ValueError:
            out["record"] = {"unreadable": record}
    if not durable:
        out.setdefault("in_flight", None)
    return out


def _summary(record_id: Optional[str], document: Dict[str, Any], durable: bool, fact: Optional[str] = None) -> Dict[str, Any]:
    record = document.get("record") or {}
    marker = document.get("in_flight")
    summary: Dict[str, Any] = {
        "id": record_id if record_id is not None else document.get("id"),
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
    if not durable:
        summary["fact"] = fact or fact_name(str(record_id))
    return summary
