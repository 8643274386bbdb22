# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record_store option, shared by lambda_invocation and lambda_invocation_info."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    DOCUMENTATION = r"""
options:
  record_store:
    description:
      - Where the records of M(cloudhooks.aws.lambda_invocation) are kept, one per host and O(cloudhooks.aws.lambda_invocation#module:id).
        When not set, the environment variable C(CLOUDHOOKS_RECORD_STORE) on the controller gives it (so CI can set
        it once); otherwise V(facts). It can also be set with C(module_defaults), for the module or the group
        C(group/cloudhooks.aws.aws).
      - V(facts) keeps them in host facts, carried between runs by Ansible's fact cache (see docs/state.md).
      - C(file:///ABSOLUTE/DIR) keeps one file per host and id under that directory (which must exist), for
        one controller. Writes take an exclusive lock and rename a complete file into place.
      - C(s3://BUCKET/PREFIX) keeps one object per host and id, C(PREFIX/<inventory_hostname>/<id>.json)
        (names encoded so that any host name and id are safe), written with S3's conditional writes. It uses
        the task's AWS connection options (credentials, O(profile), O(region), O(endpoint_url)) and the usual
        credential chain on the controller, unless the URL names its own with
        C(?region=R&profile=P&endpoint_url=U). It needs C(s3:GetObject), C(s3:PutObject) and
        C(s3:DeleteObject) on the prefix, and C(s3:ListBucket) on the bucket (reading needs only
        C(s3:GetObject) and C(s3:ListBucket)); use a versioned bucket with default encryption.
      - Given with C(CLOUDHOOKS_RECORD_STORE), an C(s3://) store loads botocore once per run (ansible-core
        2.19 and later); given only with this option, each task that uses it loads it (about 0.35 seconds).
      - The collection's docs/state.md compares the stores and says how to set each up and move between them.
    type: str
    version_added: 0.2.0
"""
