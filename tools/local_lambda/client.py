# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for tests, the demo and benchmarks: boto3 clients for the endpoint, the IAM role moto
insists on, deploying a one-file Python function, reading the endpoint's counters, injecting
faults into Invoke and forgetting durable executions."""
from __future__ import annotations

import functools
import io
import json
import sys
import urllib.parse
import urllib.request
import zipfile
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account, which the dummy keys below map to
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ROLE_NAME = "local-lambda-role"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# Longer than the longest Lambda Timeout (900 s), so a client never gives up before the function.
READ_TIMEOUT = 960


@functools.lru_cache(maxsize=32)
def client(endpoint_url: str, service: str = "lambda", region: str = REGION) -> Any:
    """A boto3 client for the local endpoint (cached): dummy keys, one attempt, a read timeout
    longer than any function's."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, read_timeout=READ_TIMEOUT, connect_timeout=5)
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, config=config, **DUMMY_CREDENTIALS)


def ensure_role(endpoint_url: str, name: str = ROLE_NAME) -> str:
    """Create (once) the IAM role a function needs and return its ARN.

    moto 5.2.5 refuses CreateFunction unless Role is an existing IAM role of the same account
    ("The role defined for the function cannot be assumed by Lambda.").
    """
    iam = client(endpoint_url, "iam")
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
        return str(created["Role"]["Arn"])


