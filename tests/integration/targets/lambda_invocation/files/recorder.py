# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Lambda handler for the end-to-end tests: records every event it receives, then answers.

The tests deploy it to the local endpoint (tools/local_lambda) and assert on what the function
saw. Its environment, set per function (and per published version) by the tests:

- EVENT_LOG: the file it appends one JSON line to per event received, and one when done:
  {"phase": "received", "event": "<the event as compact JSON>", "label": ..., "version": ...,
   "tenant": <context.tenant_id>, "request_id": ...}
  {"phase": "done", "request_id": ...}
  The event arrives parsed; re-serialised compactly (key order kept, ensure_ascii=False) it
  equals the payload bytes that were sent, for the payloads this collection sends.
- LABEL: a name for this deployment ("v1", "v2"), recorded and returned.
- FAIL_FLAG: a file path. While the file exists and is empty, or holds this LABEL, the handler
  raises RuntimeError after recording the event.
- An event that is an object with "fail_while": <a file path> fails (RuntimeError, after recording
  it) while that file exists: one key of a for_each can fail while the others succeed.
- SLEEP_SECONDS: how long to sleep after recording the event, before answering.
"""
import json
import os
import time


def _append(path, entry):
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))  # one write per line: whole lines, even when concurrent
    finally:
        os.close(fd)


def handler(event, context):
    label = os.environ.get("LABEL", "")
    raw = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    log = os.environ["EVENT_LOG"]
    _append(log, {
        "phase": "received",
        "event": raw,
        "label": label,
        "version": context.function_version,
        "tenant": getattr(context, "tenant_id", None),
        "request_id": context.aws_request_id,
    })
    print("recorder %s (version %s) received %s" % (label, context.function_version, raw))

    flag = os.environ.get("FAIL_FLAG")
    if flag and os.path.exists(flag):
        with open(flag, encoding="utf-8") as handle:
            wanted = handle.read().strip()
        if wanted in ("", label):
            raise RuntimeError("failing on purpose while %s exists" % flag)

    if isinstance(event, dict) and isinstance(event.get("fail_while"), str) and os.path.exists(event["fail_while"]):
        raise RuntimeError("failing on purpose while %s exists" % event["fail_while"])

    seconds = float(os.environ.get("SLEEP_SECONDS") or 0)
    if seconds:
        time.sleep(seconds)
    _append(log, {"phase": "done", "request_id": context.aws_request_id})
    return {"received": event, "label": label, "version": context.function_version}
