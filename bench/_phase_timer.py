# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs one AnsiballZ payload and times what it spends in boto3/botocore, without a profiler.

Usage: python bench/_phase_timer.py AnsiballZ_x.py OUT_JSON

botocore is imported first (import times are measured separately, with ``python -X importtime``),
then wrapped, so that it works whether the module goes through boto3 or uses botocore directly:

* ``botocore.session.Session.__init__`` and ``botocore.session.Session.create_client``: creating
  the session and the client (loading the service model, the endpoint rules, the credentials...);
* ``botocore.client.BaseClient._make_api_call``: each AWS API call, from the request being built to
  the parsed response (the HTTP round trip, including the function's own run time for Invoke);
* ``botocore.client.BaseClient.get_waiter``: building waiters (amazon.aws.lambda_execute).

Writes {"session_s", "client_s", "waiter_s", "calls": [[operation, seconds], ...], "run_s"}.
"""
from __future__ import annotations

import functools
import json
import runpy
import sys
import time

import botocore.client
import botocore.session

_TIMES = {"session_s": 0.0, "client_s": 0.0, "waiter_s": 0.0, "calls": []}


def _timed(key):
    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                if key == "calls":
                    _TIMES["calls"].append([args[1] if len(args) > 1 else "?", spent])
                else:
                    _TIMES[key] += spent
        return inner
    return wrap


botocore.session.Session.__init__ = _timed("session_s")(botocore.session.Session.__init__)
botocore.session.Session.create_client = _timed("client_s")(botocore.session.Session.create_client)
botocore.client.BaseClient._make_api_call = _timed("calls")(botocore.client.BaseClient._make_api_call)
botocore.client.BaseClient.get_waiter = _timed("waiter_s")(botocore.client.BaseClient.get_waiter)


def main() -> None:
    payload, out = sys.argv[1], sys.argv[2]
    sys.argv = [payload]
    start = time.perf_counter()
    try:
        runpy.run_path(payload, run_name="__main__")
    except SystemExit:
        pass
    finally:
        _TIMES["run_s"] = time.perf_counter() - start
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(_TIMES, handle)


main()
