# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of cloudhooks.aws.lambda_invocation: it owns the record.

Reads this id's record (from the host's facts, or from a durable record store: record_store.py,
record_keeping.py), plans with the pure lifecycle code (the decision table of docs/lifecycle.md),
returns at once when nothing is to be invoked (no module shipped, no AWS call), and otherwise runs
the module, which makes the AWS calls. The record that results goes back as one fact per id, and
to the store when there is one.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible import constants as C
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.cloudhooks.aws.plugins.module_utils.for_each import ForEach, ForEachFailed, key_of
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import FACT_PREFIX
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import json_or_none
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Record
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import fact_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import needs_function_state
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import parse_desired
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import plan_stored
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import shared_record_warning
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import ABSENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import AWS_CONNECTION_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import OPTION_SPEC
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_keeping import Keeper, KeepingFailed
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_keeping import controller_identity, now_text
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_keeping import adopter, legacy_jsonfile_facts
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import StoreError, StoreSpec
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import open_store, parse_url, preload, store_url
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import module_args
from ansible_collections.cloudhooks.aws.plugins.module_utils.terraform_state import terraform_source

preload(os.environ)  # with CLOUDHOOKS_RECORD_STORE=s3://...: botocore's S3 model, once per run (record_store.py)

MODULE = "cloudhooks.aws.lambda_invocation"
_VALIDATOR = ArgumentSpecValidator(OPTION_SPEC)

HOW_TO_KEEP = (
    "Keep them with, in ansible.cfg [defaults]: fact_caching = jsonfile, fact_caching_connection = "
    "<a directory>, fact_caching_timeout = 0 (or another cache plugin, such as community.general.redis)."
)


