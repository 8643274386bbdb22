# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_lambda: a local AWS endpoint (moto 5.2.5 in server mode) whose Lambda Invoke really runs
the function's Python handler. A test and demo tool; see README.md beside this file and the
docstring of local_lambda.server for how it hooks into moto."""
from __future__ import annotations

from .client import (
    ACCOUNT_ID,
    DUMMY_CREDENTIALS,
    REGION,
    add_fault,
    api_requests,
    clear_faults,
    client,
    delay_next_answers,
    deploy,
    drop_next_answers,
    durable_executions,
    ensure_role,
    fail_next_invokes,
    forget_durable_executions,
    invocation_counts,
    latency_ms,
    pending_faults,
    reset_api_requests,
    reset_invocation_counts,
    set_latency_ms,
    zip_source,
)
from .server import PINNED_MOTO_VERSION, LocalLambdaServer, main, start

__all__ = [
    "ACCOUNT_ID",
    "DUMMY_CREDENTIALS",
    "PINNED_MOTO_VERSION",
    "REGION",
    "LocalLambdaServer",
    "add_fault",
    "api_requests",
    "clear_faults",
    "client",
    "delay_next_answers",
    "deploy",
    "drop_next_answers",
    "durable_executions",
    "ensure_role",
    "fail_next_invokes",
    "forget_durable_executions",
    "invocation_counts",
    "latency_ms",
    "main",
    "pending_faults",
    "reset_api_requests",
    "reset_invocation_counts",
    "set_latency_ms",
    "start",
    "zip_source",
]
