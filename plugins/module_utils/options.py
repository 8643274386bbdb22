# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of cloudhooks.aws.lambda_invocation, in one place.

The action plugin checks a task's options against OPTION_SPEC before anything else happens;
the module builds its argument_spec from it (AnsibleAWSModule adds the AWS connection options).
Standard library only: the action plugin imports this on the path that never loads botocore.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

CREATE_ONLY, CRUD = "CREATE_ONLY", "CRUD"
SCOPES = (CREATE_ONLY, CRUD)
PRESENT, ABSENT, FORGOTTEN = "present", "absent", "forgotten"
STATES = (PRESENT, ABSENT, FORGOTTEN)
RECORD_INPUT_CHOICES = ("full", "digest")
REINVOKE_ON_CHOICES = ("code", "configuration")
REQUEST_RESPONSE, EVENT = "RequestResponse", "Event"
INVOCATION_TYPES = (REQUEST_RESPONSE, EVENT)
# recover: what a run does with an invocation that an earlier run left in flight.
AUTO, RETRY, ASSUME_DONE = "auto", "retry", "assume_done"
RECOVER_CHOICES = (AUTO, RETRY, ASSUME_DONE)

DEFAULT_QUALIFIER = "$LATEST"
DEFAULT_TERRAFORM_KEY = "tf"
# Long enough for a function that runs Lambda's 15-minute maximum, plus start-up and transfer.
DEFAULT_TIMEOUT = 960
# for_each: invocations in flight at once, as terraform apply's -parallelism.
DEFAULT_MAX_CONCURRENCY = 10

# The options a task gives, in Ansible's argument_spec form.
OPTION_SPEC: Dict[str, Dict[str, Any]] = {
    "function_name": {"type": "str", "required": True},
    "input": {"type": "raw"},
    "lifecycle_scope": {"type": "str", "default": CREATE_ONLY, "choices": list(SCOPES)},
    "qualifier": {"type": "str", "default": DEFAULT_QUALIFIER},
    "terraform_key": {"type": "str", "default": DEFAULT_TERRAFORM_KEY, "no_log": False},
    "triggers": {"type": "raw"},
    "state": {"type": "str", "default": PRESENT, "choices": list(STATES)},
    "id": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "tenant_id": {"type": "str"},
    "tail_log": {"type": "bool", "default": False},
    "timeout": {"type": "int", "default": DEFAULT_TIMEOUT},
    # What the record keeps, what re-invokes, and how the function is called (docs/lifecycle.md,
    # "Records without secrets, function changes, asynchronous calls").
    "record_input": {"type": "str", "default": "full", "choices": list(RECORD_INPUT_CHOICES)},
    "record_result": {"type": "bool", "default": True},
    "reinvoke_on": {"type": "list", "elements": "str", "default": [], "choices": list(REINVOKE_ON_CHOICES)},
    "invocation_type": {"type": "str", "default": REQUEST_RESPONSE, "choices": list(INVOCATION_TYPES)},
    # Read on the controller only, when there is no record yet (docs/terraform.md).
    "terraform_state": {"type": "path"},
    "terraform_address": {"type": "str"},
    # Where the record is kept, and what to do with an invocation found in flight there.
    "record_store": {"type": "str"},
    "recover": {"type": "str", "choices": list(RECOVER_CHOICES)},
    # key -> input: one record per key, id ID[KEY]; input is not allowed with it.
    "for_each": {"type": "dict"},
    "max_concurrency": {"type": "int", "default": DEFAULT_MAX_CONCURRENCY},
    # Exactly once (docs/lifecycle.md): the idempotency key in the lifecycle block, durable functions
    # invoked by name (None: read from the function's configuration), the response that counts as success.
    "idempotency_key": {"type": "bool", "default": False},
    "durable": {"type": "bool"},
    "expect_result": {"type": "dict"},
}

# The options whose type is str: Ansible turns a list or a mapping given to one into its Python text
# ("['x']"), which would be sent or stored as such; the action plugin refuses them instead.
STRING_OPTIONS = tuple(name for name, spec in OPTION_SPEC.items() if spec.get("type") == "str")

# The connection options (and aliases) that AnsibleAWSModule adds to every AWS module. The action
# plugin accepts them without importing amazon.aws (which imports botocore) on the no-change path,
# and passes them on to the module unchanged; a unit test keeps this list equal to amazon.aws's
# aws_argument_spec() (10.1.2 and 11.x, the versions galaxy.yml allows and the tests run on).
AWS_CONNECTION_OPTIONS = frozenset(
    (
        "access_key", "aws_access_key", "aws_access_key_id", "aws_ca_bundle", "aws_config",
        "aws_endpoint_url", "aws_profile", "aws_region", "aws_secret_access_key", "aws_secret_key",
        "aws_session_token", "debug_botocore_endpoint_logs", "endpoint_url", "profile", "region",
        "secret_key", "session_token", "validate_certs",
    )
)

# The module's arguments: the AWS connection options and these; the rest stays on the controller
# (the planned payloads carry the input).
MODULE_OPTIONS = frozenset(("function_name", "qualifier", "tail_log", "timeout", "invocation_type", "max_concurrency",
                            "durable", "expect_result"))

# The planned invocations by key, handed from the action plugin to the module. It is not one of
# the module's documented options: the module takes it out of its arguments before checking them.
REQUEST = "_request"


def module_args(args: Mapping[str, Any], request: Mapping[str, Any]) -> Dict[str, Any]:
    """The module's arguments: the AWS connection options, the few options it reads, the request."""
    out = {k: v for k, v in args.items() if k in AWS_CONNECTION_OPTIONS or k in MODULE_OPTIONS}
    out[REQUEST] = dict(request)
    return out
