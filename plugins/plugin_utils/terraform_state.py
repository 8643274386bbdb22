# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adopting an ``aws_lambda_invocation`` from Terraform (or OpenTofu) state.

Two formats are read, and told apart by their top-level keys:

- a state file, format ``version`` 4: what a local backend writes and what ``terraform state
  pull`` (or ``tofu state pull``) prints. Resources are listed with their module path and
  instances, each instance with its ``index_key``, ``schema_version`` and ``attributes``.
- the output of ``terraform show -json``: ``format_version`` 1.x, resources nested under
  ``values.root_module`` and its ``child_modules``, each instance with its ``index`` and ``values``.

The attributes are those of the provider's schema (internal/service/lambda/invocation.go):
``function_name``, ``qualifier`` (default ``$LATEST``), ``tenant_id``, ``lifecycle_scope``
(default ``CREATE_ONLY``), ``terraform_key`` (default ``tf``), ``triggers`` (map of strings),
``input`` (the JSON text Terraform sent) and ``result``. Schema version 0 (providers up to 5.83)
may lack ``lifecycle_scope`` and ``terraform_key`` (providers before 5.1 did not have them):
they take the defaults, as the provider's state upgrader does. The resource id is not used: it
has two forms (``fn_qualifier_md5`` before provider 6.22, ``fn,qualifier,md5`` after).

Parsing is pure; only load_state() reads a file. Runs on the controller only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import FunctionNameError
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import parse_function_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import same_function
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_address import ADDRESS_OPTION
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_address import Address
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_address import InstanceKey
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_address import key_text
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_address import module_path
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_address import parse_address
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import trigger_map
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import parse_input
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CREATE_ONLY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import CRUD
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_QUALIFIER
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import DEFAULT_TERRAFORM_KEY
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import SCOPES

RESOURCE_TYPE = "aws_lambda_invocation"
STATE_OPTION = "terraform_state"

# The provider's schema versions of aws_lambda_invocation that this module reads.
SCHEMA_VERSIONS = (0, 1)


@dataclass(frozen=True)
class Instance:
    """One resource instance of a state, with its attributes as the state holds them."""

    address: Address
    schema_version: int
    attributes: Mapping[str, Any]
    tainted: bool = False


@dataclass(frozen=True)
class State:
    """Every current resource instance of a state (deposed objects left out)."""

    kind: str
    instances: Tuple[Instance, ...]


# -- states ---------------------------------------------------------------------------------