# The record each task stored, per (task uuid, host, fact), in this worker process. A task retried
# with until/retries runs its attempts in one worker, and ansible-core does not hand an attempt's
# facts back to the next one on every version (2.21 gives none back to a task with delegate_facts),
# so the next attempt reads what the earlier one wrote here, and invokes nothing again.
_WRITTEN: Dict[Tuple[str, str, str], Any] = {}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        task_vars = task_vars or {}
        if self._task.async_val:
            return {
                "failed": True,
                "msg": "cloudhooks.aws.lambda_invocation does not support async: the record of what was "
                "invoked is kept from the task's own result, which an async task does not wait for. Remove "
                "async and poll (the timeout option sets how long to wait for the function).",
            }
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        args.pop("_invocations", None)  # only this plugin sets it
        args.pop("_for_each", None)

        try:
            options = self._options(args)
            if options.get("for_each") is not None:
                result.update(self._run_for_each(args, options, task_vars))
                return result
            if options.get("state") == ABSENT and options.get("input") is None:
                keys = self._for_each_run_if_keys(args, options, task_vars)
                if keys is not None:
                    result.update(keys)
                    return result
            desired = parse_desired(options)
            if needs_function_state(desired):
                # reinvoke_on: the module reads the function (one GetFunctionConfiguration) first.
                looked_up = self._execute_module(module_name=MODULE, module_args=module_args(args, _describe_function=True), task_vars=task_vars)
                if looked_up.get("failed"):
                    return dict(looked_up, invocations=[], action="none")
                desired = desired.with_function(looked_up.get("function") or {})
            fact = fact_name(desired.id)
            # Adopting Terraform state: read only when there is no record (docs/terraform.md).
            source = terraform_source(options, self._loader.path_dwim if self._loader else os.path.abspath)
            spec = parse_url(store_url(options.get("record_store"), os.environ))
            if spec.durable:
                result.update(self._run_on_store(spec, args, options, desired, task_vars, source.adopt if source else None))
                return result
            stored, earlier = self._stored(task_vars, fact)
            the_plan = plan_stored(stored, desired, source.adopt if source else None)
            if source and _readable(stored) is not None:
                self._display.v("%s: a record exists for id %r; terraform_state and terraform_address are ignored" % (MODULE, desired.id))
            shared = shared_record_warning(_readable(stored), desired, self._task_uuid())
        except (LifecycleError, StoreError) as exc:
            result.update(failed=True, msg=str(exc))
            return result

        # Warnings go into the result, where every supported ansible-core shows them and a
        # registered variable keeps them (2.18 would not put a Display warning there).
        warnings = [w for w in the_plan.warnings + (shared, cache_warning(*_cache_settings())) if w]

        check_mode = bool(self._task.check_mode)
        result_text = the_plan.result
        invocations: list = []
        if the_plan.invocations:
            invoke_args = module_args(args, _invocations=[invocation.describe() for invocation in the_plan.invocations])
            module_result = self._execute_module(module_name=MODULE, module_args=invoke_args, task_vars=task_vars)
            if module_result.get("failed"):
                # Ansible does not store facts from a failed task: the record stays as it was.
                module_result.setdefault("invocations", [])
                module_result["action"] = the_plan.action
                _add_warnings(module_result, warnings)
                return module_result
            invocations = module_result.get("invocations", [])
            result_text = module_result.get("result")
            if "log" in module_result:
                result["log"] = module_result["log"]
            _add_warnings(result, module_result.get("warnings") or [])

        if the_plan.store and not check_mode:
            new_record = the_plan.with_result(result_text, self._task_uuid())
            result["ansible_facts"] = {fact: new_record.to_fact() if new_record else None}
            _WRITTEN[self._written_key(task_vars, fact)] = result["ansible_facts"][fact]
        elif earlier and not check_mode:
            # Ansible keeps the facts of the last attempt only: hand on what the earlier one stored.
            result["ansible_facts"] = {fact: stored}
        result.update(
            changed=the_plan.changed,
            action=the_plan.action,
            invocations=invocations,
            result=result_text,
            result_json=json_or_none(result_text),
        )
        _add_warnings(result, warnings)
        if self._task.diff:
            result["diff"] = the_plan.diff
        return result

    def _run_on_store(self, spec: StoreSpec, args: Dict[str, Any], options: Dict[str, Any], desired: Any,
                      task_vars: Dict[str, Any], terraform: Optional[Callable[[Any], Record]]) -> Dict[str, Any]:
        """The task with its record in a durable store (record_keeping.py); the module makes each call."""
        host = self._record_host(task_vars)
        fact = fact_name(desired.id)

        def invoke(invocations: list) -> Dict[str, Any]:
            planned = [invocation.describe() for invocation in invocations]
            return self._execute_module(module_name=MODULE, module_args=module_args(args, _invocations=planned),
                                        task_vars=task_vars)

        def legacy() -> Optional[Dict[str, Any]]:
            if _cache_settings()[0] not in ("jsonfile", "ansible.builtin.jsonfile"):
                return None
            prefix, origin = C.config.get_config_value_and_origin("CACHE_PLUGIN_PREFIX")
            # jsonfile has no default prefix of its own: ansible_facts applies only when it is set
            prefix = "" if origin == "default" else prefix
            return legacy_jsonfile_facts(C.config.get_config_value("CACHE_PLUGIN_CONNECTION"), prefix, host)

        check_mode = bool(self._task.check_mode)
        try:
            store = open_store(spec, aws={k: v for k, v in args.items() if k in AWS_CONNECTION_OPTIONS})
            keeper = Keeper(store, host, desired, invoke, check_mode=check_mode, recover=options.get("recover"),
                            adopt=adopter(self._host_facts(task_vars), fact, legacy), terraform=terraform)
            outcome = keeper.run()
        except (KeepingFailed, StoreError) as exc:
            return getattr(exc, "result", None) or {"failed": True, "msg": str(exc), "changed": False}
        _add_warnings(outcome, outcome.pop("warnings"))
        diff = outcome.pop("diff")
        if self._task.diff:
            outcome["diff"] = diff
        if "record" in outcome:
            final = outcome.pop("record")
            if not check_mode:  # the fact follows the store, for playbooks that read it
                outcome["ansible_facts"] = {fact: final.to_fact() if final else None}
        outcome["result_json"] = json_or_none(outcome["result"])
        return outcome

    # -- for_each (for_each.py) ------------------------------------------------------------------

    def _for_each_run_if_keys(self, args: Dict[str, Any], options: Dict[str, Any],
                              task_vars: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """state: absent without for_each: when ID has keys (ID[KEY] records), remove every one."""
        record_id = str(options.get("id") or options.get("function_name"))
        spec = parse_url(store_url(options.get("record_store"), os.environ))
        if spec.durable:
            store = open_store(spec, aws={k: v for k, v in args.items() if k in AWS_CONNECTION_OPTIONS})
            names = store.ids(self._record_host(task_vars))
        else:
            names = _fact_ids(self._host_facts(task_vars))
        if not any(key_of(record_id, name) is not None for name in names):
            return None
        return self._run_for_each(args, options, task_vars)

    def _run_for_each(self, args: Dict[str, Any], options: Dict[str, Any], task_vars: Dict[str, Any]) -> Dict[str, Any]:
        host = self._record_host(task_vars)
        spec = parse_url(store_url(options.get("record_store"), os.environ))
        module_args = {k: v for k, v in args.items()
                       if k not in ("input", "triggers", "for_each", "record_store", "recover", "terraform_state",
                                    "terraform_address", "_for_each")}
        check_mode = bool(self._task.check_mode)

        def invoke_all(batch: Dict[str, list]) -> Dict[str, Any]:
            planned = {key: [invocation.describe() for invocation in invocations] for key, invocations in batch.items()}
            return self._execute_module(module_name=MODULE, module_args=dict(module_args, _for_each=planned),
                                        task_vars=task_vars)

        facts = self._host_facts(task_vars)
        if spec.durable:
            store = open_store(spec, aws={k: v for k, v in args.items() if k in AWS_CONNECTION_OPTIONS})
        else:
            store = open_store(spec, facts={host: facts}, fact_name=fact_name, fact_prefix=FACT_PREFIX)

        def list_ids() -> List[str]:
            return store.ids(host) if spec.durable else _fact_ids(facts)
        runner = ForEach(store, host, options, invoke_all, list_ids, check_mode=check_mode,
                         written_by=self._task_uuid(), controller=controller_identity(), now=now_text,
                         fact_strings=not spec.durable)
        try:
            outcome = runner.run()
        except ForEachFailed as exc:
            return exc.result
        warnings = outcome.pop("warnings")
        if not spec.durable:
            warnings.append(cache_warning(*_cache_settings()))
            if outcome.get("failed") and any(e for e in outcome["invocations"]):
                warnings.append(
                    "some for_each keys failed, and Ansible drops the facts of a failed task: the keys that "
                    "succeeded in this run are not recorded and will be invoked again on the next run. Keep the "
                    "records in a durable store (record_store: file:///a/directory or s3://bucket/prefix), "
                    "where each key's record is written whatever the others do.")
            changes = getattr(store, "changes", {}).get(host)
            if changes and not check_mode and not outcome.get("failed"):
                outcome["ansible_facts"] = dict(changes)
        _add_warnings(outcome, [w for w in warnings if w])
        diff = outcome.pop("diff")
        if self._task.diff:
            outcome["diff"] = {"prepared": "".join(
                "%s[%s]: %s" % (options.get("id") or options.get("function_name"), key, d.get("prepared", ""))
                for key, d in diff.items()), "before": {k: d.get("before") for k, d in diff.items()},
                "after": {k: d.get("after") for k, d in diff.items()}}
        return outcome

    def _record_host(self, task_vars: Dict[str, Any]) -> str:
        """The host whose record this is: the one Ansible stores this task's facts on."""
        if self._task.delegate_to and self._task.delegate_facts:
            return str(self._task.delegate_to)
        return str(task_vars.get("inventory_hostname") or "localhost")

    def _host_facts(self, task_vars: Dict[str, Any]) -> Dict[str, Any]:
        """The facts of the host that Ansible stores this task's facts on."""
        if self._task.delegate_to and self._task.delegate_facts:
            delegated = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
            return delegated.get("ansible_facts") or {}
        return task_vars.get("ansible_facts") or {}

    def _task_uuid(self) -> Optional[str]:
        uuid = getattr(self._task, "_uuid", None)
        return uuid if isinstance(uuid, str) else None

    def _stored(self, task_vars: Dict[str, Any], fact: str) -> Tuple[Any, bool]:
        """This id's stored record (the fact's value), and whether an earlier attempt of this task set it.

        Read from the facts of the host that Ansible stores this task's facts on.
        """
        key = self._written_key(task_vars, fact)
        if key in _WRITTEN:
            return _WRITTEN[key], True
        return self._host_facts(task_vars).get(fact), False

    def _written_key(self, task_vars: Dict[str, Any], fact: str) -> Tuple[str, str, str]:
        host = self._task.delegate_to if self._task.delegate_to and self._task.delegate_facts else None
        return (self._task_uuid() or "", str(host or task_vars.get("inventory_hostname") or ""), fact)

    @staticmethod
    def _options(args: Dict[str, Any]) -> Dict[str, Any]:
        """This module's own options, type-checked and defaulted, as the module will see them."""
        unknown = sorted(k for k in args if k not in OPTION_SPEC and k not in AWS_CONNECTION_OPTIONS)
        if unknown:
            raise LifecycleError(
                "unsupported option(s): %s. Supported: %s, and the AWS connection options"
                % (", ".join(unknown), ", ".join(OPTION_SPEC))
            )
        checked = _VALIDATOR.validate({k: v for k, v in args.items() if k in OPTION_SPEC})
        if checked.error_messages:
            raise LifecycleError("; ".join(checked.error_messages))
        return checked.validated_parameters


def _fact_ids(facts: Dict[str, Any]) -> List[str]:
    """The ids of the records in a host's facts that carry their id (for_each keys do)."""
    found = []
    for name, value in facts.items():
        if not name.startswith(FACT_PREFIX) or not value:
            continue
        try:
            data = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            found.append(data["id"])
    return found


def _cache_settings() -> Tuple[str, Any]:
    return str(C.config.get_config_value("CACHE_PLUGIN")), C.config.get_config_value("CACHE_PLUGIN_TIMEOUT")


def cache_warning(plugin: str, timeout: Any) -> Optional[str]:
    """Why the records may not survive, or None when the fact cache keeps them."""
    if plugin in ("memory", "ansible.builtin.memory"):
        return (
            "cloudhooks.aws.lambda_invocation keeps what it invoked in host facts, but fact caching is "
            "'memory', so the records are lost when this run ends and the next run invokes again. "
            + HOW_TO_KEEP
        )
    try:
        seconds = int(timeout or 0)
    except (TypeError, ValueError):
        seconds = 0
    if seconds > 0:
        return (
            "cloudhooks.aws.lambda_invocation keeps what it invoked in host facts, but "
            "fact_caching_timeout is %d seconds: a record that no run rewrites within that time "
            "expires, and the next run invokes again as if it had never run. %s" % (seconds, HOW_TO_KEEP)
        )
    return None


def _readable(value: Any) -> Optional[Record]:
    """The record in a fact, or None when there is none or it cannot be read."""
    try:
        return Record.from_fact(value)
    except LifecycleError:
        return None


def _add_warnings(result: Dict[str, Any], warnings: List[str]) -> None:
    if warnings:
        result["warnings"] = list(result.get("warnings") or []) + list(warnings)
