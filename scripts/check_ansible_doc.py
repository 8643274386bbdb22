#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks ``ansible-doc --json cloudhooks.aws.lambda_invocation`` (on stdin) for nox -s installed.

    ansible-doc --json cloudhooks.aws.lambda_invocation | python scripts/check_ansible_doc.py INSTALLED_DIR

The documentation must have been read from the installed copy under INSTALLED_DIR, list options,
and know of the action plugin. Exits 1 and says what differed otherwise.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

MODULE = "cloudhooks.aws.lambda_invocation"


def problems(data: Dict[str, Any], installed: str) -> List[str]:
    doc = (data.get(MODULE) or {}).get("doc") or {}
    if not doc:
        return ["ansible-doc knows no %s" % MODULE]
    found = []
    if not str(doc.get("filename", "")).startswith(installed):
        found.append("ansible-doc read %s, not the installed copy under %s" % (doc.get("filename"), installed))
    if not doc.get("options"):
        found.append("no options")
    if not doc.get("has_action"):
        found.append("the action plugin was not found")
    return found


def main(argv: List[str]) -> int:
    data = json.load(sys.stdin)
    found = problems(data, argv[0])
    for problem in found:
        print("ansible-doc: " + problem)
    if found:
        return 1
    print("ansible-doc read", data[MODULE]["doc"]["filename"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