def parse_state(text: Union[str, bytes], source: str) -> State:
    """Every resource instance in a state file (format version 4) or ``terraform show -json`` output.

    ``source`` names the file in messages. Raise LifecycleError when it is neither.
    """
    where = "%s %s" % (STATE_OPTION, source)
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LifecycleError("%s is not a Terraform state: it is not JSON (%s)" % (where, exc)) from exc
    if not isinstance(data, dict):
        raise LifecycleError("%s is not a Terraform state: it holds %s, not a JSON object" % (where, type(data).__name__))
    try:
        if "encrypted_data" in data:
            raise LifecycleError(
                "%s is encrypted (OpenTofu state encryption); give a decrypted copy, for example the output of "
                "'tofu show -json' with the encryption configured" % where
            )
        if "format_version" in data and "version" not in data:
            major = str(data["format_version"]).split(".", maxsplit=1)[0]
            if major != "1":
                raise LifecycleError(
                    "%s is 'terraform show -json' output of format_version %s; this module reads 1.x"
                    % (where, data["format_version"])
                )
            if "values" not in data and ("planned_values" in data or "resource_changes" in data):
                raise LifecycleError(
                    "%s is 'terraform show -json' output of a plan, not of a state; run 'terraform show -json' "
                    "without a plan file, or 'terraform state pull'" % where
                )
            return State("terraform show -json output", tuple(_show_json_instances(data)))
        if "version" in data:
            if data["version"] != 4:
                raise LifecycleError(
                    "%s is a state file of format version %r; this module reads version 4 (Terraform 0.12 and "
                    "later, OpenTofu): write it again with 'terraform state pull' from a current Terraform"
                    % (where, data["version"])
                )
            return State("state file (format version 4)", tuple(_v4_instances(data)))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, LifecycleError):
            raise
        raise LifecycleError("%s is not a Terraform state: its resources cannot be read (%s)" % (where, _why(exc))) from exc
    raise LifecycleError(
        "%s is not a Terraform state: it is neither a state file (format version 4, from 'terraform state pull') "
        "nor the output of 'terraform show -json'" % where
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return "missing %s" % exc
    return str(exc) or type(exc).__name__


def _v4_instances(data: Mapping[str, Any]) -> List[Instance]:
    found: List[Instance] = []
    for resource in data.get("resources") or []:
        module = module_path(resource.get("module"))
        for instance in resource.get("instances") or []:
            if instance.get("deposed"):
                continue  # an object create_before_destroy left to destroy, not the current one
            key = instance.get("index_key")
            if "attributes" not in instance and "attributes_flat" in instance:
                raise ValueError("%s holds flat (legacy) attributes; refresh it with a current provider" % resource["name"])
            address = Address(module, resource["mode"], resource["type"], resource["name"], _instance_key(key))
            found.append(Instance(address, int(instance.get("schema_version") or 0),
                                  _attributes(instance.get("attributes")), instance.get("status") == "tainted"))
    return found


def _show_json_instances(data: Mapping[str, Any]) -> List[Instance]:
    found: List[Instance] = []
    pending = [(data.get("values") or {}).get("root_module") or {}]
    while pending:
        module = pending.pop(0)
        path = module_path(module.get("address"))
        for resource in module.get("resources") or []:
            if resource.get("deposed_key"):
                continue
            address = Address(path, resource["mode"], resource["type"], resource["name"], _instance_key(resource.get("index")))
            found.append(Instance(address, int(resource.get("schema_version") or 0),
                                  _attributes(resource.get("values")), bool(resource.get("tainted"))))
        pending.extend(module.get("child_modules") or [])
    return found


def _attributes(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("the attributes of an instance are not an object")
    return value


def _instance_key(key: Any) -> Optional[InstanceKey]:
    if key is None or isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    raise ValueError("an instance key %r is neither a number nor a string" % (key,))


_CACHE: Dict[Tuple[str, int, int, int], State] = {}


def load_state(path: str) -> State:
    """The state in ``path``; parsed once per file version (a loop reads one file many times)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise LifecycleError("%s %s does not exist" % (STATE_OPTION, path)) from None
    except OSError as exc:
        raise LifecycleError("%s %s cannot be read: %s" % (STATE_OPTION, path, exc.strerror or exc)) from exc
    if not os.path.isfile(path):
        raise LifecycleError("%s %s is not a file" % (STATE_OPTION, path))
    cache_key = (os.path.realpath(path), info.st_mtime_ns, info.st_size, info.st_ino)
    if cache_key not in _CACHE:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise LifecycleError("%s %s cannot be read: %s" % (STATE_OPTION, path, exc.strerror or exc)) from exc
        _CACHE.clear()  # keep one: the file a loop reads
        _CACHE[cache_key] = parse_state(raw, path)
    return _CACHE[cache_key]


# -- the instance ---------------------------------------------------------------------------


def find_instance(state: State, address: Address, source: str) -> Instance:
    """The instance at ``address``; raise LifecycleError naming the invocations there are."""
    where = "%s %s" % (STATE_OPTION, source)
    if address.mode != "managed" or address.type != RESOURCE_TYPE:
        what = "a data source" if address.mode == "data" else "a resource of type %s" % address.type
        raise LifecycleError(
            "%s %s is %s; only a managed %s resource can be adopted. %s"
            % (ADDRESS_OPTION, address, what, RESOURCE_TYPE, _those_in(state))
        )
    for instance in state.instances:
        if instance.address == address:
            return instance
    if address.key is None:
        keyed = [str(i.address) for i in state.instances if i.address.resource() == address and i.address.key is not None]
        if keyed:
            raise LifecycleError(
                "%s %s is a resource with %d instances (count or for_each) in %s; give one of them: %s"
                % (ADDRESS_OPTION, address, len(keyed), where, ", ".join(keyed))
            )
    raise LifecycleError("%s %s is not in %s. %s" % (ADDRESS_OPTION, address, where, _those_in(state)))


def find_key(state: State, address: Address, key: str, source: str) -> Optional[Instance]:
    """The instance of a resource with for_each (``["KEY"]``) or count (``[N]``) for a for_each key;
    None when the resource has no instance of that key."""
    if address.key is not None:
        raise LifecycleError(
            "%s %s names one instance; with for_each give the resource without an index (%s), and each key of "
            "for_each adopts the instance of that key" % (ADDRESS_OPTION, address, address.resource()))
    if address.mode != "managed" or address.type != RESOURCE_TYPE or not any(
            i.address.resource() == address for i in state.instances):
        find_instance(state, address, source)  # raises, naming the invocations the state holds
    if any(i.address == address for i in state.instances):
        raise LifecycleError("%s %s has no count or for_each, so it has no instance per key; give it to a task "
                             "without for_each" % (ADDRESS_OPTION, address))
    for instance in state.instances:
        if instance.address.resource() == address and instance.address.key is not None and str(instance.address.key) == key:
            return instance
    return None


def _those_in(state: State) -> str:
    mine = [str(i.address) for i in state.instances if i.address.mode == "managed" and i.address.type == RESOURCE_TYPE]
    if not mine:
        return "It holds no %s instances." % RESOURCE_TYPE
    return "The %s instances in it: %s." % (RESOURCE_TYPE, ", ".join(mine))


def record_of(instance: Instance, source: str) -> Record:
    """The instance's attributes as a record, with the target as Terraform wrote it.

    Schema version 0 takes the defaults for a missing lifecycle_scope and terraform_key, as the
    provider's state upgrader does; a newer schema version is refused rather than guessed at.
    """
    where = "%s %s, %s" % (STATE_OPTION, source, instance.address)
    if instance.schema_version not in SCHEMA_VERSIONS:
        raise LifecycleError(
            "%s has schema version %d, written by a provider newer than this module reads (versions %s)"
            % (where, instance.schema_version, ", ".join(str(v) for v in SCHEMA_VERSIONS))
        )
    attributes = dict(instance.attributes)
    if instance.schema_version == 0:
        for name, default in (("lifecycle_scope", CREATE_ONLY), ("terraform_key", DEFAULT_TERRAFORM_KEY)):
            if attributes.get(name) is None:
                attributes[name] = default

    def text(name: str, default: Optional[str] = None) -> Optional[str]:
        value = attributes.get(name)
        if value is None or value == "":
            return default
        if not isinstance(value, str):
            raise LifecycleError("%s: %s is %r, not a string" % (where, name, value))
        return value

    function_name = text("function_name")
    if function_name is None:
        raise LifecycleError("%s has no function_name" % where)
    scope = text("lifecycle_scope")
    if scope not in SCOPES:
        raise LifecycleError("%s: lifecycle_scope is %r, not CREATE_ONLY or CRUD" % (where, scope))
    key = text("terraform_key")
    if key is None:
        raise LifecycleError("%s has no terraform_key" % where)
    raw_input = attributes.get("input")
    if not isinstance(raw_input, str):
        raise LifecycleError("%s: input is %r, not the JSON text Terraform keeps" % (where, raw_input))
    try:
        value = parse_input(raw_input)
        triggers = trigger_map(attributes.get("triggers"), "triggers")
    except LifecycleError as exc:
        raise LifecycleError("%s: %s" % (where, exc)) from exc
    if scope == CRUD and not isinstance(value, dict):
        raise LifecycleError("%s: lifecycle_scope is CRUD but its input is not a JSON object" % where)
    target = Target(function_name, text("qualifier", DEFAULT_QUALIFIER) or DEFAULT_QUALIFIER, text("tenant_id"))
    return Record(target, scope, key, triggers, value, text("result"))


def same_target(terraform: Target, task: Target, region: Optional[str] = None) -> bool:
    """Whether Terraform's target is the task's: the same function as Lambda resolves it (name,
    partial ARN and ARN alike), the same qualifier and the same tenant.

    Terraform also accepts a function name that ends with the qualifier it invokes
    (``fn:live`` with qualifier ``live``); that is the same as ``fn`` with qualifier ``live``.
    ``region`` is the instance's ``region`` attribute (provider 6): an ARN or partial ARN in the
    task that names another region is another function.
    """
    name = terraform.function_name
    try:
        written = parse_function_name(name).qualifier
        task_region = parse_function_name(task.function_name).region
    except FunctionNameError:
        return False
    if written is not None:
        if written != terraform.qualifier:
            return False
        name = name[: -(len(written) + 1)]
    if region and task_region and region != task_region:
        return False
    return (
        same_function(name, task.function_name)
        and terraform.qualifier == task.qualifier
        and (terraform.tenant_id or None) == (task.tenant_id or None)
    )


# -- what the action plugin calls -----------------------------------------------------------


@dataclass(frozen=True)
class TerraformSource:
    """The instance a task names with terraform_state and terraform_address."""

    path: str
    address: Address

    def describe(self) -> str:
        return "%s %s, %s %s" % (STATE_OPTION, self.path, ADDRESS_OPTION, self.address)

    def adopt(self, desired: Desired, key: Optional[str] = None) -> Optional[Record]:
        """The instance as a record for ``desired``, or LifecycleError (nothing is invoked). With a
        for_each ``key``, the resource's instance of that key (``["KEY"]``, or ``[N]`` for count);
        None when the resource has no such instance (the next terraform apply would create it).

        The record keeps the task's own spelling of the target (a name where Terraform has the
        ARN), so that planning does not see a change of target where Lambda sees none.
        """
        state = load_state(self.path)
        instance = find_instance(state, self.address, self.path) if key is None else find_key(state, self.address, key, self.path)
        if instance is None:
            return None
        if instance.tainted and not desired.force:
            raise LifecycleError(
                "%s is tainted: the next terraform apply would replace it and invoke the function again. Give "
                "force: true to do that here, or run 'terraform untaint %s' and take a new copy of the state to "
                "adopt it as it is" % (self.describe(), self.address)
            )
        record = record_of(instance, self.path)
        region = instance.attributes.get("region")
        region = region if isinstance(region, str) and region else None
        if not same_target(record.target, desired.target, region):
            raise LifecycleError(
                "%s invokes %s%s, but this task invokes %s: give the task the function_name, qualifier and "
                "tenant_id of that instance, or the terraform_address of this task's invocation"
                % (self.describe(), record.target.describe(), " in %s" % region if region else "", desired.target.describe())
            )
        return replace(record, target=desired.target)


def terraform_source(params: Mapping[str, Any], resolve: Callable[[str], str] = lambda path: path) -> Optional[TerraformSource]:
    """The task's terraform_state and terraform_address, checked; None when neither is given.

    ``resolve`` turns a relative path into the one to read (the action plugin: relative to the
    playbook's directory). The file itself is read only by TerraformSource.adopt().
    """
    path, address = params.get(STATE_OPTION), params.get(ADDRESS_OPTION)
    if path is None and address is None:
        return None
    if path is None or address is None:
        missing = STATE_OPTION if path is None else ADDRESS_OPTION
        raise LifecycleError(
            "%s and %s go together: give both, or neither (%s is missing)" % (STATE_OPTION, ADDRESS_OPTION, missing)
        )
    if not isinstance(path, str) or not path:
        raise LifecycleError("%s must be the path of a state file" % STATE_OPTION)
    parsed = parse_address(address)
    if parsed.key is not None and not params.get("id") and params.get("for_each") is None:
        raise LifecycleError(
            "%s %s is one instance of a resource with count or for_each, but the task has no id: every instance "
            "would share one record (the id defaults to function_name) and the next run would invoke again. Give "
            "each its own id, for example id: '%s'" % (ADDRESS_OPTION, parsed, _suggested_id(parsed))
        )
    return TerraformSource(resolve(path), parsed)


def _suggested_id(address: Address) -> str:
    return "%s%s" % (address.name, key_text(address.key))
