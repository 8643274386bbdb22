#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_invocation_info
short_description: List the records that cloudhooks.aws.lambda_invocation keeps for a host
version_added: 0.2.0
description:
  - Lists the records that M(cloudhooks.aws.lambda_invocation) keeps for one host, from host facts or from a
    C(file://) or C(s3://) record store, like C(terraform state list); with O(id), returns that record
    whole, like C(terraform state show).
  - Use it to find stale records (a task deleted from a playbook leaves its record behind), and
    invocations left in flight by a run that died.
  - It runs on the controller (an action plugin of the same name reads the store) and only reads, so it is
    safe in check mode.
author:
  - cloudhooks.aws contributors (@cloudhooks)
options:
  id:
    description:
      - The id of one record. RV(record) is then that record whole.
      - Without it, RV(records) lists every record of the host.
    type: str
  host:
    description:
      - The inventory host whose records to read. Defaults to the host the task runs for.
      - With V(facts), the facts of another host are read from C(hostvars).
    type: str
notes:
  - With V(facts) each record gives its fact (RV(records[].fact)); a record written before 0.2.0 carries no id,
    and is listed with its fact and a null RV(records[].id).
  - A record whose document says "no record" (the old side of a replace was deleted, and the create is
    still to be sent) is listed with RV(records[].has_record=false).
extends_documentation_fragment:
  - cloudhooks.aws.record_store
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
seealso:
  - module: cloudhooks.aws.lambda_invocation
"""

EXAMPLES = r"""
- name: List the records of this host in the shared S3 store
  cloudhooks.aws.lambda_invocation_info:
    record_store: s3://example-state-bucket/ansible/lambda?region=eu-west-1
  register: records

- name: Show invocations left in flight by a run that died
  ansible.builtin.debug:
    msg: "{{ records.records | selectattr('in_flight') | list }}"

- name: Show one record whole
  cloudhooks.aws.lambda_invocation_info:
    record_store: file:///var/lib/ansible/lambda-records
    id: tenant-provisioner
  register: one
"""

RETURN = r"""
records:
  description: One entry per record of the host, sorted by id (by fact name with V(facts)).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The record's O(id); null for a record in facts written before 0.2.0.
      returned: always
      type: str
      sample: tenant-provisioner
    fact:
      description: The fact that holds the record.
      returned: with V(facts)
      type: str
    function_name:
      description: The function of the record's target.
      returned: always
      type: str
    qualifier:
      description: The qualifier of the record's target.
      returned: always
      type: str
    tenant_id:
      description: The tenant of the record's target.
      returned: always
      type: str
    lifecycle_scope:
      description: The record's scope, V(CREATE_ONLY) or V(CRUD).
      returned: always
      type: str
    written:
      description: When the store last wrote it (UTC, ISO 8601); null with V(facts).
      returned: always
      type: str
    has_record:
      description: False when the document only says that there is no record (see the notes).
      returned: always
      type: bool
    in_flight:
      description: Whether an invocation is in flight (see O(cloudhooks.aws.lambda_invocation#module:recover)).
      returned: always
      type: bool
    in_flight_action:
      description: The action in flight, when there is one.
      returned: always
      type: str
    in_flight_since:
      description: Since when it is in flight.
      returned: always
      type: str
record:
  description:
    - With O(id), the whole stored document, or null when there is none. C(record) holds the target, scope,
      key, triggers, input and result; C(in_flight) the marker of an invocation in flight, or null.
  returned: when O(id) is given
  type: dict
record_store:
  description: The store read.
  returned: always
  type: str
  sample: facts
host:
  description: The host whose records were read.
  returned: always
  type: str
"""

from typing import Any, Dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main() -> None:
    argument_spec: Dict[str, Dict[str, Any]] = {
        "record_store": {"type": "str"},
        "id": {"type": "str"},
        "host": {"type": "str"},
    }
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.fail_json(msg="cloudhooks.aws.lambda_invocation_info runs on the controller through its action plugin; "
                     "it was run as a module instead (is the collection installed on the controller?)")


if __name__ == "__main__":
    main()
