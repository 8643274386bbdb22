# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults injected into Invoke, seen through a plain boto3 client: any error code of Invoke's
model before or after the handler, an answer held after the handler, a connection closed without
an answer, and the counters that tell requests from handler runs."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import local_lambda  # noqa: E402

SOURCE = """
import json, os

def handler(event, context):
    with open(os.environ["MARKER"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    return {"got": event}
"""
INVOKE_ERRORS = {
    shape.name: shape.metadata["error"]["httpStatusCode"]
    for shape in botocore.session.get_session().get_service_model("lambda").operation_model("Invoke").error_shapes
}


@pytest.fixture(scope="module")
def functions(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The functions `plain` and `durable` (version 1, alias live -> 1), recording runs in one file."""
    path = tmp_path_factory.mktemp("faults") / "runs.txt"
    lam = local_lambda.client(endpoint)
    for name, config in (("plain", None), ("durable", {"ExecutionTimeout": 300})):
        local_lambda.deploy(endpoint, name, SOURCE, env={"MARKER": str(path)}, publish=True, durable_config=config)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return path


@pytest.fixture
def marker(endpoint: str, functions: Path) -> Iterator[Path]:
    """The file the handlers record their runs in, empty; no faults or executions are left behind."""
    functions.write_text("")
    local_lambda.reset_invocation_counts(endpoint)
    yield functions
    local_lambda.clear_faults(endpoint)
    local_lambda.forget_durable_executions(endpoint)


def runs(marker: Path) -> int:
    return len(marker.read_text().splitlines())


def test_the_model_has_the_codes_the_issue_names() -> None:
    assert len(INVOKE_ERRORS) >= 45
    for code in ("ResourceNotReadyException", "CodeArtifactUserPendingException", "SnapStartNotReadyException",
                 "EC2ThrottledException", "ENINotReadyException", "TooManyRequestsException"):
        assert code in INVOKE_ERRORS


def test_every_error_code_of_invoke_before_the_handler(endpoint: str, lam: Any, marker: Path) -> None:
    for code, status in sorted(INVOKE_ERRORS.items()):
        local_lambda.fail_next_invokes(endpoint, "plain", code, message=f"injected {code}")
        with pytest.raises(ClientError) as raised:
            lam.invoke(FunctionName="plain", Payload=b"{}")
        error = raised.value.response
        assert error["Error"]["Code"] == code
        assert error["Error"]["Message"] == f"injected {code}"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == status, code
        assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert runs(marker) == 0
    counts = local_lambda.invocation_counts(endpoint)["plain"]
    assert (counts["total"], counts["handler_runs"]) == (len(INVOKE_ERRORS), 0)
    assert json.load(lam.invoke(FunctionName="plain", Payload=b"{}")["Payload"]) == {"got": {}}  # used up


def test_an_error_before_starts_no_durable_execution(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.fail_next_invokes(endpoint, "durable", "TooManyRequestsException", count=2)
    for attempt in range(2):
        with pytest.raises(lam.exceptions.TooManyRequestsException):
            lam.invoke(FunctionName="durable:1", DurableExecutionName="retry-me", Payload=b'{"a": 1}')
    assert lam.list_durable_executions_by_function(FunctionName="durable", Qualifier="1")["DurableExecutions"] == []
    response = lam.invoke(FunctionName="durable:1", DurableExecutionName="retry-me", Payload=b'{"a": 1}')
    assert json.load(response["Payload"]) == {"got": {"a": 1}}
    assert runs(marker) == 1 and local_lambda.pending_faults(endpoint) == []


def test_an_error_after_the_handler_ran(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.fail_next_invokes(endpoint, "plain", "ServiceException", when="after")
    with pytest.raises(lam.exceptions.ServiceException) as raised:
        lam.invoke(FunctionName="plain", Payload=b'{"b": 1}')
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert runs(marker) == 1
    counts = local_lambda.invocation_counts(endpoint)["plain"]
    assert (counts["total"], counts["handler_runs"]) == (1, 1)


def test_an_error_after_a_durable_execution_leaves_it_to_be_found(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.fail_next_invokes(endpoint, "durable", "EC2UnexpectedException", when="after")
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName="durable:live", DurableExecutionName="ran-once", Payload=b'{"c": 1}')
    assert raised.value.response["Error"]["Code"] == "EC2UnexpectedException"
    listed = lam.list_durable_executions_by_function(
        FunctionName="durable", Qualifier="live", DurableExecutionName="ran-once")["DurableExecutions"]
    assert [e["Status"] for e in listed] == ["SUCCEEDED"]
    response = lam.invoke(FunctionName="durable:live", DurableExecutionName="ran-once", Payload=b'{"c": 1}')
    assert json.load(response["Payload"]) == {"got": {"c": 1}}
    assert response["DurableExecutionArn"] == listed[0]["DurableExecutionArn"]
    assert runs(marker) == 1


def test_a_fault_can_be_limited_to_a_qualifier(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.fail_next_invokes(endpoint, "plain", "ResourceNotReadyException", qualifier="live")
    lam.invoke(FunctionName="plain:1", Payload=b"{}")
    lam.invoke(FunctionName="plain", Payload=b"{}")
    assert len(local_lambda.pending_faults(endpoint)) == 1
    with pytest.raises(lam.exceptions.ResourceNotReadyException):
        lam.invoke(FunctionName="plain", Qualifier="live", Payload=b"{}")
    assert runs(marker) == 2


def test_an_answer_held_after_the_handler(endpoint: str, lam: Any, marker: Path) -> None:
    impatient = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                             config=Config(retries={"total_max_attempts": 1}, read_timeout=1),
                             **local_lambda.DUMMY_CREDENTIALS)
    local_lambda.delay_next_answers(endpoint, "durable", 3)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        impatient.invoke(FunctionName="durable:1", DurableExecutionName="held", Payload=b'{"d": 1}')
    assert runs(marker) == 1  # the function ran; its answer did not arrive in time
    response = lam.invoke(FunctionName="durable:1", DurableExecutionName="held", Payload=b'{"d": 1}')
    assert json.load(response["Payload"]) == {"got": {"d": 1}}
    assert runs(marker) == 1 and time.monotonic() - started < 3  # the second call was not held

    local_lambda.delay_next_answers(endpoint, "plain", 1)
    started = time.monotonic()
    assert json.load(lam.invoke(FunctionName="plain", Payload=b"{}")["Payload"]) == {"got": {}}
    assert time.monotonic() - started >= 1


def test_a_connection_closed_without_an_answer(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.drop_next_answers(endpoint, "durable")
    with pytest.raises(ConnectionClosedError):
        lam.invoke(FunctionName="durable:1", DurableExecutionName="dropped", Payload=b'{"e": 1}')
    assert runs(marker) == 1
    response = lam.invoke(FunctionName="durable:1", DurableExecutionName="dropped", Payload=b'{"e": 1}')
    assert json.load(response["Payload"]) == {"got": {"e": 1}} and runs(marker) == 1

    local_lambda.drop_next_answers(endpoint, "plain", when="before")
    with pytest.raises(ConnectionClosedError):
        lam.invoke(FunctionName="plain", Payload=b"{}")
    assert runs(marker) == 1
    dropped = [r for r in local_lambda.api_requests(endpoint)["requests"] if r["operation"] == "Invoke"][-1]
    assert dropped["status"] is None


def test_dry_run_is_never_faulted(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.fail_next_invokes(endpoint, "plain", "TooManyRequestsException")
    assert lam.invoke(FunctionName="plain", InvocationType="DryRun")["StatusCode"] == 204
    assert local_lambda.pending_faults(endpoint)[0]["remaining"] == 1


def test_event_invocations_can_be_faulted(endpoint: str, lam: Any, marker: Path) -> None:
    local_lambda.fail_next_invokes(endpoint, "plain", "TooManyRequestsException", when="after")
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="plain", InvocationType="Event", Payload=b"{}")
    deadline = time.monotonic() + 10
    while runs(marker) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runs(marker) == 1  # queued and run, though the caller was told otherwise


def test_the_fault_admin_path(endpoint: str, marker: Path) -> None:
    fault = local_lambda.fail_next_invokes(endpoint, "plain", "SnapStartNotReadyException", count=3, when="after")
    assert fault["status"] == 409 and fault["remaining"] == 3 and fault["when"] == "after"
    assert [f["error"] for f in local_lambda.pending_faults(endpoint)] == ["SnapStartNotReadyException"]
    local_lambda.clear_faults(endpoint)
    assert local_lambda.pending_faults(endpoint) == []
    for bad in ({"function": "plain", "error": "NoSuchException"}, {"function": "plain"},
                {"error": "ServiceException"}, {"function": "plain", "error": "ServiceException", "close": True},
                {"function": "plain", "error": "ServiceException", "count": 0},
                {"function": "plain", "error": "ServiceException", "when": "during"}):
        request = urllib.request.Request(endpoint + "/_local_lambda/faults", data=json.dumps(bad).encode(), method="POST")
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
        assert raised.value.code == 400, bad
