# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`python -m local_lambda.deploy ENDPOINT NAME HANDLER_FILE [VAR=VALUE ...]` (tools/ on sys.path):
deploy a one-file Python function (the file becomes index.py, handler index.handler) with those
environment variables, for shell scripts; prints the function's ARN."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .client import deploy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_lambda.deploy", description=__doc__.split("\n", 1)[0])
    parser.add_argument("endpoint", help="the endpoint URL, http://127.0.0.1:PORT")
    parser.add_argument("name", help="the function's name")
    parser.add_argument("source", type=Path, help="the handler's Python file; its handler() is called")
    parser.add_argument("env", nargs="*", metavar="VAR=VALUE", help="the function's environment variables")
    parser.add_argument("--timeout", type=int, default=30, help="the function's Timeout in seconds (default 30)")
    args = parser.parse_args(argv)
    bad = [item for item in args.env if "=" not in item]
    if bad:
        parser.error("environment variables are VAR=VALUE, not %s" % ", ".join(bad))
    env = dict(item.split("=", 1) for item in args.env)
    config = deploy(args.endpoint, args.name, args.source.read_text(encoding="utf-8"), env=env, timeout=args.timeout)
    print(config["FunctionArn"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
