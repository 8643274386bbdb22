#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_invocation
short_description: Invoke an AWS Lambda function with a Terraform-style lifecycle
version_added: 0.1.0
description:
  - Invokes an AWS Lambda function as part of provisioning, the way Terraform's C(aws_lambda_invocation)
    resource does. The function is invoked once when the invocation is created, and again only when
    its O(input), its target (O(function_name), O(qualifier), O(tenant_id)) or its O(triggers) change,
    or when O(force=true).
  - With O(lifecycle_scope=CRUD) the function is told what is happening. Its payload is O(input) plus
    one key, O(terraform_key), holding C({"action":ACTION,"prev_input":PREVIOUS}), where ACTION is
    V(create), V(update) or V(delete) and PREVIOUS is the input last sent (null on create), so that
    the function can set up, migrate and tear down what it manages. Functions written for Terraform
    work unchanged.
  - What was last sent is remembered per host and O(id), by default in a fact (one fact per O(id)). Keep
    facts across runs with fact caching, for example C(fact_caching = jsonfile) and
    C(fact_caching_timeout = 0) in C(ansible.cfg). With the default in-memory cache the record lasts only
    for the run, and with a non-zero C(fact_caching_timeout) it expires; in both cases the module warns.
    O(record_store) keeps it instead in a directory or an S3 bucket, which survive failed loops and
    cache changes, and are locked per invocation across controllers.
  - An action plugin of the same name decides on the controller, from the stored record and the task,
    what to invoke. When nothing is to be invoked it returns at once, without running the module or
    calling AWS.
  - The payload is compact JSON in UTF-8; the input's key order is kept and the lifecycle block is
    added last. Inputs and triggers are compared as parsed JSON, so key order and white space do not
    count.
  - A function error (C(FunctionError) in the response, handled or unhandled) or an AWS error fails
    the task with the function's error type and message, and the stored record stays as it was, so
    the next run tries the same transition again.
  - Requests that may have reached the function are never sent again. Only throttling
    (C(TooManyRequestsException)), a function that is still being created or updated
    (C(ResourceConflictException), C(ResourceNotReadyException)) and a connection that could not be
    made are retried, with backoff. A read timeout is never retried.
author:
  - cloudhooks.aws contributors (@cloudhooks)
