# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of cloudhooks.aws.lambda_invocation: it owns the record.

Checks the task's options, builds the task's context (the host that holds the records, its facts,
the store, where a missing record may be adopted from) and hands the task to the one driver,
plugin_utils/runner.py, which runs the module only when something is to be invoked. See
docs/architecture.md.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Tuple

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import AWS_CONNECTION_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import MODULE_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import OPTION_SPEC
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import STRING_OPTIONS
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import module_args
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.adoption import legacy_jsonfile_facts
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.driver import Context
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.driver import run_task
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import kind
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import preload
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.task import TaskFailed

preload(os.environ)  # with CLOUDHOOKS_RECORD_STORE=s3://...: botocore's S3 model, once per run

MODULE = "cloudhooks.aws.lambda_invocation"
# The task's options as the controller checks them: the module's own, and the AWS connection
# options, which the module checks (they are passed on as given).
CONTROLLER_SPEC: Dict[str, Dict[str, Any]] = dict(OPTION_SPEC, **{name: {"type": "raw"} for name in AWS_CONNECTION_OPTIONS})

HOW_TO_KEEP = (
    "Keep them with, in ansible.cfg [defaults]: fact_caching = jsonfile, fact_caching_connection = "
    "<a directory>, fact_caching_timeout = 0 (or another cache plugin, such as community.general.redis)."
)


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
        try:
            options = self._options()
        except LifecycleError as exc:
            result.update(TaskFailed(str(exc)).result)
            return result
        result.update(self._run(options, task_vars))
        return result

    def _options(self) -> Dict[str, Any]:
        """The task's options, checked and defaulted; a bad one fails before anything is read."""
        args = self._task.args
        for name in STRING_OPTIONS:
            if isinstance(args.get(name), (Mapping, list, tuple)):
                raise LifecycleError("%s must be a string, got %s" % (name, kind(args[name])))
        try:
            _checked, options = self.validate_argument_spec(argument_spec=CONTROLLER_SPEC)
        except AnsibleActionFail as exc:
            raise LifecycleError(str(exc)) from exc
        return options

    def _run(self, options: Dict[str, Any], task_vars: Dict[str, Any]) -> Dict[str, Any]:
        host, facts = self._record_host(task_vars)

        def module(request: Dict[str, Any]) -> Dict[str, Any]:
            wanted = {k: v for k, v in options.items() if k in MODULE_OPTIONS}
            wanted.update((k, v) for k, v in self._task.args.items() if k in AWS_CONNECTION_OPTIONS)
            return self._execute_module(module_name=MODULE, module_args=module_args(wanted, request), task_vars=task_vars)

        context = Context(
            host, facts, module, check_mode=bool(self._task.check_mode), task_uuid=str(getattr(self._task, "_uuid", "") or ""),
            environ=os.environ, legacy=lambda: self._legacy(host), facts_warning=cache_warning(*_cache_settings()),
            resolve=self._loader.path_dwim if self._loader else os.path.abspath, verbose=self._display.v)
        out = run_task(options, context)
        if not self._task.diff:
            out.pop("diff", None)
        if not out.get("warnings"):
            out.pop("warnings", None)
        return out

    def _is_pipelining_enabled(self, module_style: str, wrap_async: bool = False) -> bool:
        """Pipelined wherever the connection can (it can for local), whatever the configuration says:
        the module's arguments hold the payloads, and a pipelined module is never written to a file."""
        if super()._is_pipelining_enabled(module_style, wrap_async):
            return True
        connection = self._connection
        return (module_style == "new" and not wrap_async and not C.DEFAULT_KEEP_REMOTE_FILES
                and bool(getattr(connection, "has_pipelining", False)) and not getattr(connection, "become", None))

    def _record_host(self, task_vars: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
        """The host whose record this is, and its facts: the one Ansible stores this task's facts on."""
        if self._task.delegate_to and self._task.delegate_facts:
            delegated = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
            return str(self._task.delegate_to), dict(delegated.get("ansible_facts") or {})
        return str(task_vars.get("inventory_hostname") or "localhost"), dict(task_vars.get("ansible_facts") or {})

    @staticmethod
    def _legacy(host: str) -> Optional[Dict[str, Any]]:
        """The host's facts in an ansible-core 2.17/2.18 jsonfile cache file, if the cache is jsonfile."""
        if _cache_settings()[0] not in ("jsonfile", "ansible.builtin.jsonfile"):
            return None
        prefix, origin = C.config.get_config_value_and_origin("CACHE_PLUGIN_PREFIX")
        # jsonfile has no default prefix of its own: ansible_facts applies only when it is set
        prefix = "" if origin == "default" else prefix
        return legacy_jsonfile_facts(C.config.get_config_value("CACHE_PLUGIN_CONNECTION"), prefix, host)


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
