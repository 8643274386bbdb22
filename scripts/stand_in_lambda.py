#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for the Lambda Invoke API on 127.0.0.1, for nox -s installed's module_defaults check.

    python scripts/stand_in_lambda.py REQUESTS_JSONL

Prints its port once ready, then serves until killed. Every POST is appended to REQUESTS_JSONL
as one JSON line (path, Authorization header, invocation type, body) and answered with the
payload it carried (204 and no body for ``X-Amz-Invocation-Type: DryRun``). Unlike
tools/local_lambda it keeps the Authorization header, which is what the step checks.
"""
from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Handler(BaseHTTPRequestHandler):
    log_path = ""

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({
                "path": self.path,
                "authorization": self.headers.get("Authorization", ""),
                "invocation_type": self.headers.get("X-Amz-Invocation-Type", "RequestResponse"),
                "body": body.decode("utf-8"),
            }) + "\n")
        if self.headers.get("X-Amz-Invocation-Type") == "DryRun":
            self.send_response(204)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Amz-Executed-Version", "$LATEST")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # one line per request, to stderr
        sys.stderr.write((args[0] % args[1:]) + "\n")


def serve(log_path: str) -> ThreadingHTTPServer:
    """A server on a free loopback port (not yet serving: call serve_forever())."""
    handler = type("BoundHandler", (Handler,), {"log_path": log_path})
    return ThreadingHTTPServer(("127.0.0.1", 0), handler)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: stand_in_lambda.py REQUESTS_JSONL", file=sys.stderr)
        return 2
    server = serve(argv[0])
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
