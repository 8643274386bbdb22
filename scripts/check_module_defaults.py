#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_defaults for ``group/cloudhooks.aws.aws`` reach the module (nox -s installed runs this).

    python scripts/check_module_defaults.py --run COLLECTIONS_PATH WORK_DIR
    python scripts/check_module_defaults.py REQUESTS_JSONL

With --run: starts scripts/stand_in_lambda.py's endpoint on 127.0.0.1, then runs a playbook twice
(ansible-playbook beside this Python, the collections in COLLECTIONS_PATH, a jsonfile fact cache in
WORK_DIR) that sets region, endpoint_url and credentials only in ``module_defaults`` for
``group/cloudhooks.aws.aws``, then checks what the endpoint received. There must be exactly one
Invoke (the second run finds the record), to function ``release-checks``, signed with the access
key and region given there, carrying the task's input. Exits 1 and says what differed otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
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


PLAYBOOK = """---
- name: Check that module_defaults for group/cloudhooks.aws.aws reach lambda_invocation
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/cloudhooks.aws.aws:
      region: %(region)s
      endpoint_url: "{{ endpoint_url }}"
      access_key: %(access_key)s
      secret_key: release-checks-secret
  tasks:
    - name: Invoke with nothing but function_name and input in the task
      cloudhooks.aws.lambda_invocation:
        function_name: %(function)s
        input: {probe: "module_defaults"}
      register: invoked

    - name: The expected action for this run happened
      ansible.builtin.assert:
        that:
          - invoked.action == expected_action
          - invoked.result_json.probe == "module_defaults"
""" % {"region": REGION, "access_key": ACCESS_KEY, "function": FUNCTION}


def run(collections_path: str, work: Path) -> int:
    """Runs the playbook twice against the stand-in endpoint; returns main()'s verdict on the log."""
    # stand_in_lambda.py is beside this file; imported here, so that the checks import nothing more.
    import stand_in_lambda  # pylint: disable=import-outside-toplevel

    shutil.rmtree(work, ignore_errors=True)
    (work / "facts").mkdir(parents=True)
    (work / "playbook.yml").write_text(PLAYBOOK, encoding="utf-8")
    log = work / "requests.jsonl"
    server = stand_in_lambda.serve(str(log))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("ANSIBLE_", "AWS_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(work / "facts"),
               ANSIBLE_CACHE_PLUGIN_TIMEOUT="0", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", NO_PROXY="127.0.0.1")
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    url = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        for expected in ("create", "none"):
            print("module_defaults: ansible-playbook, expecting action %s" % expected, flush=True)
            subprocess.run([playbook, "-i", "localhost,", str(work / "playbook.yml"), "-e", "endpoint_url=" + url,
                            "-e", "expected_action=" + expected], env=env, check=True)
    finally:
        server.shutdown()
        server.server_close()
    return main([str(log)])


def main(argv: List[str]) -> int:
    if argv[:1] == ["--run"] and len(argv) == 3:
        return run(argv[1], Path(argv[2]))
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