options:
  function_name:
    description:
      - The Lambda function to invoke, as a name (V(my-function)), a full ARN or a partial ARN
        (V(123456789012:function:my-function)).
      - Without a version or alias; give that in O(qualifier). A name or ARN that ends with one is an
        error.
    type: str
    required: true
  input:
    description:
      - The JSON value sent to the function. Give it as YAML (a mapping, a list or a scalar), or as a
        string holding JSON, which is parsed; a string that is not valid JSON is an error.
      - Required with O(state=present); not used with O(state=absent).
      - With O(lifecycle_scope=CRUD) it must be a JSON object that does not already have the key
        O(terraform_key).
      - The payload, with the lifecycle block added, must fit Lambda's synchronous limit of
        6,291,456 bytes.
      - In CRUD scope the C(delete) payload carries the input twice (as itself and as C(prev_input)).
        An input too large for that is still sent, with a warning that O(state=absent) and later
        replacements will be refused until the input is smaller.
    type: raw
  lifecycle_scope:
    description:
      - V(CREATE_ONLY) invokes on create, and on a replacement when the input, target or triggers
        change. The payload is O(input) as it is.
      - V(CRUD) also invokes on update and on delete (O(state=absent), or the old side of a
        replacement), adding the lifecycle block under O(terraform_key).
    type: str
    choices: [CREATE_ONLY, CRUD]
    default: CREATE_ONLY
  qualifier:
    description:
      - The version or alias to invoke. Changing it replaces the invocation (the old target is sent
        C(delete) first in CRUD scope).
    type: str
    default: $LATEST
  terraform_key:
    description:
      - The key of the lifecycle block in CRUD scope.
    type: str
    default: tf
  triggers:
    description:
      - A mapping of arbitrary values. Any change to it replaces the invocation (invokes again).
    type: raw
  state:
    description:
      - V(present) invokes as the lifecycle requires.
      - V(absent) sends C(delete) to the stored target in CRUD scope, then forgets the record; in
        CREATE_ONLY scope it only forgets the record.
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - Names the stored record. Defaults to O(function_name) as written.
      - Two tasks that invoke the same function with different inputs must each set their own O(id).
      - The qualifier is not part of the id, so changing the qualifier is a replacement, not a new
        record.
    type: str
  force:
    description:
      - Replace the invocation even though nothing changed, like Terraform's taint.
    type: bool
    default: false
  tenant_id:
    description:
      - Sent as Lambda's C(TenantId) for a multi-tenant function. Part of the target.
    type: str
  tail_log:
    description:
      - Ask Lambda for the last 4 KB of the invocation's log and return it decoded in RV(log).
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for a synchronous invocation to return. The default lets a function that runs
        Lambda's 15-minute maximum finish.
      - When it runs out the task fails; the request is not sent again, and the function may still be
        running.
    type: int
    default: 960
  record_store:
    description:
      - Where the record of each O(id) is kept. When not set, the environment variable
        C(CLOUDHOOKS_RECORD_STORE) on the controller gives it (so CI can set it once); otherwise V(facts).
        It can also be set with C(module_defaults), for this module or the group C(group/cloudhooks.aws.aws).
      - V(facts) keeps it in a host fact, carried between runs by Ansible's fact cache (see the notes).
      - C(file:///ABSOLUTE/DIR) keeps one file per host and id under that directory (which must exist), for
        one controller. Writes take an exclusive lock and rename a complete file into place.
      - C(s3://BUCKET/PREFIX) keeps one object per host and id, C(PREFIX/<inventory_hostname>/<id>.json)
        (names encoded so that any host name and id are safe), written with S3's conditional writes. It uses
        the task's AWS connection options (credentials, O(profile), O(region), O(endpoint_url)) and the usual
        credential chain on the controller, unless the URL names its own with
        C(?region=R&profile=P&endpoint_url=U). It needs C(s3:GetObject), C(s3:PutObject) and
        C(s3:DeleteObject) on the prefix, and C(s3:ListBucket) on the bucket; use a versioned bucket with
        default encryption.
      - Given with C(CLOUDHOOKS_RECORD_STORE), an C(s3://) store loads botocore once per run (ansible-core
        2.19 and later); given only with this option, each task that uses it loads it (about 0.35 seconds).
      - With C(file://) or C(s3://) the store is the source of truth. The fact is still set when a run
        changes the record, so that playbooks can read it, but it is not read, except once. When the store has
        no record for an id, it is adopted, without invoking, from the host's fact or from an ansible-core
        2.17/2.18 jsonfile cache file (C(<host>)), and written to the store.
      - Before the first invocation the controller writes an in-flight marker (conditionally, so that only one run
        can hold it); after each invocation it stores the progress, so a replace whose create fails after the
        delete succeeded sends only the create next time. The marker is removed when the function surely did
        not complete (a function error, a refusal before it ran), and kept when the outcome is unknown (a
        timeout, a lost connection, the controller killed). See O(recover).
      - The collection's docs/state.md compares the stores and says how to set each up and move between them.
    type: str
    version_added: 0.2.0
  recover:
    description:
      - What to do with an invocation found in flight in a C(file://) or C(s3://) record store (a run that
        died, or timed out, after sending it). Without it such a record fails the task with a message that
        says what was in flight, since when and from where.
      - V(retry) sends the planned invocations that were not confirmed again.
      - V(assume_done) stores the planned record without invoking anything.
      - After recovering, the task goes on as usual from the recovered record. In check mode it only reports.
    type: str
    choices: [retry, assume_done]
    version_added: 0.2.0
  _invocations:
    description:
      - Internal. The invocations the action plugin of the same name planned, in order, with their
        exact payloads; the module makes them. Do not set it; a value given in a task is replaced.
    type: list
    elements: dict
    default: []
notes:
  - In check mode nothing is invoked and the stored record is not changed. Where an invocation is
    planned, each planned target is called with C(InvocationType=DryRun), so a wrong function name or
    a missing permission shows. RV(invocations) lists the exact payloads that would be sent.
  - With C(--diff), the stored record (before) and the task (after) are shown, input included.
  - A replacement in CRUD scope invokes twice, C(delete) on the old target and then C(create) on the
    new one. If the delete succeeds and the create fails, the task fails. With O(record_store=facts) the
    record still names the old target and input (Ansible keeps no facts from a failed task), and the next
    run sends C(delete) to the old target again and then C(create), so write the delete handler so that it
    can run twice. With a C(file://) or C(s3://) store the record says that the old side is gone, and the
    next run sends only the C(create).
  - A loop in which one item fails loses the facts of every item (Ansible keeps no facts from a failed
    task), so with O(record_store=facts) the next run invokes the items that had succeeded again. A
    C(file://) or C(s3://) store keeps each item's record as soon as it succeeds.
  - With a C(file://) or C(s3://) store the module runs once per planned invocation, so that the
    controller can store the progress after each.
  - The AWS connection options may be given with C(module_defaults) for the group
    C(group/cloudhooks.aws.aws), which extends C(group/amazon.aws.aws).
  - O(aws_config) may set any botocore option except C(retries) and C(read_timeout), which this module
    sets itself (no SDK retries; O(timeout)).
seealso:
  - name: Terraform aws_lambda_invocation
    description: The Terraform resource whose behaviour this module follows.
    link: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_invocation
  - module: amazon.aws.lambda_execute
  - module: amazon.aws.lambda
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Seed a database once, when the stack is first created
  cloudhooks.aws.lambda_invocation:
    function_name: seed-database
    input:
      tables: [users, orders]
  register: seeded

- name: Use what the function returned
  ansible.builtin.debug:
    msg: "{{ seeded.result_json }}"

- name: Tell the function about create, update and delete (Terraform's lifecycle_scope = "CRUD")
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    qualifier: live
    lifecycle_scope: CRUD
    input:
      tenant: acme
      plan: gold

- name: Send delete with the last input, then forget the record
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    lifecycle_scope: CRUD
    state: absent

- name: Invoke again whenever the deployed code changes
  cloudhooks.aws.lambda_invocation:
    function_name: migrate-schema
    input: '{"target": "v42"}'
    triggers:
      code_sha256: "{{ function_info.configuration.code_sha256 }}"

- name: Two records for one function, one per input
  cloudhooks.aws.lambda_invocation:
    function_name: register-endpoint
    id: "register-endpoint-{{ item }}"
    input:
      endpoint: "{{ item }}"
  loop: [api, web]

- name: Keep the records in an S3 bucket shared by every controller (or set CLOUDHOOKS_RECORD_STORE)
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    lifecycle_scope: CRUD
    record_store: s3://example-state-bucket/ansible/lambda?region=eu-west-1
    input:
      tenant: acme

- name: A run died while this was in flight; the function did its work, so store it as done
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    lifecycle_scope: CRUD
    record_store: s3://example-state-bucket/ansible/lambda?region=eu-west-1
    recover: assume_done
    input:
      tenant: acme

- name: Connection options once for the whole play
  module_defaults:
    group/cloudhooks.aws.aws:
      region: eu-west-1
  block:
    - name: Warm the cache
      cloudhooks.aws.lambda_invocation:
        function_name: warm-cache
        input: {}
"""

RETURN = r"""
action:
  description:
    - What the run did (or, in check mode, would do).
    - V(create), V(update), V(replace), V(delete), V(forget) (O(state=absent) on a CREATE_ONLY
      record), or V(none). An V(update) with an empty RV(invocations) list means that only the
      record changed.
  returned: always
  type: str
  sample: update
invocations:
  description:
    - One entry per invocation made or, in check mode, planned, in order.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The lifecycle action of this invocation, V(create), V(update) or V(delete).
      returned: always
      type: str
      sample: create
    function_name:
      description: The function invoked.
      returned: always
      type: str
      sample: tenant-provisioner
    qualifier:
      description: The version or alias invoked.
      returned: always
      type: str
      sample: $LATEST
    tenant_id:
      description: The tenant sent as C(TenantId), or null.
      returned: always
      type: str
    payload:
      description: The exact payload sent (or to be sent, in check mode), as a JSON string.
      returned: always
      type: str
      sample: '{"tenant":"acme","tf":{"action":"create","prev_input":null}}'
    status_code:
      description: The HTTP status of the Invoke call (C(204) for a check-mode C(DryRun)).
      returned: when the function was called
      type: int
      sample: 200
    executed_version:
      description: The version that ran.
      returned: after a real invocation
      type: str
      sample: "3"
    response:
      description: The raw response payload of this invocation.
      returned: after a real invocation
      type: str
      sample: '{"status": "ok"}'
    function_error:
      description: C(Handled) or C(Unhandled) when the function failed (the task then fails).
      returned: when the function returned an error
      type: str
    dry_run:
      description: True for a check-mode C(DryRun) call.
      returned: in check mode
      type: bool
    log:
      description: The decoded log tail of this invocation.
      returned: when O(tail_log=true), after a real invocation
      type: str
result:
  description:
    - The raw response payload of the last create or update invocation; when nothing was invoked, the
      stored result of the last successful one. Null after O(state=absent), and in check mode when an
      invocation is planned (its response is not known yet).
  returned: always
  type: str
  sample: '{"status": "ok"}'
result_json:
  description: RV(result) parsed, when it is JSON; otherwise null.
  returned: always
  type: raw
  sample: {"status": "ok"}
failure_kind:
  description:
    - When an invocation failed, whether the function surely did not complete (V(not_completed), after a
      function error or a refusal before it ran) or may have run (V(unknown), after a read timeout, a lost
      connection or a 5xx answer). With a C(file://) or C(s3://) store, the in-flight marker is removed in the first case and
      kept in the second.
  returned: when an invocation failed
  type: str
  sample: unknown
adopted_from:
  description: With a C(file://) or C(s3://) store, where a record missing from the store was adopted from,
    V(fact) or V(jsonfile) (an ansible-core 2.17/2.18 cache file). Nothing is invoked for the adoption itself.
  returned: when a record was adopted
  type: str
  sample: fact
recovered:
  description: With O(recover), how (V(retry) or V(assume_done)) and what was found in flight.
  returned: when an invocation in flight was recovered
  type: dict
  contains:
    how:
      description: The O(recover) choice used.
      returned: always
      type: str
    in_flight:
      description: The marker found (action, remaining and done invocations, planned and prior record,
        since, controller host, user and pid).
      returned: always
      type: dict
in_flight:
  description: The in-flight marker found in the store, when it fails the task (O(recover) not given).
  returned: when an invocation in flight stops the task
  type: dict
log:
  description: The decoded log tail of the last invocation.
  returned: when O(tail_log=true) and a function was invoked
  type: str
diff:
  description: With C(--diff), the stored record (before) and the task (after).
  returned: in diff mode
  type: dict
  contains:
    before:
      description: Target, scope, key, triggers and input of the stored record; empty when there is none.
      returned: in diff mode
      type: dict
    after:
      description: Target, scope, key, triggers and input of the task; empty with O(state=absent).
      returned: in diff mode
      type: dict
"""

import base64
import json
from typing import Any, Dict, List, Optional

try:
    from botocore.config import Config
    from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
    from botocore.exceptions import HTTPClientError
except ImportError:
    # AnsibleAWSModule reports a missing botocore before any of these is used; the stand-ins only
    # let this file import, since InvokeRetry names the exceptions when it is defined.
    ClientError = ConnectTimeoutError = EndpointConnectionError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import OPTION_SPEC
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Invocation

# Error codes that Lambda returns before the function runs: resending cannot run it twice.
SAFE_TO_RESEND = (
    "TooManyRequestsException",  # throttled
    "ResourceConflictException",  # the function is still being created or updated
    "ResourceNotReadyException",  # the function is being (re)activated
    "ConnectionNotMade",  # no connection was ever made (see InvokeRetry)
)


class InvokeRetry(AWSRetry):
    """amazon.aws's backoff, narrowed to the failures after which the function cannot have run.

    AWSRetry alone also retries 5xx answers, after which a function may have run; botocore's own
    retries (switched off in the client config) would resend after a read timeout.
    """

    base_class = (ClientError, EndpointConnectionError, ConnectTimeoutError)

    @staticmethod
    def status_code_from_exception(error: Exception) -> str:
        if isinstance(error, ClientError):
            return error.response["Error"]["Code"]
        return "ConnectionNotMade"

    @staticmethod
    def found(response_code: str, catch_extra_error_codes: Any = None) -> bool:
        return response_code in SAFE_TO_RESEND


# failure_kind, returned when an invocation failed: whether the function surely did not complete
# (the action plugin then removes a record store's in-flight marker) or may have run (it stays).
NOT_COMPLETED = "not_completed"
UNKNOWN = "unknown"


def failure_kind(error: Exception) -> str:
    """NOT_COMPLETED: refused before it ran (a 4xx answer, no connection); UNKNOWN: it may have run."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return NOT_COMPLETED if status < 500 else UNKNOWN
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError)):
        return NOT_COMPLETED
    return UNKNOWN


def client_config(user: Optional[Dict[str, Any]], timeout: int) -> Any:
    """The user's aws_config, except that botocore never resends and waits ``timeout`` seconds."""
    ours = Config(read_timeout=timeout, connect_timeout=30, retries={"total_max_attempts": 1})
    return Config(**user).merge(ours) if user else ours


def lambda_client(module: AnsibleAWSModule, timeout: int) -> Any:
    retry = InvokeRetry.jittered_backoff(retries=8, delay=2, max_delay=30)
    config = client_config(module.params.get("aws_config"), timeout)
    return module.client("lambda", retry_decorator=retry, aws_config=config)


def invoke(client: Any, invocation: Invocation, *, dry_run: bool, tail_log: bool) -> Dict[str, Any]:
    params: Dict[str, Any] = {
        "FunctionName": invocation.target.function_name,
        "Qualifier": invocation.target.qualifier,
        "InvocationType": "DryRun" if dry_run else "RequestResponse",
        "Payload": invocation.payload,
    }
    if invocation.target.tenant_id:
        params["TenantId"] = invocation.target.tenant_id
    if tail_log and not dry_run:
        params["LogType"] = "Tail"
    return client.invoke(aws_retry=True, **params)


def describe_response(invocation: Invocation, response: Dict[str, Any], dry_run: bool) -> Dict[str, Any]:
    entry = invocation.describe()
    entry["status_code"] = response.get("StatusCode")
    if dry_run:
        entry["dry_run"] = True
        return entry
    entry["executed_version"] = response.get("ExecutedVersion")
    body = response.get("Payload")
    entry["response"] = body.read().decode("utf-8", errors="replace") if body is not None else None
    if response.get("LogResult"):
        entry["log"] = base64.b64decode(response["LogResult"]).decode("utf-8", errors="replace")
    if response.get("FunctionError"):
        entry["function_error"] = response["FunctionError"]
    return entry


def function_error_message(entry: Dict[str, Any]) -> str:
    detail = entry.get("response") or ""
    try:
        error = json.loads(detail)
    except ValueError:
        error = None
    if isinstance(error, dict) and ("errorMessage" in error or "errorType" in error):
        detail = "%s: %s" % (error.get("errorType", "Error"), error.get("errorMessage", ""))
    return "the function returned an error (%s) during the %s invocation of %s: %s" % (
        entry["function_error"], entry["action"], _target_text(entry), detail)


def _target_text(entry: Dict[str, Any]) -> str:
    return "%s (qualifier %s)" % (entry["function_name"], entry["qualifier"])


def _progress_note(done: List[Dict[str, Any]]) -> str:
    if not done:
        return " Nothing was invoked before it; the stored record is unchanged."
    names = ", ".join("%s of %s" % (d["action"], _target_text(d)) for d in done)
    return (
        " Already done in this run: %s. The stored record is unchanged, so the next run repeats the "
        "whole transition, starting again with the %s." % (names, names.split(", ", maxsplit=1)[0])
    )


def main() -> None:
    argument_spec: Dict[str, Dict[str, Any]] = dict(OPTION_SPEC)
    # The action plugin plans (module_utils/lifecycle.py) and hands over the invocations to make.
    argument_spec["_invocations"] = dict(type="list", elements="dict", default=[])
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    planned = [Invocation.from_description(entry) for entry in module.params["_invocations"]]

    dry_run = module.check_mode
    done: List[Dict[str, Any]] = []
    client = lambda_client(module, module.params["timeout"]) if planned else None
    for invocation in planned:
        try:
            response = invoke(client, invocation, dry_run=dry_run, tail_log=module.params["tail_log"])
        except ReadTimeoutError:
            module.fail_json(
                msg="no answer from %s within timeout=%d seconds during the %s invocation; it was sent "
                "once and not resent, and the function may still be running.%s"
                % (invocation.target.describe(), module.params["timeout"], invocation.action,
                   _progress_note(done)),
                invocations=done,
                failure_kind=UNKNOWN,
            )
        except is_boto3_error_code("ResourceNotFoundException") as exc:
            module.fail_json_aws(
                exc,
                msg="function %s not found for the %s invocation.%s"
                % (invocation.target.describe(), invocation.action, _progress_note(done)),
                invocations=done,
                failure_kind=NOT_COMPLETED,
            )
        except (ClientError, EndpointConnectionError, ConnectTimeoutError) as exc:  # pylint: disable=duplicate-except
            module.fail_json_aws(
                exc,
                msg="failed to invoke %s for the %s invocation.%s"
                % (invocation.target.describe(), invocation.action, _progress_note(done)),
                invocations=done,
                failure_kind=failure_kind(exc),
            )
        except HTTPClientError as exc:  # the connection broke after the request may have been sent
            module.fail_json_aws(
                exc,
                msg="the connection to Lambda failed during the %s invocation of %s, after the request may have "
                "reached the function; it was not resent.%s"
                % (invocation.action, invocation.target.describe(), _progress_note(done)),
                invocations=done,
                failure_kind=UNKNOWN,
            )
        entry = describe_response(invocation, response, dry_run)
        if entry.get("function_error"):
            module.fail_json(msg=function_error_message(entry) + "." + _progress_note(done),
                             invocations=done + [entry], failure_kind=NOT_COMPLETED)
        done.append(entry)

    result: Optional[str] = None
    for entry in done:
        if entry["action"] in ("create", "update") and not dry_run:
            result = entry.get("response")
    outcome: Dict[str, Any] = dict(changed=bool(done), invocations=done, result=result)
    logs = [entry["log"] for entry in done if "log" in entry]
    if logs:
        outcome["log"] = logs[-1]
    module.exit_json(**outcome)


if __name__ == "__main__":
    main()
