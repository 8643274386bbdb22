# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a task's checked options to its result: the store, where a missing record may come from,
the records the task owns, the runner, and what the task returns (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from ansible_collections.cloudhooks.aws.plugins.module_utils.options import AWS_CONNECTION_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import PRESENT
from ansible_collections.cloudhooks.aws.plugins.plugin_utils import results
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import TERRAFORM
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import Adoption
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import keys_in
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_task
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.documents import controller_identity
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.documents import now_text
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import shared_record_warning
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.runner import ModuleRunner
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.runner import Runner
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import open_store
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import RecordStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import StoreError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import store_url
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import TaskFailed
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_state import terraform_source


@dataclass
class Context:
    """What a task runs with, besides its options: the host that holds its records and its facts,
    the module, and where the controller is."""

    host: str
    facts: Mapping[str, Any]
    module: ModuleRunner
    check_mode: bool = False
    task_uuid: str = ""
    environ: Mapping[str, str] = None  # type: ignore[assignment]
    legacy: Callable[[], Optional[Mapping[str, Any]]] = lambda: None  # 2.17/2.18 jsonfile facts
    resolve: Callable[[str], str] = lambda path: path  # a relative terraform_state path
    facts_warning: Optional[str] = None  # why facts may not last (the fact cache's settings)
    controller: Optional[Dict[str, Any]] = None
    now: Callable[[], str] = now_text
    store: Optional[RecordStore] = None  # an open store, instead of the one the options name
    verbose: Callable[[str], None] = lambda text: None  # what -v shows


def run_task(options: Mapping[str, Any], context: Context) -> Dict[str, Any]:
    """The task's result, ``ansible_facts`` included when the records live in facts."""
    try:
        return _run(options, context)
    except TaskFailed as exc:
        return exc.result
    except (LifecycleError, StoreError) as exc:  # a bad option, or a store that cannot be read
        return TaskFailed(str(exc)).result


def _run(options: Mapping[str, Any], context: Context) -> Dict[str, Any]:
    store = context.store
    if store is None:
        spec = parse_url(store_url(options.get("record_store"), context.environ or {}))
        aws = {k: v for k, v in options.items() if k in AWS_CONNECTION_OPTIONS and v is not None}
        store = open_store(spec, host=context.host, facts=context.facts, task_uuid=context.task_uuid, aws=aws)
    facts = store if isinstance(store, FactsStore) else FactsStore(
        parse_url("facts"), context.host, context.facts, context.task_uuid)
    adoption = Adoption(context.host, None if facts is store else facts, context.legacy,
                        terraform_source(options, context.resolve))
    keyed_absent = (options.get("for_each") is None and (options.get("state") or PRESENT) != PRESENT
                    and bool(keys_in(str(options.get("id") or options.get("function_name")), store.ids(context.host))))
    task = parse_task(options, keyed_absent=keyed_absent)
    runner = Runner(store, adoption, context.module, context.host, check_mode=context.check_mode,
                    task_uuid=context.task_uuid, controller=context.controller or controller_identity(), now=context.now)
    slots = runner.run(task, options.get("recover"))
    if adoption.terraform is not None:
        for slot in slots:
            if slot.existed or (slot.adopted_from and slot.adopted_from != TERRAFORM):
                context.verbose("cloudhooks.aws.lambda_invocation: a record exists for id %r; terraform_state and "
                                "terraform_address are ignored" % slot.record_id)
    warnings: List[Optional[str]] = list(runner.warnings)
    if not store.durable:
        warnings.append(context.facts_warning)
    if not task.keyed:
        warnings.append(shared_record_warning(slots[0].record, slots[0].desired, context.task_uuid))
    out = results.of(task, slots, runner.invocations, [w for w in warnings if w], check_mode=context.check_mode,
                     durable=store.durable)
    changes = facts.changes()
    if changes and not context.check_mode and not out.get("failed"):
        out["ansible_facts"] = changes
    return out
