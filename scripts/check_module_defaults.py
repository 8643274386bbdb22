#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks what scripts/stand_in_lambda.py received in release_checks' module_defaults step.

    python scripts/check_module_defaults.py REQUESTS_JSONL

The step runs a playbook twice that sets region, endpoint_url and credentials only in
``module_defaults`` for ``group/cloudhooks.aws.aws``. There must be exactly one Invoke (the second
run finds the record), to function ``release-checks``, signed with the access key and region given
there, carrying the task's input. Exits 1 and says what differed otherwise.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

FUNCTION = "release-checks"
ACCESS_KEY = "AKIDMODULEDEFAULTS"
REGION = "eu-west-3"
INPUT = {"probe": "module_defaults"}


def problems(requests: List[Dict[str, Any]]) -> List[str]:
    """What is wrong with the requests the stand-in endpoint received; empty when nothing is."""
    if len(requests) != 1:
        return ["expected one Invoke (the second run has a record), got %d" % len(requests)]
    request = requests[0]
    found = []
    if not request["path"].startswith("/2015-03-31/functions/%s/invocations" % FUNCTION):
        found.append("Invoke of another path: %s" % request["path"])
    if "Credential=%s/" % ACCESS_KEY not in request["authorization"]:
        found.append("access_key from module_defaults not used")
    if "/%s/lambda/aws4_request" % REGION not in request["authorization"]:
        found.append("region from module_defaults not used")
    try:
        body = json.loads(request["body"])
    except ValueError:
        body = request["body"]
    if body != INPUT:
        found.append("the function got %r, not %r" % (request["body"], INPUT))
    return found


def main(argv: List[str]) -> int:
    with open(argv[0], encoding="utf-8") as handle:
        requests = [json.loads(line) for line in handle if line.strip()]
    print("requests seen by the stand-in endpoint:", json.dumps(requests, indent=2))
    found = problems(requests)
    for problem in found:
        print("module_defaults: " + problem)
    if found:
        return 1
    print("module_defaults: region, endpoint_url and credentials reached the module")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
