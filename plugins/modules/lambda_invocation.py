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
  - What was last sent is remembered per host and O(id), in clear text (see the notes on sensitive
    data), by default in a fact (one fact per O(id)). Keep facts across runs with fact caching, for
    example C(fact_caching = jsonfile) and C(fact_caching_timeout = 0) in C(ansible.cfg). With the
    default in-memory cache the record lasts only for the run, and with a non-zero
    C(fact_caching_timeout) it expires; in both cases the module warns. O(record_store) keeps it
    instead in a directory or an S3 bucket, which survive failed loops and cache changes, and are
    locked per invocation across controllers.
  - An action plugin of the same name decides on the controller, from the stored record and the task,
    what to invoke. When nothing is to be invoked it returns at once, without running the module or
    calling AWS.
  - The payload is compact JSON in UTF-8; the input's key order is kept and the lifecycle block is
    added last. Inputs are compared as parsed JSON, so key order and white space do not count, but
    V(1) and V(1.0) differ (the function receives different bytes). Triggers are compared as text,
    like Terraform's C(map(string)).
  - A function error (C(FunctionError) in the response, handled or unhandled) or an AWS error fails
    the task with the function's error type and message, and the stored record stays as it was, so
    the next run tries the same transition again.
  - Requests that may have reached the function are never sent again. Only the errors after which the
    function surely did not run and may run later (throttling, a function still being created, updated or
    re-activated, a VPC network interface or a SnapStart snapshot not ready, a connection that could not be
    made, ...) are retried, with amazon.aws's backoff, within O(timeout). docs/lifecycle.md lists every
    error of Invoke, what it means and its source. A read timeout, a connection closed before the answer,
    or a 5xx answer that may come after the function ran is never retried.
  - Every AWS or botocore failure (missing credentials, bad parameters, TLS errors, ...) fails the task
    with a message saying what was already done in this run and RV(invocations) so far; a failure
    after an invocation of the same run succeeded reports C(changed=true).
author:
  - cloudhooks.aws contributors (@cloudhooks)
requirements:
  - botocore >= 1.42.1 to invoke a durable function by its execution name (see O(durable)), and >= 1.41.0
    for O(tenant_id). Older releases that amazon.aws accepts work for everything else.
