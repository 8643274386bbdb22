# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local Lambda endpoint (tools/local_lambda): handlers really run, as AWS would run them."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))

import local_lambda  # noqa: E402

ACCOUNT = local_lambda.ACCOUNT_ID
ARN_PREFIX = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"

SOURCE = """
import json, os, sys, time

TAG = {tag!r}

def handler(event, context):
    marker = os.environ.get("MARKER")
    if marker:
        with open(marker, "a") as f:
            f.write(TAG + "\\n")
    print("tag", TAG, "event", json.dumps(event))
    print("to stderr", file=sys.stderr)
    action = event.get("action") if isinstance(event, dict) else None
    if action == "raise":
        raise ValueError("boom " + TAG)
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "none":
        return None
    return {{
        "tag": TAG,
        "event": event,
        "greeting": os.environ.get("GREETING"),
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "tenant_id": context.tenant_id,
        "tenant_env": os.environ.get("LOCAL_LAMBDA_TENANT_ID"),
    }}
"""


def source(tag: str) -> str:
    return SOURCE.format(tag=tag)


def invoke(lam: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """Invoke; returns the response and its payload parsed as JSON (None for an empty body)."""
    response = lam.invoke(**kwargs)
    raw = response["Payload"].read()
    return response, (json.loads(raw) if raw else None)


def test_handler_runs_with_env_and_event(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"), env={"GREETING": "hello"}, timeout=30)
    response, payload = invoke(lam, FunctionName="basic", Payload=json.dumps({"a": [1, 2]}))
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["tag"] == "basic"
    assert payload["event"] == {"a": [1, 2]}
    assert payload["greeting"] == "hello"
    assert payload["function_name"] == "basic"
    assert payload["function_version"] == "$LATEST"
    assert payload["invoked_function_arn"] == ARN_PREFIX + "basic"
    assert payload["memory_limit_in_mb"] == "128"
    assert 0 < payload["remaining_ms"] <= 30_000
    assert payload["tenant_id"] is None and payload["tenant_env"] is None
    assert payload["aws_request_id"] == response["ResponseMetadata"]["RequestId"]


def test_tenant_id_reaches_the_handler(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    payload = invoke(lam, FunctionName="basic", Payload=b"{}", TenantId="tenant-7")[1]
    assert payload["tenant_id"] == "tenant-7"
    assert payload["tenant_env"] == "tenant-7"


def test_none_result_is_null_and_empty_payload_is_an_empty_event(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    response = lam.invoke(FunctionName="basic", Payload=json.dumps({"action": "none"}))
    assert response["Payload"].read() == b"null"
    payload = invoke(lam, FunctionName="basic")[1]
    assert payload["event"] == {}


def test_versions_and_aliases_run_their_own_code(endpoint: str, lam: Any) -> None:
    name = "versioned"
    assert local_lambda.deploy(endpoint, name, source("one"), env={"GREETING": "g1"}, publish=True)["Version"] == "1"
    assert local_lambda.deploy(endpoint, name, source("two"), env={"GREETING": "g2"}, publish=True)["Version"] == "2"
    local_lambda.deploy(endpoint, name, source("latest"), env={"GREETING": "g3"})
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="next", FunctionVersion="2")

    cases = [  # (invoke arguments, tag, greeting, executed version, invoked ARN)
        ({"FunctionName": name}, "latest", "g3", "$LATEST", ARN_PREFIX + name),
        ({"FunctionName": name, "Qualifier": "$LATEST"}, "latest", "g3", "$LATEST", ARN_PREFIX + name + ":$LATEST"),
        ({"FunctionName": name, "Qualifier": "1"}, "one", "g1", "1", ARN_PREFIX + name + ":1"),
        ({"FunctionName": name, "Qualifier": "live"}, "one", "g1", "1", ARN_PREFIX + name + ":live"),
        ({"FunctionName": f"{name}:next"}, "two", "g2", "2", ARN_PREFIX + name + ":next"),
        ({"FunctionName": f"{name}:2", "Qualifier": "2"}, "two", "g2", "2", ARN_PREFIX + name + ":2"),
        ({"FunctionName": ARN_PREFIX + name}, "latest", "g3", "$LATEST", ARN_PREFIX + name),
        ({"FunctionName": ARN_PREFIX + name + ":1"}, "one", "g1", "1", ARN_PREFIX + name + ":1"),
        ({"FunctionName": ARN_PREFIX + name, "Qualifier": "next"}, "two", "g2", "2", ARN_PREFIX + name + ":next"),
        ({"FunctionName": f"{ACCOUNT}:function:{name}:live"}, "one", "g1", "1", ARN_PREFIX + name + ":live"),
        ({"FunctionName": f"{ACCOUNT}:function:{name}"}, "latest", "g3", "$LATEST", ARN_PREFIX + name),
    ]
    for kwargs, tag, greeting, version, arn in cases:
        response, payload = invoke(lam, Payload=b"{}", **kwargs)
        assert (payload["tag"], payload["greeting"], response["ExecutedVersion"]) == (tag, greeting, version), kwargs
        assert payload["function_version"] == version, kwargs
        assert payload["invoked_function_arn"] == arn, kwargs

    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    response, payload = invoke(lam, FunctionName=name, Qualifier="live")
    assert (payload["tag"], response["ExecutedVersion"]) == ("two", "2")

    with pytest.raises(ClientError) as error:
        lam.invoke(FunctionName=f"{name}:1", Qualifier="2")
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_unhandled_error_has_the_python_runtime_shape(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    response, payload = invoke(lam, FunctionName="basic", Payload=json.dumps({"action": "raise"}))
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorMessage"] == "boom basic"
    assert payload["errorType"] == "ValueError"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert isinstance(payload["stackTrace"], list) and payload["stackTrace"]
    assert "index.py" in payload["stackTrace"][-1] and "raise ValueError" in payload["stackTrace"][-1]
    assert not any("_bootstrap" in frame for frame in payload["stackTrace"])


def test_missing_handler_is_a_runtime_error(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "no-handler", source("x"), handler="index.missing")
    response, payload = invoke(lam, FunctionName="no-handler")
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.HandlerNotFound"
    assert payload["errorMessage"] == "Handler 'missing' missing on module 'index'"


def test_timeout_is_enforced(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "slow", source("slow"), timeout=1)
    started = time.monotonic()
    response, payload = invoke(lam, FunctionName="slow", Payload=json.dumps({"action": "sleep", "seconds": 10}),
                               LogType="Tail")
    assert time.monotonic() - started < 4
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert response["ResponseMetadata"]["RequestId"] in payload["errorMessage"]
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()


def test_log_tail(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    response = invoke(lam, FunctionName="basic", Payload=json.dumps({"k": "v"}), LogType="Tail")[0]
    request_id = response["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(response["LogResult"]).decode()
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert 'tag basic event {"k": "v"}' in lines
    assert "to stderr" in lines
    assert f"END RequestId: {request_id}" in lines
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert len(response["LogResult"]) <= 4 * 1024 * 4 // 3 + 4

    response = invoke(lam, FunctionName="basic")[0]
    assert "LogResult" not in response


@pytest.mark.parametrize(
    ("function_name", "qualifier", "arn_suffix"),
    [
        ("does-not-exist", None, "does-not-exist"),
        ("basic", "99", "basic:99"),
        ("basic", "no-such-alias", "basic:no-such-alias"),
        ("basic:no-such-alias", None, "basic:no-such-alias"),
        (ARN_PREFIX + "basic:42", None, "basic:42"),
    ],
)
@pytest.mark.parametrize("invocation_type", ["RequestResponse", "DryRun"])
def test_missing_function_version_or_alias_is_404(
    endpoint: str, lam: Any, function_name: str, qualifier: str | None, arn_suffix: str, invocation_type: str
) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    with pytest.raises(ClientError) as error:
        lam.invoke(FunctionName=function_name, InvocationType=invocation_type, **kwargs)
    response = error.value.response
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Error"]["Message"] == f"Function not found: {ARN_PREFIX}{arn_suffix}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"


def test_dry_run_does_not_run_the_handler(endpoint: str, lam: Any, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    local_lambda.deploy(endpoint, "marked", source("marked"), env={"MARKER": str(marker)})
    response = lam.invoke(FunctionName="marked", InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""
    assert not marker.exists()
    lam.invoke(FunctionName="marked", Payload=b"{}")
    assert marker.read_text() == "marked\n"


def test_event_invocation_runs_in_the_background(endpoint: str, lam: Any, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    local_lambda.deploy(endpoint, "marked", source("marked"), env={"MARKER": str(marker)})
    response = lam.invoke(FunctionName="marked", InvocationType="Event", Payload=b"{}")
    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "marked\n"


def test_invocation_counts(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "counted", source("counted"), publish=True)
    local_lambda.reset_invocation_counts(endpoint)
    lam.invoke(FunctionName="counted")
    lam.invoke(FunctionName="counted:1")
    lam.invoke(FunctionName=ARN_PREFIX + "counted", InvocationType="DryRun")
    with pytest.raises(ClientError):
        lam.invoke(FunctionName="never-created")
    counts = local_lambda.invocation_counts(endpoint)
    assert counts == {
        "counted": {"RequestResponse": 2, "Event": 0, "DryRun": 1, "total": 3, "handler_runs": 2},
        "never-created": {"RequestResponse": 1, "Event": 0, "DryRun": 0, "total": 1, "handler_runs": 0},
    }
    local_lambda.reset_invocation_counts(endpoint)
    assert local_lambda.invocation_counts(endpoint) == {}


def test_api_requests_are_counted(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    local_lambda.reset_api_requests(endpoint)
    lam.get_function(FunctionName="basic")
    lam.invoke(FunctionName="basic")
    lam.list_functions()
    seen = local_lambda.api_requests(endpoint)
    assert seen["counts"] == {"lambda.GetFunction": 1, "lambda.Invoke": 1, "lambda.ListFunctions": 1}
    assert seen["total"] == 3
    assert [r["operation"] for r in seen["requests"]] == ["GetFunction", "Invoke", "ListFunctions"]
    assert seen["requests"][1]["method"] == "POST" and seen["requests"][1]["path"].endswith("/invocations")


def test_concurrent_invokes_do_not_serialize(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "sleepy", source("sleepy"), timeout=10)
    slow_done: dict[str, float] = {}
    started = time.monotonic()

    def slow() -> None:
        invoke(lam, FunctionName="sleepy", Payload=json.dumps({"action": "sleep", "seconds": 3}))
        slow_done["at"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    payload = invoke(lam, FunctionName="sleepy", Payload=b"{}")[1]
    fast_done = time.monotonic() - started
    thread.join()
    assert payload["tag"] == "sleepy"
    assert fast_done < 2.0, fast_done
    assert slow_done["at"] >= 3.0


def test_moto_reset_still_works(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "basic", source("basic"))
    request = urllib.request.Request(endpoint + "/moto-api/reset", method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
        assert response.status == 200
    assert lam.list_functions()["Functions"] == []
    local_lambda.deploy(endpoint, "basic", source("basic"))  # the role is re-created too
    payload = invoke(lam, FunctionName="basic")[1]
    assert payload["tag"] == "basic"


def test_latency_delays_every_aws_response_and_nothing_else(
    endpoint: str, lam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local_lambda import server as server_module

    pauses: list[float] = []
    monkeypatch.setattr(server_module, "_pause", pauses.append)
    local_lambda.deploy(endpoint, "basic", source("basic"))
    assert local_lambda.latency_ms(endpoint) == 0
    lam.get_function(FunctionName="basic")
    assert pauses == []

    local_lambda.set_latency_ms(endpoint, 20)
    try:
        assert local_lambda.latency_ms(endpoint) == 20
        lam.get_function(FunctionName="basic")
        payload = invoke(lam, FunctionName="basic")[1]
        local_lambda.api_requests(endpoint)  # the endpoint's own paths are not AWS: never delayed
    finally:
        local_lambda.set_latency_ms(endpoint, 0)
    assert payload["tag"] == "basic"
    assert pauses == [0.02, 0.02]  # GetFunction and Invoke, each once
    lam.get_function(FunctionName="basic")
    assert pauses == [0.02, 0.02]


def test_latency_refuses_what_is_not_a_number(endpoint: str) -> None:
    request = urllib.request.Request(endpoint + "/_local_lambda/latency?ms=-5", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
    assert raised.value.code == 400
    assert local_lambda.latency_ms(endpoint) == 0


def test_unpack_zip_is_all_or_nothing(tmp_path: Path) -> None:
    from local_lambda.processes import unpack_zip

    unpack_zip(local_lambda.zip_source("print(1)\n"), str(tmp_path / "good"))
    assert (tmp_path / "good" / "index.py").read_text() == "print(1)\n"
    with pytest.raises(zipfile.BadZipFile):
        unpack_zip(b"not a zip", str(tmp_path / "bad"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]  # no staging directory left behind


def test_running_processes_are_killed_with_their_children() -> None:
    from local_lambda.processes import RunningProcesses

    running = RunningProcesses()
    proc = subprocess.Popen(["sh", "-c", "sleep 300 & wait"], start_new_session=True)
    running.add(proc)
    running.kill_all()
    assert proc.wait(timeout=10) == -signal.SIGKILL
    for attempt in range(100):  # the backgrounded sleep went with it (once init has reaped it)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("a process of the killed group is still running")


def test_refuses_non_loopback_hosts() -> None:
    for host in ("0.0.0.0", "10.0.0.1", "example.com"):
        with pytest.raises(ValueError, match="loopback"):
            local_lambda.start(host=host, port=0)


def test_command_line_server(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(TOOLS / "local_lambda" / "server.py"), "--port", "0", "--latency-ms", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert line.startswith("LOCAL_LAMBDA_ENDPOINT=http://127.0.0.1:"), line
        url = line.split("=", 1)[1]
        assert local_lambda.latency_ms(url) == 7
        local_lambda.deploy(url, "cli", source("cli"))
        response, payload = invoke(local_lambda.client(url), FunctionName="cli")
        assert payload["tag"] == "cli"
        assert local_lambda.invocation_counts(url)["cli"]["total"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert out == ""

    refused = subprocess.run(
        [sys.executable, "-m", "local_lambda", "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(TOOLS)}, check=False,
    )
    assert refused.returncode == 2 and "loopback" in refused.stderr and refused.stdout == ""
