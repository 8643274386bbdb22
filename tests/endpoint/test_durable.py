# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durable functions on the local endpoint, seen through a plain boto3 client: DurableConfig,
qualified invocation, execution names (same payload: the existing execution, other payload: 409),
GetDurableExecution, ListDurableExecutionsByFunction, retention."""

from __future__ import annotations

import datetime
import json
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import local_lambda  # noqa: E402
from local_lambda import durable  # noqa: E402

ACCOUNT = local_lambda.ACCOUNT_ID
ARN_PREFIX = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
EXECUTION_ARN = re.compile(durable.EXECUTION_ARN.pattern)
CONFIG = {"ExecutionTimeout": 600, "RetentionPeriodInDays": 3}

SOURCE = """
import json, os, time

def handler(event, context):
    with open(os.environ["MARKER"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("failed " + str(event["fail"]))
    return {"got": event, "version": context.function_version,
            "execution": os.environ.get("LOCAL_LAMBDA_DURABLE_EXECUTION_ARN")}
"""


@pytest.fixture
def fn(endpoint: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """A durable function named after the test, with version 1 and the alias `live` -> 1."""
    name = re.sub(r"[^a-zA-Z0-9-]", "-", request.node.name)[:60]
    marker = tmp_path / "runs.txt"
    marker.touch()
    local_lambda.deploy(endpoint, name, SOURCE, env={"MARKER": str(marker)}, timeout=20, publish=True,
                        durable_config=CONFIG)
    local_lambda.client(endpoint).create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    local_lambda.reset_invocation_counts(endpoint)
    yield name, marker
    local_lambda.forget_durable_executions(endpoint, name)


def runs(marker: Path) -> list[Any]:
    return [json.loads(line) for line in marker.read_text().splitlines()]


def invoke(lam: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(**kwargs)
    raw = response["Payload"].read()
    return response, (json.loads(raw) if raw else None)


def test_durable_config_is_kept_and_returned(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    name = fn[0]
    assert lam.get_function_configuration(FunctionName=name)["DurableConfig"] == CONFIG
    assert lam.get_function(FunctionName=name)["Configuration"]["DurableConfig"] == CONFIG
    updated = lam.update_function_configuration(FunctionName=name, DurableConfig={"ExecutionTimeout": 300,
                                                                                  "RetentionPeriodInDays": 7})
    assert updated["DurableConfig"] == {"ExecutionTimeout": 300, "RetentionPeriodInDays": 7}
    assert lam.get_function(FunctionName=name, Qualifier="$LATEST")["Configuration"]["DurableConfig"]["ExecutionTimeout"] == 300
    # version 1 was published with the configuration of its time
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["DurableConfig"] == CONFIG
    assert lam.publish_version(FunctionName=name)["DurableConfig"]["RetentionPeriodInDays"] == 7


def test_a_plain_function_has_no_durable_config_and_cannot_get_one_later(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "plain-fn", "def handler(event, context):\n    return 1\n")
    assert "DurableConfig" not in lam.get_function_configuration(FunctionName="plain-fn")
    assert "DurableConfig" not in lam.get_function(FunctionName="plain-fn")["Configuration"]
    with pytest.raises(ClientError) as raised:
        lam.update_function_configuration(FunctionName="plain-fn", DurableConfig={"ExecutionTimeout": 60})
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    # A plain function runs unqualified, names or not, as before.
    response, payload = invoke(lam, FunctionName="plain-fn", DurableExecutionName="ignored")
    assert payload == 1 and "DurableExecutionArn" not in response


def test_durable_config_out_of_range_is_a_validation_error(endpoint: str, lam: Any) -> None:
    with pytest.raises(ClientError) as raised:
        local_lambda.deploy(endpoint, "bad-retention", SOURCE, durable_config={"RetentionPeriodInDays": 91})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="bad-retention")


@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event", "DryRun"])
def test_an_unqualified_invoke_is_refused(lam: Any, fn: tuple[str, Path], invocation_type: str) -> None:
    name, marker = fn
    for function_name in (name, ARN_PREFIX + name, f"{ACCOUNT}:function:{name}"):
        with pytest.raises(ClientError) as raised:
            lam.invoke(FunctionName=function_name, InvocationType=invocation_type, Payload=b"{}")
        error = raised.value.response
        assert error["Error"]["Code"] == "InvalidParameterValueException"
        assert error["Error"]["Message"] == "You cannot invoke a durable function using an unqualified ARN."
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert runs(marker) == []


def test_version_alias_and_latest_are_qualified(lam: Any, fn: tuple[str, Path]) -> None:
    name = fn[0]
    for kwargs, version in (({"FunctionName": f"{name}:1"}, "1"), ({"FunctionName": name, "Qualifier": "live"}, "1"),
                            ({"FunctionName": name, "Qualifier": "$LATEST"}, "$LATEST"),
                            ({"FunctionName": ARN_PREFIX + name + ":$LATEST"}, "$LATEST")):
        response, payload = invoke(lam, Payload=b"{}", **kwargs)
        assert response["ExecutedVersion"] == version and payload["version"] == version
        arn = response["DurableExecutionArn"]
        assert EXECUTION_ARN.fullmatch(arn), arn
        assert arn.startswith(f"{ARN_PREFIX}{name}:{version}/durable-execution/")
        assert payload["execution"] == arn


def test_the_same_name_and_payload_is_the_same_execution(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    first, payload = invoke(lam, FunctionName=f"{name}:live", DurableExecutionName="order-1", Payload=b'{"n": 1}')
    again, payload_again = invoke(lam, FunctionName=f"{name}:live", DurableExecutionName="order-1", Payload=b'{"n": 1}')
    assert first["DurableExecutionArn"] == again["DurableExecutionArn"]
    assert "/durable-execution/order-1/" in first["DurableExecutionArn"]
    assert payload == payload_again == {"got": {"n": 1}, "version": "1", "execution": first["DurableExecutionArn"]}
    assert runs(marker) == [{"n": 1}]
    # Names are kept per function, not per qualifier: via version 1 it is the same execution.
    third = invoke(lam, FunctionName=name, Qualifier="1", DurableExecutionName="order-1", Payload=b'{"n": 1}')[0]
    assert third["DurableExecutionArn"] == first["DurableExecutionArn"]
    counts = local_lambda.invocation_counts(endpoint)[name]
    assert (counts["total"], counts["handler_runs"]) == (3, 1)


def test_the_same_name_with_another_payload_is_409(lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="order-2", Payload=b'{"n": 2}')
    for payload in (b'{"n": 3}', b'{"n":2}', b""):  # compared byte for byte
        with pytest.raises(lam.exceptions.DurableExecutionAlreadyStartedException) as raised:
            lam.invoke(FunctionName=f"{name}:1", DurableExecutionName="order-2", Payload=payload)
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert raised.value.response["Error"]["Code"] == "DurableExecutionAlreadyStartedException"
    assert runs(marker) == [{"n": 2}]


def test_without_a_name_each_invoke_is_a_new_execution(lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    arns = {invoke(lam, FunctionName=f"{name}:1", Payload=b'{"n": 4}')[0]["DurableExecutionArn"] for attempt in range(2)}
    assert len(arns) == 2 and len(runs(marker)) == 2


def test_a_bad_name_is_a_validation_error(lam: Any, fn: tuple[str, Path]) -> None:
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName=f"{fn[0]}:1", DurableExecutionName="has space", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert runs(fn[1]) == []


def test_a_synchronous_call_waits_for_the_running_execution(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    results: list[Any] = []
    body = b'{"sleep": 2}'
    first = threading.Thread(target=lambda: results.append(
        invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="slow", Payload=body)))
    first.start()
    while not runs(marker):
        time.sleep(0.05)
    listed = lam.list_durable_executions_by_function(FunctionName=name, Qualifier="1", DurableExecutionName="slow")
    assert [e["Status"] for e in listed["DurableExecutions"]] == ["RUNNING"]
    started = time.monotonic()
    second = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="slow", Payload=body)
    assert time.monotonic() - started > 1.0  # it waited for the end
    first.join()
    assert second[1] == results[0][1] and second[0]["DurableExecutionArn"] == results[0][0]["DurableExecutionArn"]
    assert local_lambda.invocation_counts(endpoint)[name]["handler_runs"] == 1


def test_a_failed_execution_answers_its_function_error_again(lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    first, error = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="bad", Payload=b'{"fail": 1}')
    again, error_again = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="bad", Payload=b'{"fail": 1}')
    assert first["FunctionError"] == again["FunctionError"] == "Unhandled"
    assert error == error_again and error["errorType"] == "ValueError" and error["errorMessage"] == "failed 1"
    assert len(runs(marker)) == 1
    execution = lam.get_durable_execution(DurableExecutionArn=first["DurableExecutionArn"])
    assert execution["Status"] == "FAILED"
    assert execution["Error"]["ErrorType"] == "ValueError" and execution["Error"]["ErrorMessage"] == "failed 1"
    assert execution["Error"]["StackTrace"] and "Result" not in execution


def test_get_durable_execution(lam: Any, fn: tuple[str, Path]) -> None:
    name = fn[0]
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    response, payload = invoke(lam, FunctionName=f"{name}:live", DurableExecutionName="get-me", Payload=b'{"k": "v"}')
    arn = response["DurableExecutionArn"]
    execution = lam.get_durable_execution(DurableExecutionArn=arn)
    assert execution["DurableExecutionArn"] == arn and execution["DurableExecutionName"] == "get-me"
    assert execution["FunctionArn"] == ARN_PREFIX + name + ":live"
    assert execution["Status"] == "SUCCEEDED" and execution["Version"] == "1"
    assert execution["InputPayload"] == '{"k": "v"}'
    assert json.loads(execution["Result"]) == payload
    assert "Error" not in execution
    assert before <= execution["StartTimestamp"] <= execution["EndTimestamp"]
    assert execution["DurableConfig"] == CONFIG and execution["ExecutionDataIncluded"] is True
    compact = lam.get_durable_execution(DurableExecutionArn=arn, IncludeExecutionData=False)
    assert compact["ExecutionDataIncluded"] is False
    assert not {"InputPayload", "Result", "Error"} & set(compact) and compact["Status"] == "SUCCEEDED"

    missing = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_durable_execution(DurableExecutionArn=missing)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_durable_executions_by_function(lam: Any, fn: tuple[str, Path]) -> None:
    name = fn[0]
    arns = {}
    for execution, qualifier, body in (("a", "1", b'{"n": 1}'), ("b", "live", b'{"fail": 2}'), ("c", "1", b'{"n": 3}'),
                                       ("d", "$LATEST", b'{"n": 4}')):
        arns[execution] = invoke(lam, FunctionName=name, Qualifier=qualifier, DurableExecutionName=execution,
                                 Payload=body)[0]["DurableExecutionArn"]
        time.sleep(0.01)

    def names(function_name: str = name, **kwargs: Any) -> list[str]:
        listed = lam.list_durable_executions_by_function(FunctionName=function_name, **kwargs)["DurableExecutions"]
        return [e["DurableExecutionName"] for e in listed]

    assert names(Qualifier="1") == ["c", "b", "a"]  # newest first; the alias ran version 1
    assert names(Qualifier="live") == ["c", "b", "a"]
    assert names(Qualifier="1", ReverseOrder=True) == ["a", "b", "c"]
    assert names() == ["d"]  # without a qualifier: $LATEST's
    assert names(ARN_PREFIX + name + ":1") == names(f"{name}:live") == ["c", "b", "a"]
    assert names(Qualifier="1", DurableExecutionName="b") == ["b"]
    assert names(Qualifier="1", Statuses=["FAILED"]) == ["b"]
    assert names(Qualifier="1", Statuses=["RUNNING"]) == []
    middle = lam.get_durable_execution(DurableExecutionArn=arns["b"])["StartTimestamp"]
    assert names(Qualifier="1", StartedAfter=middle) == ["c"]
    assert names(Qualifier="1", StartedBefore=middle) == ["a"]

    listed = lam.list_durable_executions_by_function(FunctionName=name, Qualifier="1", DurableExecutionName="a")
    item = listed["DurableExecutions"][0]
    assert item["DurableExecutionArn"] == arns["a"] and item["Status"] == "SUCCEEDED"
    assert item["FunctionArn"] == ARN_PREFIX + name + ":1" and item["EndTimestamp"] >= item["StartTimestamp"]

    page = lam.list_durable_executions_by_function(FunctionName=name, Qualifier="1", MaxItems=2)
    assert [e["DurableExecutionName"] for e in page["DurableExecutions"]] == ["c", "b"]
    rest = lam.list_durable_executions_by_function(FunctionName=name, Qualifier="1", MaxItems=2, Marker=page["NextMarker"])
    assert [e["DurableExecutionName"] for e in rest["DurableExecutions"]] == ["a"] and "NextMarker" not in rest
    paginated = lam.get_paginator("list_durable_executions_by_function").paginate(
        FunctionName=name, Qualifier="1", PaginationConfig={"PageSize": 1})
    assert [e["DurableExecutionName"] for p in paginated for e in p["DurableExecutions"]] == ["c", "b", "a"]

    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.list_durable_executions_by_function(FunctionName=name, Statuses=["FAILED", "SUCCEEDED"])
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_durable_executions_by_function(FunctionName="no-such-function")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_durable_executions_by_function(FunctionName=name, Qualifier="9")


def test_event_invocations_start_executions_too(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    response = lam.invoke(FunctionName=f"{name}:1", InvocationType="Event", DurableExecutionName="queued",
                          Payload=b'{"sleep": 0.5}')
    assert response["StatusCode"] == 202
    arn = response["DurableExecutionArn"]
    again = lam.invoke(FunctionName=f"{name}:1", InvocationType="Event", DurableExecutionName="queued",
                       Payload=b'{"sleep": 0.5}')
    assert again["DurableExecutionArn"] == arn
    # a synchronous call with the same name and payload waits for the queued execution
    response, payload = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="queued", Payload=b'{"sleep": 0.5}')
    assert response["DurableExecutionArn"] == arn and payload["got"] == {"sleep": 0.5}
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "SUCCEEDED"
    assert len(runs(marker)) == 1 and local_lambda.invocation_counts(endpoint)[name]["handler_runs"] == 1


def test_forgotten_executions_are_not_found_and_the_name_runs_again(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    name, marker = fn
    arn = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="kept", Payload=b"{}")[0]["DurableExecutionArn"]
    assert local_lambda.forget_durable_executions(endpoint, name, "kept") == [arn]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn=arn)
    assert lam.list_durable_executions_by_function(FunctionName=name, Qualifier="1")["DurableExecutions"] == []
    new_arn = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="kept", Payload=b"{}")[0]["DurableExecutionArn"]
    assert new_arn != arn and len(runs(marker)) == 2


def test_executions_expire_after_the_retention_period(lam: Any, fn: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    name, marker = fn
    arn = invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="old", Payload=b"{}")[0]["DurableExecutionArn"]
    now = time.time()
    monkeypatch.setattr(durable.STORE, "clock", lambda: now + 2.9 * 86400)  # RetentionPeriodInDays: 3
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "SUCCEEDED"
    monkeypatch.setattr(durable.STORE, "clock", lambda: now + 3.1 * 86400)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn=arn)
    invoke(lam, FunctionName=f"{name}:1", DurableExecutionName="old", Payload=b"{}")
    assert len(runs(marker)) == 2


def test_the_execution_timeout(endpoint: str, lam: Any, tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    local_lambda.deploy(endpoint, "short-execution", SOURCE, env={"MARKER": str(marker)}, timeout=10,
                        durable_config={"ExecutionTimeout": 1})
    response, error = invoke(lam, FunctionName="short-execution:$LATEST", Payload=b'{"sleep": 5}')
    assert response["FunctionError"] == "Unhandled" and error["errorType"] == "Sandbox.Timedout"
    assert lam.get_durable_execution(DurableExecutionArn=response["DurableExecutionArn"])["Status"] == "TIMED_OUT"

    local_lambda.deploy(endpoint, "long-execution", SOURCE, env={"MARKER": str(marker)},
                        durable_config={"ExecutionTimeout": 901})
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.invoke(FunctionName="long-execution:$LATEST", Payload=b"{}")
    assert "greater than 15 minutes" in raised.value.response["Error"]["Message"]
    assert lam.invoke(FunctionName="long-execution:$LATEST", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202


def test_deploy_recreates_a_function_whose_durability_changes(endpoint: str, lam: Any) -> None:
    local_lambda.deploy(endpoint, "switching", SOURCE, env={"MARKER": "/dev/null"})
    config = local_lambda.deploy(endpoint, "switching", SOURCE, env={"MARKER": "/dev/null"}, durable_config={"ExecutionTimeout": 60})
    assert config["DurableConfig"] == {"ExecutionTimeout": 60}
    config = local_lambda.deploy(endpoint, "switching", SOURCE, env={"MARKER": "/dev/null"})
    assert "DurableConfig" not in config


def test_moto_reset_forgets_durable_executions(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    arn = invoke(lam, FunctionName=f"{fn[0]}:1", Payload=b"{}")[0]["DurableExecutionArn"]
    request = urllib.request.Request(endpoint + "/moto-api/reset", method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
        assert response.status == 200
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn=arn)
    assert local_lambda.durable_executions(endpoint) == []


def test_the_durable_apis_are_counted_by_name(endpoint: str, lam: Any, fn: tuple[str, Path]) -> None:
    arn = invoke(lam, FunctionName=f"{fn[0]}:1", Payload=b"{}")[0]["DurableExecutionArn"]
    local_lambda.reset_api_requests(endpoint)
    lam.get_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn=arn + "0")
    lam.list_durable_executions_by_function(FunctionName=fn[0])
    seen = local_lambda.api_requests(endpoint)
    assert seen["counts"] == {"lambda.GetDurableExecution": 2, "lambda.ListDurableExecutionsByFunction": 1}
    assert [r["status"] for r in seen["requests"]] == [200, 404, 200]