options:
  function_name:
    description:
      - The Lambda function to invoke, as a name (V(my-function)), a partial ARN
        (V(123456789012:function:my-function)), a partial ARN with the region before it
        (V(us-east-1:123456789012:function:my-function)) or a full ARN.
      - Without a version or alias; give that in O(qualifier). A name or ARN that ends with one is an
        error.
    type: str
    required: true
  input:
    description:
      - The JSON value sent to the function. Give it as YAML (a mapping, a list or a scalar), or as a
        string holding JSON, which is parsed; a string that is not valid JSON is an error, and so are
        C(NaN), C(Infinity) and numbers too large for a float (V(1e400)).
      - Required with O(state=present); not used with O(state=absent) or O(state=forgotten).
      - With O(lifecycle_scope=CRUD) it must be a JSON object that does not already have the key
        O(terraform_key).
      - The payload, with the lifecycle block added, must fit Lambda's synchronous limit of
        6,291,456 bytes (with O(invocation_type=Event), its asynchronous limit of 1,048,576 bytes).
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
      - A mapping whose values are strings, like Terraform's C(map(string)). Any change to it replaces
        the invocation (invokes again).
      - A number or a boolean is taken as its text (V(1) and V(1.0) are V("1"), V(true) is
        V("true")), so a value templated as V("{{ 1 + 1 }}"), a string on ansible-core 2.18 and a
        number on 2.19, does not replace after an upgrade.
      - A list, a mapping or null is an error; turn it into a string first, for example with
        C(to_json) or C(to_json | hash('sha256')).
    type: raw
  state:
    description:
      - V(present) invokes as the lifecycle requires.
      - V(absent) sends C(delete) to the stored target in CRUD scope, then forgets the record; in
        CREATE_ONLY scope it only forgets the record.
      - V(forgotten) drops the record without invoking anything, whatever its scope, like
        C(terraform state rm). It is the way out of a record that cannot move on, for example when the
        function's delete handler fails because what it deletes is already gone, or when the function
        was deleted by hand. Changed when there was a record; O(input) is not needed.
    type: str
    choices: [present, absent, forgotten]
    default: present
  id:
    description:
      - Names the stored record. Defaults to O(function_name) as written.
      - Two tasks that invoke the same function with different inputs must each set their own O(id).
        Otherwise they share one record and both invoke on every run; when a record was written
        earlier in the same run by another task with another input, the module warns.
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
      - Sent as Lambda's C(TenantId) for a multi-tenant function. Part of the target, so changing it
        replaces the invocation (Terraform updates it in place).
      - An empty string is the same as not setting it.
      - Needs botocore 1.41.0 or later.
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
  terraform_state:
    description:
      - A Terraform or OpenTofu state that already holds this invocation, to take it over without invoking
        the function again. Either a state file of format version 4 (from a local backend, or the
        output of C(terraform state pull)) or the output of C(terraform show -json); which one is
        detected. A relative path is relative to the playbook's directory. Read on the controller.
      - Read only when there is no record for O(id) yet. The instance at O(terraform_address) becomes
        the record (its function, qualifier, tenant, scope, key, triggers, input and result); a state
        written by a provider before 5.1 (schema version 0) has no scope or key, and Terraform's
        defaults (V(CREATE_ONLY), V(tf)) are taken. Then the task is planned as usual from that record;
        when its input and triggers are those Terraform sent, nothing is invoked and the record is
        stored (RV(action=adopt), changed); otherwise what the next C(terraform apply) would do
        (an V(update) in CRUD scope with C(prev_input) set to Terraform's input, a replacement).
      - The instance must invoke the task's target (the same function, written as a name, a partial ARN
        or an ARN; the same O(qualifier) and O(tenant_id)); otherwise the task fails naming both. A tainted
        instance, which the next C(terraform apply) would replace, is refused unless O(force=true) replaces it.
      - Once a record exists the option is ignored (a verbose message says so). With
        O(state=absent) the adopted record is removed as any record is (in CRUD scope, C(delete) is
        sent with Terraform's input); with O(state=forgotten) the state is not read.
      - Give it together with O(terraform_address). See C(docs/terraform.md) for a migration.
    type: path
    version_added: 0.2.0
  terraform_address:
    description:
      - The resource instance address of the invocation in O(terraform_state), as Terraform prints it,
        for example V(aws_lambda_invocation.seed), V(aws_lambda_invocation.tenant["acme"]) or
        V(module.db.aws_lambda_invocation.migrate[0]).
      - A resource with C(count) or C(for_each) needs the instance's index or key. An instance of one needs an
        O(id) of its own, so that each instance keeps its own record.
      - When the address is not in the state, the task fails and lists the C(aws_lambda_invocation)
        instances there are. Give it together with O(terraform_state).
    type: str
    version_added: 0.2.0
  recover:
    description:
      - What to do with an invocation found in flight in a C(file://) or C(s3://) record store (a run that
        died, or timed out, after sending it). Without it such a record fails the task with a message that
        says what was in flight, since when and from where.
      - V(auto) (what a task without O(recover) does) asks Lambda when the function is a durable one (see
        O(durable)). Each invocation in flight is looked up by its execution name. One that SUCCEEDED has its
        result recorded, and nothing is invoked; one that FAILED, TIMED_OUT or was STOPPED fails the task as a
        function error (the marker is removed, so the next run tries again); one still RUNNING is re-attached
        to by the same invocation, which waits for its end; one not found (it never started, or Lambda's
        retention has passed) is invoked. RV(recovered) and RV(msg) say which case applied. For a function
        that is not durable, V(auto) fails as above.
      - V(retry) sends the planned invocations that were not confirmed again, with the same idempotency keys
        (see O(idempotency_key)).
      - V(assume_done) stores the planned record without invoking anything.
      - With O(for_each) it applies to every key that holds a marker, and the failure lists them all.
      - After recovering, the task goes on as usual from the recovered record. In check mode it only reports.
    type: str
    choices: [auto, retry, assume_done]
    version_added: 0.2.0
  record_input:
    description:
      - What the record keeps of O(input).
      - V(full) keeps the input itself, in clear text (see the notes on sensitive data).
      - V(digest) keeps a salted SHA-256 of the input's canonical JSON (keys sorted, compact) instead,
        and the next run compares its input with that digest, so key order and white space still do
        not count. The salt is random per record and stored in it, so two hosts with the same input
        get different digests. C(--diff) shows the stored side (and the task's) as that digest, never the
        input.
      - V(digest) is refused with O(lifecycle_scope=CRUD), since CRUD sends the previous input as C(prev_input)
        in its update and delete payloads, so the record must keep the input itself.
      - Changing it with the same input rewrites the record without invoking (RV(action=update),
        empty RV(invocations)). A digest record moving to O(lifecycle_scope=CRUD) is replaced, and the
        function is sent C(create), since there is no previous input to send.
    type: str
    choices: [full, digest]
    default: full
    version_added: 0.2.0
  record_result:
    description:
      - Whether the record keeps the function's response.
      - With V(false) the response is returned in RV(result) by the run that invoked, and not stored;
        a later run that invokes nothing returns RV(result=null). Setting it to V(false) on a record
        that holds a result drops that result without invoking.
    type: bool
    default: true
    version_added: 0.2.0
  reinvoke_on:
    description:
      - Re-invoke when the function changes, as a change of O(triggers) does (a replacement; in CRUD
        scope C(delete) then C(create)).
      - V(code) puts the function's C(CodeSha256) in the record, V(configuration) a SHA-256 of its
        runtime, handler, memory size, timeout, environment variables, layers, role and architectures
        (the digest only, not the values). Both are of the version or alias in O(qualifier).
      - They come from one C(GetFunctionConfiguration) per run of the task, made by the module with the
        task's AWS options (it needs C(lambda:GetFunctionConfiguration)), also in check mode. So such a
        task no longer takes the no-change path without AWS calls. Every run ships the module once
        and calls AWS once; a run that invokes runs the module a second time, without reading the
        function again. With O(state=absent) or O(state=forgotten) the function is not read.
      - Adding a value to a record made without it, or removing one, rewrites the record without
        invoking (RV(action=update)); the next change of the function then replaces.
    type: list
    elements: str
    choices: [code, configuration]
    default: []
    version_added: 0.2.0
  invocation_type:
    description:
      - V(RequestResponse) waits for the function and returns its response.
      - V(Event) queues the invocation (Lambda answers HTTP 202) and does not wait. The record is stored
        once Lambda has accepted each planned invocation; RV(result) is null, and O(tail_log) is refused.
        In CRUD scope the C(create), C(update) and C(delete) payloads are those of V(RequestResponse).
        The payload must fit Lambda's asynchronous limit of 1 MB (1,048,576 bytes). In check mode each
        planned target is sent C(DryRun), as with V(RequestResponse).
      - This task cannot see whether a queued invocation succeeded. Lambda retries a failed
        asynchronous invocation (twice by default) and then sends the event to the function's on-failure
        destination or dead-letter queue, if it has one; configure one, and watch it or the function's
        logs. A replacement's C(delete) and C(create) are queued one after the other but may run in any
        order or at the same time.
    type: str
    choices: [RequestResponse, Event]
    default: RequestResponse
    version_added: 0.2.0
  for_each:
    description:
      - One invocation per key, as Terraform's C(for_each) on C(aws_lambda_invocation). A mapping of key
        (a string) to that key's input. Each key has its own record, whose id is C(ID[KEY]) (ID being O(id),
        default O(function_name)), as Terraform addresses C(aws_lambda_invocation.name["KEY"]).
      - Every other option applies to every key. O(input) is not allowed with it.
      - Each key is planned as one invocation would be; a key with nothing to invoke costs nothing, and when no
        key has anything to invoke the module is not run.
      - The task owns the keys of its id. A key with a record under C(ID[...]) that is no longer in O(for_each)
        is removed as O(state=absent) removes one record (CRUD, a C(delete) with the stored input;
        CREATE_ONLY, the record is forgotten). O(state=absent) (or V(forgotten)) applies to every key of the
        id; O(state=absent) without O(for_each) removes every key when the id has any.
      - All planned invocations are made by one module run, at most O(max_concurrency) at a time; a replace's
        delete comes before its create (with a C(file://) or C(s3://) store in a second module run, after the
        delete's progress is stored). Keys are independent; when some fail, the task fails and lists each
        failed key with its error (RV(failed_keys)).
      - With a C(file://) or C(s3://) record store, an in-flight marker is written for every key with invocations
        before the module runs, and each key's record when the module returns (see docs/lifecycle.md); a failed
        key is invoked again on the next run, the others are not. With the host's facts, the keys of one id share
        one fact; Ansible drops the facts of a failed task, so the keys that succeeded are invoked again on the
        next run, and the task warns and names a store.
      - An in-flight marker on any key stops the task before anything is invoked, listing every such key;
        O(recover) applies to all of them.
      - O(terraform_address) naming a resource with C(for_each) or C(count), without an index
        (V(aws_lambda_invocation.tenant)), adopts each instance as the key of that name (V(acme), or V(0) for
        C(count)). O(reinvoke_on) reads the function once for the whole task.
    type: dict
    version_added: 0.2.0
  max_concurrency:
    description:
      - With O(for_each), how many invocations are in flight at once in the module run, like
        C(terraform apply -parallelism).
    type: int
    default: 10
    version_added: 0.2.0
  idempotency_key:
    description:
      - Every planned invocation has an idempotency key, stable for one transition of one record (derived from
        O(id), the for_each key, the action and a serial that an in-flight marker keeps, so that O(recover=retry)
        of that marker sends the same key) and new for the next transition; 47 characters of C(a-z), C(0-9)
        and C(-).
      - With V(true), the key is sent to the function too, in the lifecycle block beside C(action) and
        C(prev_input) (C(tf.idempotency_key)), so that any function can tell a retry from a new transition.
        Needs O(lifecycle_scope=CRUD).
      - With the default V(false), payloads are byte for byte those of Terraform's C(aws_lambda_invocation).
    type: bool
    default: false
    version_added: 0.2.0
  durable:
    description:
      - Whether the function is a Lambda durable function (its configuration has C(DurableConfig)). A durable
        function is invoked with the invocation's idempotency key as its C(DurableExecutionName). Lambda answers
        the same name and payload with the execution it already has, for the function's retention period, instead
        of running it again; and an invocation left in flight by a crash is looked up by that name
        (see O(recover)).
      - When not set, the module reads the function's configuration once per task (one
        C(GetFunctionConfiguration), which needs C(lambda:GetFunctionConfiguration); a denied read warns and the
        function is taken as not durable). V(true) or V(false) skips the read.
      - A durable function must be invoked with a qualifier; O(qualifier=$LATEST) is one.
      - Needs botocore 1.42.1 or later. With an older botocore, a durable function (declared with V(true), or
        found to be one in its configuration as Lambda sent it) fails the task before anything is invoked,
        naming the botocore needed; V(false) invokes it without a name.
    type: bool
    version_added: 0.2.0
  expect_result:
    description:
      - A mapping that the function's JSON response must contain for the invocation to count as a success,
        that is every key given, recursively, with an equal value (a list is compared whole; V(1), V(1.0) and
        V(true) differ), as Terraform users ask in terraform-provider-aws issue 45221.
      - When a response does not (or is not JSON), the task fails as for a function error, naming the first
        difference. The record stays as it was, an in-flight marker is removed, and the next run invokes
        again. A C(failed_when) cannot do this, since it runs after the record was stored.
      - It applies to every invocation with a response (a replace's C(delete) too), and to each key with
        O(for_each). Not with O(invocation_type=Event), which returns no response.
    type: dict
    version_added: 0.2.0
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - The action plugin reads the record, plans and stores the record on the controller; the module
        runs only when something is to be invoked.
  async:
    description: Supports being used with the C(async) keyword.
    support: none
    details:
      - The record is kept from the task's own result, which an C(async) task does not wait for. A
        task with C(async) fails with a message saying so.
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Nothing is invoked and the record is not changed. Each planned invocation is sent to its
        target with C(InvocationType=DryRun), which checks the function and the permission.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The stored record (before), the task (after), and the planned action with the reason for it.
notes:
  - In check mode nothing is invoked and the stored record is not changed. Where an invocation is
    planned, each planned target is called with C(InvocationType=DryRun), so a wrong function name or
    a missing permission shows. RV(invocations) lists the exact payloads that would be sent.
  - With C(--diff), the stored record (before) and the task (after) are shown, input included, and
    a line naming the planned action and why (input changed, triggers changed, target changed,
    C(force), scope changed), also when before and after are the same, as with O(force=true).
  - In check mode RV(result) and RV(result_json) are null when an invocation is planned. A later task
    that uses them should allow for that, for example with C(default) or C(when) on C(ansible_check_mode).
  - A replacement in CRUD scope invokes twice, C(delete) on the old target and then C(create) on the
    new one. If the delete succeeds and the create fails, the task fails. With O(record_store=facts) the
    record still names the old target and input (Ansible keeps no facts from a failed task), and the next
    run sends C(delete) to the old target again and then C(create), so write the delete handler so that it
    can run twice; if it cannot move on, O(state=forgotten) drops the record. With a C(file://) or
    C(s3://) store the record says that the old side is gone, and the next run sends only the C(create).
  - A loop in which one item fails loses the facts of every item (Ansible keeps no facts from a failed
    task), so with O(record_store=facts) the next run invokes the items that had succeeded again. A
    C(file://) or C(s3://) store keeps each item's record as soon as it succeeds.
  - With a C(file://) or C(s3://) O(record_store) the store is the source of truth, and no fact holds the
    record (so the input is not copied into the fact cache). When the store has no record for an id, it is
    adopted, without invoking, from the host's fact or from an ansible-core 2.17/2.18 jsonfile cache file
    (C(<host>)), and written to the store; the fact is then set to null. Playbooks read the task's result
    (RV(result), RV(result_json)) or M(cloudhooks.aws.lambda_invocation_info).
  - With a C(file://) or C(s3://) O(record_store), before the first invocation the controller writes an
    in-flight marker (conditionally, so that only one run can hold it); after each invocation it stores the
    progress, so a replace whose create fails after the delete succeeded sends only the create next time.
    The marker is removed when the function surely did not complete (a function error, a refusal before it
    ran, a failure of the module before any call), and kept when the outcome is unknown (a timeout, a lost
    connection, a 5xx answer, the module or the controller killed). See O(recover).
  - With a C(file://) or C(s3://) store the module runs once per planned invocation of each record (a
    replace runs it twice), so that the controller can store the progress after each.
  - The module runs pipelined wherever the connection can (the C(local) connection can), whatever the
    C(pipelining) setting says, so that its arguments, which hold the payloads, are never written to a file.
    A connection with C(become) is left to the setting (see docs/state.md, "Sensitive data").
  - "Sensitive data: the input and the result are stored in the record in clear text. Any later task
    can read them as a host fact, the fact cache keeps them (a C(jsonfile) cache in files as
    readable as its directory allows; a Redis cache in clear text unless Redis uses TLS and a
    password), and C(--diff) and RV(invocations[].payload) show them. C(no_log) hides only the task's
    output, not the stored record. With O(record_input=digest) and O(record_result=false) the record
    keeps neither: with C(no_log) as well, the input and the response appear only in the registered
    result of the run that invoked."
  - "IAM permissions on the function: C(lambda:InvokeFunction); C(lambda:GetFunctionConfiguration), to know
    whether it is a durable function (once per task that invokes, unless O(durable) is given) and for
    O(reinvoke_on); for a durable function, C(lambda:ListDurableExecutionsByFunction) and
    C(lambda:GetDurableExecution), to recover an invocation left in flight. Without
    C(lambda:GetFunctionConfiguration) the task warns and invokes the function as one that is not durable."
  - The AWS connection options may be given with C(module_defaults) for the group
    C(group/cloudhooks.aws.aws), which extends C(group/amazon.aws.aws) (it reaches the amazon.aws
    modules too). C(module_defaults) for C(group/amazon.aws.aws) alone does not reach this module.
  - O(aws_config) may set any botocore option except C(retries), C(read_timeout) and
    C(connect_timeout), which this module sets itself (no SDK retries; O(timeout); 30 seconds). For a
    long function behind a NAT gateway, which drops idle connections after 350 seconds, set
    C(tcp_keepalive=true) in O(aws_config).
seealso:
  - name: Terraform aws_lambda_invocation
    description: The Terraform resource whose behaviour this module follows.
    link: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_invocation
  - module: amazon.aws.lambda_execute
  - module: amazon.aws.lambda
extends_documentation_fragment:
  - cloudhooks.aws.record_store
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

- name: Use what the function returned (null in check mode when an invocation was planned)
  ansible.builtin.debug:
    msg: "{{ seeded.result_json | default({}, true) }}"

- name: Tell the function about create, update and delete (Terraform's lifecycle_scope = "CRUD")
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    qualifier: live
    lifecycle_scope: CRUD
    input:
      tenant: acme
      plan: gold

- name: Create a database user; keep neither the password nor the response in the record
  cloudhooks.aws.lambda_invocation:
    function_name: create-db-user
    id: app-db-user
    input:
      user: app
      password: "{{ vault_app_db_password }}"
    record_input: digest
    record_result: false
  no_log: true

- name: Run the migration again whenever the function's code or configuration changes
  cloudhooks.aws.lambda_invocation:
    function_name: migrate-schema
    qualifier: live
    reinvoke_on: [code, configuration]
    input:
      database: orders

- name: Queue a long rebuild without waiting for it (failures go to the function's on-failure destination)
  cloudhooks.aws.lambda_invocation:
    function_name: rebuild-search-index
    invocation_type: Event
    input:
      index: products

- name: Send delete with the last input, then forget the record
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    lifecycle_scope: CRUD
    state: absent

- name: One invocation per tenant, 10 at a time; a tenant removed from the list is told delete
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    id: tenants
    lifecycle_scope: CRUD
    for_each:
      acme: {plan: gold}
      globex: {plan: silver}
    max_concurrency: 10
  register: tenants

- name: Read the deployed code's hash
  amazon.aws.lambda_info:
    function_name: rebuild-cache
    query: config
  register: rebuild_cache_info

- name: Invoke again whenever the deployed code changes (reinvoke_on [code] does this without the lookup)
  cloudhooks.aws.lambda_invocation:
    function_name: rebuild-cache
    input: '{"target": "v42"}'
    triggers:
      code_sha256: "{{ rebuild_cache_info.functions[0].code_sha256 }}"

# If one item of a looped task fails, Ansible keeps none of the task's facts, so the items that
# succeeded lose their records and invoke again on the next run. Where an item may fail, loop
# over include_tasks with a rescue in the included file instead (see docs/state.md).
- name: Two records for one function, one per input
  cloudhooks.aws.lambda_invocation:
    function_name: register-endpoint
    id: "register-endpoint-{{ item }}"
    input:
      endpoint: "{{ item }}"
  loop: [api, web]

- name: Drop a record that cannot move on, without invoking anything
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    state: forgotten

- name: Take over what Terraform invoked, one for_each instance per key, without invoking again
  cloudhooks.aws.lambda_invocation:
    function_name: tenant-provisioner
    id: "tenant-{{ item }}"
    lifecycle_scope: CRUD
    input:
      tenant: "{{ item }}"
    terraform_state: invocations.tfstate  # terraform state pull > invocations.tfstate
    terraform_address: 'aws_lambda_invocation.tenant["{{ item }}"]'
  loop: [acme, globex]

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
actions:
  description: With O(for_each), the action of each key (as RV(action) for one record), by key.
  returned: with for_each
  type: dict
  sample: {"acme": "create", "globex": "none", "initech": "delete"}
results:
  description:
    - With O(for_each), each key's RV(result) and RV(result_json), by key (a key whose record was removed
      has none).
  returned: with for_each
  type: dict
  sample: {"acme": {"result": "{\"ok\": true}", "result_json": {"ok": true}}}
failed_keys:
  description: With O(for_each), when keys failed, each failed key's error, by key.
  returned: when a for_each key failed
  type: dict
action:
  description:
    - What the run did (or, in check mode, would do).
    - V(create), V(update), V(replace), V(delete), V(forget) (O(state=absent) on a CREATE_ONLY
      record, or O(state=forgotten)), V(adopt) (a record taken from O(terraform_state), nothing
      invoked), or V(none). An V(update) with an empty RV(invocations) list means that only the
      record changed.
  returned: always
  type: str
  sample: update
invocations:
  description:
    - One entry per invocation made or, in check mode, planned, in order.
    - With O(for_each), in the order they completed, each with the C(key) it belongs to.
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
      description: The HTTP status of the Invoke call (C(204) for a check-mode C(DryRun), C(202) for O(invocation_type=Event)).
      returned: when the function was called
      type: int
      sample: 200
    queued:
      description: True when Lambda accepted an O(invocation_type=Event) invocation (it has no response).
      returned: after an O(invocation_type=Event) invocation
      type: bool
    executed_version:
      description: The version that ran.
      returned: after a real O(invocation_type=RequestResponse) invocation
      type: str
      sample: "3"
    response:
      description: The raw response payload of this invocation.
      returned: after a real O(invocation_type=RequestResponse) invocation
      type: str
      sample: '{"status": "ok"}'
    function_error:
      description: C(Handled) or C(Unhandled) when the function failed (the task then fails).
      returned: when the function returned an error
      type: str
    idempotency_key:
      description: The invocation's idempotency key (see O(idempotency_key)); a durable function's execution name.
      returned: when the invocation was planned by a run
      type: str
      sample: create-1f0c62e5d0f7a4b9e8c3d2a1f0e9d8c7b6a5f4e3
    durable_execution_arn:
      description: The durable execution that ran it, for a durable function.
      returned: when the function is a durable one
      type: str
    recovered:
      description: V(lambda) when the invocation was looked up in Lambda (O(recover=auto)) rather than only sent.
      returned: when recovered from Lambda
      type: str
    execution_status:
      description: What Lambda said of the durable execution looked up, V(SUCCEEDED), V(FAILED), V(RUNNING), V(not found), ...
      returned: when recovered from Lambda
      type: str
    expect_result:
      description: Why the response does not meet O(expect_result).
      returned: when the response does not meet O(expect_result)
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
    - Null with O(invocation_type=Event) (Lambda returns no response), and on a run that invokes
      nothing when O(record_result=false) (nothing was stored).
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
    - When the task failed on an invocation, what is known of the function (docs/lifecycle.md, "Module outcome").
    - V(function_error) it ran and failed (C(FunctionError) in the response).
    - V(not_completed) it surely did not run (Lambda refused the call, or the module stopped before any call,
      for example on a missing region or a bad connection option).
    - V(unknown) it may have run (no answer within O(timeout), a lost connection, a 5xx answer, the module
      process killed).
    - With a C(file://) or C(s3://) store, the in-flight marker is removed in the first two cases and kept in the
      last.
  returned: when the task failed on an invocation, without O(for_each)
  type: str
  sample: unknown
adopted_from:
  description:
    - Where a record missing from the store was adopted from, without invoking for the adoption itself.
    - V(terraform_state) (O(terraform_state) and O(terraform_address)); with a C(file://) or C(s3://) store also
      V(fact) (the host's fact, then set to null) or V(jsonfile) (an ansible-core 2.17/2.18 cache file).
  returned: when a record was adopted, without O(for_each)
  type: str
  sample: fact
recovered:
  description: How an invocation found in flight was recovered, and what was found.
  returned: when an invocation in flight was recovered, without O(for_each)
  type: dict
  contains:
    how:
      description: V(lambda) (O(recover=auto), a durable function's execution looked up by name), V(retry) or V(assume_done).
      returned: always
      type: str
    found:
      description: With V(lambda), what Lambda said of each execution in flight, V(SUCCEEDED), V(RUNNING) or V(not found).
      returned: when O(recover=auto) recovered a durable function's invocation
      type: list
      elements: str
    in_flight:
      description: The marker found (action, remaining and done invocations, planned and prior record,
        its serial, since, controller host, user and pid).
      returned: always
      type: dict
msg:
  description: When an invocation in flight was recovered from Lambda, what was found and done.
  returned: when O(recover=auto) recovered a durable function's invocation
  type: str
  sample: "recovered from Lambda: the durable execution of the in-flight invocation had succeeded: its result is recorded, and nothing was invoked again."
recovered_keys:
  description: With O(for_each), how each key that held an in-flight marker was recovered (V(lambda), V(retry) or V(assume_done)), by key.
  returned: when keys were recovered, with O(for_each)
  type: dict
  sample: {"acme": "assume_done"}
in_flight:
  description:
    - The in-flight marker found in the store, when it fails the task (O(recover) not given).
    - With O(for_each), every key's marker, by key.
  returned: when an invocation in flight stops the task
  type: dict
log:
  description: The decoded log tail of the last invocation.
  returned: when O(tail_log=true) and a function was invoked
  type: str
diff:
  description: With C(--diff), the stored record (before), the task (after) and the planned action.
  returned: in diff mode
  type: dict
  contains:
    before:
      description:
        - Target, scope, key, triggers and input of the stored record; when there is none, of the instance
          taken from O(terraform_state), or empty.
      returned: in diff mode
      type: dict
    after:
      description: Target, scope, key, triggers and input of the task; empty with O(state=absent) or O(state=forgotten).
      returned: in diff mode
      type: dict
    prepared:
      description: "The planned action and why, for example C(lambda_invocation: replace (force: true))."
      returned: in diff mode
      type: str
"""

from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.amazon.aws.plugins.module_utils.botocore import gather_sdk_versions
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import Durability
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import NOTHING_SENT
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import function_state
from ansible_collections.cloudhooks.aws.plugins.module_utils.lambda_client import BOTOCORE_FOR_DURABLE
from ansible_collections.cloudhooks.aws.plugins.module_utils.lambda_client import BOTOCORE_FOR_TENANT_ID
from ansible_collections.cloudhooks.aws.plugins.module_utils.lambda_client import HOW_TO_CONNECT
from ansible_collections.cloudhooks.aws.plugins.module_utils.lambda_client import Call
from ansible_collections.cloudhooks.aws.plugins.module_utils.lambda_client import lambda_client
from ansible_collections.cloudhooks.aws.plugins.module_utils.lambda_client import run_keys
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import OPTION_SPEC
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import REQUEST

try:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore


class _PlannedModule(AnsibleModule):
    """AnsibleModule that takes the action plugin's request out of its arguments before checking them
    (it is not an option a user gives), and marks each failure before the first AWS call as such."""

    request: Dict[str, Any] = {}
    calling = False

    def _load_params(self) -> None:
        super()._load_params()
        _PlannedModule.request = self.params.pop(REQUEST, None) or {}

    def fail_json(self, msg: Any = None, **kwargs: Any) -> Any:  # pylint: disable=arguments-differ
        if not _PlannedModule.calling:
            kwargs[NOTHING_SENT] = True
        return super().fail_json(msg, **kwargs)


def make_module() -> AnsibleAWSModule:
    _PlannedModule.request, _PlannedModule.calling = {}, False
    settings = AnsibleAWSModule.default_settings
    saved, settings["module_class"] = settings["module_class"], _PlannedModule
    try:
        return AnsibleAWSModule(argument_spec=dict(OPTION_SPEC), supports_check_mode=True)
    finally:
        settings["module_class"] = saved


def check_connection(module: AnsibleAWSModule, planned: List[Invocation]) -> None:
    """Fail early, naming the options, for what the invocations would need and do not have."""
    if not module.region:
        module.fail_json(msg="no AWS region is set: give region (or aws_region) %s (AWS_REGION)" % HOW_TO_CONNECT)
    if any(invocation.target.tenant_id for invocation in planned):
        module.require_botocore_at_least(BOTOCORE_FOR_TENANT_ID, reason="to send tenant_id (Lambda's TenantId)")
    if planned and module.params["durable"]:
        require_durable_botocore(module, "the function (durable: true)")


def require_durable_botocore(module: AnsibleAWSModule, what: str) -> None:
    """Fail, before anything is invoked, when botocore cannot send a durable function's execution name."""
    if not module.botocore_at_least(BOTOCORE_FOR_DURABLE):
        module.fail_json(msg="%s is a durable function: invoking it by its execution name (docs/lifecycle.md, \"Exactly "
                         "once\") needs botocore>=%s, and this Python has botocore %s. Nothing was invoked. Upgrade "
                         "botocore, or give durable: false to invoke it without a name (Lambda then cannot tell a "
                         "retry from a new invocation)." % (what, BOTOCORE_FOR_DURABLE,
                                                            gather_sdk_versions().get("botocore_version")))


def durability(module: AnsibleAWSModule, client: Any, known: Dict[str, bool], planned: List[Invocation]) -> Durability:
    """Which targets are durable functions. A botocore that predates durable functions cannot send
    an execution name: a target that is one (read from the configuration's body) fails the task
    before anything is invoked, naming the botocore needed (durable: false invokes it without one)."""
    declared = module.params["durable"]
    old = declared is None and not module.botocore_at_least(BOTOCORE_FOR_DURABLE)
    durable = Durability(client, declared, known, module.warn, raw=old)
    if old:
        for target in sorted({invocation.target for invocation in planned}, key=Target.name):
            if durable.of(target):
                require_durable_botocore(module, target.describe())
    return durable


def describe_function(module: AnsibleAWSModule, client: Any, parts: List[str], durable: Durability) -> Dict[str, str]:
    """reinvoke_on: one GetFunctionConfiguration of the task's target; only what function_state()
    makes of it comes back (a CodeSha256 and a digest, never the environment's values). It also
    says whether the function is durable."""
    params = {"FunctionName": module.params["function_name"], "Qualifier": module.params["qualifier"]}
    what = "GetFunctionConfiguration of %s (qualifier %s), which reinvoke_on needs" % (params["FunctionName"], params["Qualifier"])
    try:
        configuration = client.get_function_configuration(aws_retry=True, **params)
    except NoCredentialsError as exc:
        module.fail_json_aws(exc, msg="no AWS credentials for the %s: give access_key and secret_key, or profile, %s"
                             % (what, HOW_TO_CONNECT))
    except is_boto3_error_code("ResourceNotFoundException") as exc:  # pylint: disable=duplicate-except,bad-except-order
        module.fail_json_aws(exc, msg="function not found by the %s; nothing was invoked" % what)
    except (ClientError, BotoCoreError) as exc:  # pylint: disable=duplicate-except,bad-except-order
        module.fail_json_aws(exc, msg="failed: the %s; nothing was invoked" % what)
    durable.known.setdefault(Target(params["FunctionName"], params["Qualifier"]).name(), bool(configuration.get("DurableConfig")))
    return function_state(configuration, parts)


def main() -> None:
    module = make_module()
    request = _PlannedModule.request
    keys = {str(key): [Invocation.from_description(entry) for entry in planned]
            for key, planned in (request.get("keys") or {}).items()}
    every = [invocation for planned in keys.values() for invocation in planned]
    check_connection(module, every)
    if not keys and not request.get("describe") and not request.get("probe"):
        module.exit_json(changed=False, invocations=[], outcomes={})
    workers = max(1, min(module.params["max_concurrency"], len(keys)))
    client = lambda_client(module, module.params["timeout"], workers)
    durable = durability(module, client, request.get("durable") or {}, every)
    for entry in request.get("probe") or []:
        durable.of(Target(str(entry["function_name"]), str(entry["qualifier"])))
    answer: Dict[str, Any] = {}
    if request.get("describe"):
        answer["function"] = describe_function(module, client, list(request["describe"]), durable)
    call = Call(client, dry_run=module.check_mode, tail_log=module.params["tail_log"], timeout=module.params["timeout"],
                invocation_type=module.params["invocation_type"], expect_result=module.params["expect_result"],
                durable=durable)
    _PlannedModule.calling = True
    outcomes, completed = run_keys(call, keys, workers=workers)
    module.exit_json(changed=bool(completed) and not module.check_mode, invocations=completed, outcomes=outcomes,
                     durable=durable.known, **answer)


if __name__ == "__main__":
    main()