def zip_source(source: str, filename: str = "index.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(filename, source)
    return buffer.getvalue()


def default_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def deploy(
    endpoint_url: str,
    name: str,
    source: str,
    handler: str = "index.handler",
    env: dict[str, str] | None = None,
    timeout: int = 30,
    publish: bool = False,
    *,
    memory_size: int = 128,
    runtime: str | None = None,
    durable_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Zip `source` as index.py and create the function, or update its code and configuration.

    With `durable_config` (e.g. {"ExecutionTimeout": 900, "RetentionPeriodInDays": 1}) the
    function is a durable function. Lambda enables durability only when a function is created,
    so a function that exists and is durable when it should not be, or the other way round, is
    deleted (with its versions and aliases) and created again. With publish=True a version is
    published afterwards. Returns the function configuration (of the new version when
    published), as the Lambda API returns it.
    """
    lam = client(endpoint_url)
    code = zip_source(source)
    settings: dict[str, Any] = {
        "Handler": handler,
        "Environment": {"Variables": dict(env or {})},
        "Timeout": timeout,
        "MemorySize": memory_size,
        "Runtime": runtime or default_runtime(),
        "Role": ensure_role(endpoint_url),
    }
    if durable_config is not None:
        settings["DurableConfig"] = dict(durable_config)
    try:
        existing = lam.get_function_configuration(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        existing = None
    if existing is not None and ("DurableConfig" in existing) != (durable_config is not None):
        lam.delete_function(FunctionName=name)
        existing = None
    if existing is None:
        config = lam.create_function(FunctionName=name, Code={"ZipFile": code}, **settings)
    else:
        lam.update_function_code(FunctionName=name, ZipFile=code)
        config = lam.update_function_configuration(FunctionName=name, **settings)
    if publish:
        config = lam.publish_version(FunctionName=name)
    config.pop("ResponseMetadata", None)
    return dict(config)


def _admin(endpoint_url: str, path: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}/_local_lambda/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    with opener.open(request, timeout=10) as response:
        return json.load(response)


def invocation_counts(endpoint_url: str) -> dict[str, dict[str, int]]:
    """Per function name: the Invoke requests received, and how many times the handler ran:
    {"fn": {"RequestResponse": n, "Event": n, "DryRun": n, "total": n, "handler_runs": n}}.
    `total` counts requests (including refused ones); `handler_runs` counts handler processes."""
    return dict(_admin(endpoint_url, "invocations")["invocations"])


def reset_invocation_counts(endpoint_url: str) -> None:
    _admin(endpoint_url, "invocations", "DELETE")


def api_requests(endpoint_url: str) -> dict[str, Any]:
    """AWS API requests received: {"total": n, "counts": {"lambda.Invoke": n, ...}, "requests": [...]}."""
    return dict(_admin(endpoint_url, "requests"))


def reset_api_requests(endpoint_url: str) -> None:
    _admin(endpoint_url, "requests", "DELETE")


def latency_ms(endpoint_url: str) -> int:
    """The delay, in milliseconds, the endpoint adds to every AWS API response."""
    return int(_admin(endpoint_url, "latency")["latency_ms"])


def set_latency_ms(endpoint_url: str, ms: int) -> None:
    """Delay every AWS API response from now on by `ms` milliseconds (0: none), as a network would."""
    _admin(endpoint_url, f"latency?ms={int(ms)}", "POST")


def add_fault(endpoint_url: str, fault: dict[str, Any]) -> dict[str, Any]:
    """Inject a fault (the JSON object POST /_local_lambda/faults takes; see the README); returns it."""
    return dict(_admin(endpoint_url, "faults", "POST", fault)["fault"])


def fail_next_invokes(
    endpoint_url: str,
    function: str,
    error: str,
    *,
    count: int = 1,
    when: str = "before",
    qualifier: str | None = None,
    message: str | None = None,
    delay_seconds: float = 0.0,
) -> dict[str, Any]:
    """Answer the next `count` Invokes of `function` (only those naming `qualifier`, if given) with
    `error`, an error code of Invoke's model, with its HTTP status. when="before": the handler does
    not run; when="after": it runs to the end first. `delay_seconds` holds the answer."""
    return add_fault(endpoint_url, {"function": function, "error": error, "count": count, "when": when,
                                    "qualifier": qualifier, "message": message, "delay_seconds": delay_seconds})


def delay_next_answers(
    endpoint_url: str, function: str, seconds: float, *, count: int = 1, qualifier: str | None = None
) -> dict[str, Any]:
    """Hold the answer to the next `count` Invokes of `function` for `seconds` after the handler has
    finished (the answer itself is unchanged)."""
    return add_fault(endpoint_url, {"function": function, "delay_seconds": seconds, "count": count,
                                    "when": "after", "qualifier": qualifier})


def drop_next_answers(
    endpoint_url: str, function: str, *, count: int = 1, qualifier: str | None = None,
    when: str = "after", delay_seconds: float = 0.0,
) -> dict[str, Any]:
    """Close the connection of the next `count` Invokes of `function` without any answer, after the
    handler ran (when="after") or instead of running it (when="before"); botocore then raises
    ConnectionClosedError."""
    return add_fault(endpoint_url, {"function": function, "close": True, "count": count, "when": when,
                                    "qualifier": qualifier, "delay_seconds": delay_seconds})


def pending_faults(endpoint_url: str) -> list[dict[str, Any]]:
    """The injected faults not used up yet, each with `remaining`."""
    return list(_admin(endpoint_url, "faults")["faults"])


def clear_faults(endpoint_url: str) -> None:
    _admin(endpoint_url, "faults", "DELETE")


def durable_executions(endpoint_url: str) -> list[dict[str, Any]]:
    """Every durable execution the endpoint keeps, as GetDurableExecution describes it."""
    return list(_admin(endpoint_url, "durable-executions")["durable_executions"])


def forget_durable_executions(endpoint_url: str, function: str | None = None, name: str | None = None) -> list[str]:
    """Forget closed durable executions (of `function`, named `name`), as when their retention
    period ends: the next Invoke with that name starts a new execution. Returns the ARNs forgotten;
    running executions are kept."""
    query = urllib.parse.urlencode({k: v for k, v in (("function", function), ("name", name)) if v is not None})
    return list(_admin(endpoint_url, "durable-executions" + (f"?{query}" if query else ""), "DELETE")["forgotten"])
