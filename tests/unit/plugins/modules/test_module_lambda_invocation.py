# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module against a stubbed Lambda client: what is sent, what is resent, what the user reads."""

from __future__ import annotations

import io
import json
import socket
import threading
from typing import Any, Dict, List, Optional

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import Record, Target, parse_desired, plan
from ansible_collections.cloudhooks.aws.plugins.modules import lambda_invocation

CONNECTION = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing"}


def module_args(stored: Optional[Record] = None, **options: Any) -> Dict[str, Any]:
    """The module's arguments as the action plugin sends them: the task's options and the plan."""
    options.setdefault("function_name", "fn")
    planned = plan(stored, parse_desired(options)).invocations
    return dict(CONNECTION, **options, _invocations=[invocation.describe() for invocation in planned])


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def lambda_stub(monkeypatch):
    """A real botocore client with a Stubber, handed to the module through AnsibleAWSModule.client."""
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    seen: Dict[str, Any] = {}

    def fake_client(self, service, retry_decorator=None, **extra):
        seen["service"], seen["extra"] = service, extra
        from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

        return RetryingBotoClientWrapper(client, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    with stubber:
        yield stubber, seen
    stubber.assert_no_pending_responses()


def ok(payload: bytes, version: str = "$LATEST", **extra: Any) -> Dict[str, Any]:
    response = {"StatusCode": 200, "ExecutedVersion": version, "Payload": body(payload)}
    response.update(extra)
    return response


def expect(stubber: Stubber, payload: bytes, response: Dict[str, Any], **params: Any) -> None:
    expected = {"FunctionName": "fn", "Qualifier": "$LATEST", "InvocationType": "RequestResponse", "Payload": payload}
    expected.update(params)
    stubber.add_response("invoke", response, expected)


def test_create_sends_the_planned_payload_and_returns_the_response(run_module, lambda_stub):
    stubber, seen = lambda_stub
    expect(stubber, b'{"a":1,"tf":{"action":"create","prev_input":null}}', ok(b'{"done":true}', "3"))
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, lifecycle_scope="CRUD"))
    assert result["changed"] is True
    assert result["result"] == '{"done":true}'
    assert result["invocations"][0]["executed_version"] == "3"
    assert result["invocations"][0]["status_code"] == 200
    config = seen["extra"]["aws_config"]
    assert config.retries == {"total_max_attempts": 1}  # botocore never resends
    assert config.read_timeout == 960  # a 15-minute function can finish


def test_user_aws_config_cannot_turn_sdk_retries_back_on(run_module, lambda_stub):
    stubber, seen = lambda_stub
    expect(stubber, b'{"a":1}', ok(b"null"))
    run_module(
        lambda_invocation.main,
        module_args(input={"a": 1}, timeout=5, aws_config={"retries": {"max_attempts": 10}, "user_agent_extra": "mine"}),
    )
    config = seen["extra"]["aws_config"]
    assert config.retries == {"total_max_attempts": 1}
    assert config.read_timeout == 5
    assert config.user_agent_extra == "mine"


@pytest.mark.parametrize("kind", ["Unhandled", "Handled"])
def test_function_error_fails_with_type_and_message(run_module, lambda_stub, kind):
    stubber = lambda_stub[0]
    error = json.dumps({"errorMessage": "table users exists", "errorType": "ValueError"}).encode()
    expect(stubber, b'{"a":1}', ok(error, FunctionError=kind))
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert result["failed"] is True
    assert "ValueError: table users exists" in result["msg"]
    assert "(%s)" % kind in result["msg"]
    assert "stored record is unchanged" in result["msg"]


def test_throttling_is_retried_then_succeeds(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_client_error("invoke", "TooManyRequestsException", "Rate exceeded", 429)
    stubber.add_client_error("invoke", "ResourceConflictException", "function is being updated", 409)
    expect(stubber, b'{"a":1}', ok(b'"fine"'))
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert result["result"] == '"fine"'
    assert not result.get("failed")


@pytest.mark.parametrize("code, status", [("ServiceException", 500), ("InternalError", 500)])
def test_server_errors_are_not_retried_because_the_function_may_have_run(run_module, lambda_stub, code, status):
    stubber = lambda_stub[0]
    stubber.add_client_error("invoke", code, "boom", status)
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert result["failed"] is True
    assert "failed to invoke fn (qualifier $LATEST) for the create invocation" in result["msg"]


def test_missing_function_names_it(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_client_error("invoke", "ResourceNotFoundException", "Function not found: arn:...:fn", 404)
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert result["failed"] is True
    assert result["msg"].startswith("function fn (qualifier $LATEST) not found for the create invocation")


def test_check_mode_uses_dry_run_on_each_planned_target(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stored = Record(Target("fn", "1"), "CRUD", "tf", {}, {"a": 1}, None)
    stubber.add_response("invoke", {"StatusCode": 204}, {
        "FunctionName": "fn", "Qualifier": "1", "InvocationType": "DryRun",
        "Payload": b'{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}'})
    stubber.add_response("invoke", {"StatusCode": 204}, {
        "FunctionName": "fn", "Qualifier": "2", "InvocationType": "DryRun",
        "Payload": b'{"a":1,"tf":{"action":"create","prev_input":null}}'})
    result = run_module(lambda_invocation.main, module_args(
        stored, qualifier="2", input={"a": 1}, lifecycle_scope="CRUD", _ansible_check_mode=True))
    assert [(i["action"], i["qualifier"], i["dry_run"]) for i in result["invocations"]] == [
        ("delete", "1", True), ("create", "2", True)]
    assert result["result"] is None


def test_replace_whose_create_fails_says_what_the_next_run_does(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stored = Record(Target("fn", "1"), "CRUD", "tf", {}, {"a": 1}, None)
    expect(stubber, b'{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}', ok(b"null", "1"), Qualifier="1")
    expect(stubber, b'{"a":1,"tf":{"action":"create","prev_input":null}}',
           ok(b'{"errorMessage":"no","errorType":"E"}', "2", FunctionError="Unhandled"), Qualifier="2")
    result = run_module(lambda_invocation.main, module_args(
        stored, qualifier="2", input={"a": 1}, lifecycle_scope="CRUD"))
    assert result["failed"] is True
    assert "Already done in this run: delete of fn (qualifier 1)" in result["msg"]
    assert "starting again with the delete of fn (qualifier 1)" in result["msg"]
    assert [i["action"] for i in result["invocations"]] == ["delete", "create"]


def test_tail_log_is_decoded(run_module, lambda_stub):
    stubber = lambda_stub[0]
    expect(stubber, b'{"a":1}', ok(b"null", LogResult="aGVsbG8gbG9n"), LogType="Tail")
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, tail_log=True))
    assert result["log"] == "hello log"


def test_tenant_id_is_sent(run_module, lambda_stub):
    stubber = lambda_stub[0]
    expect(stubber, b'{"a":1}', ok(b"null"), TenantId="acme")
    run_module(lambda_invocation.main, module_args(input={"a": 1}, tenant_id="acme"))


def test_nothing_planned_makes_no_call_and_no_client(run_module, lambda_stub):
    seen = lambda_stub[1]
    result = run_module(lambda_invocation.main, dict(CONNECTION, function_name="fn", input={"a": 1}))
    assert (result["changed"], result["invocations"], result["result"]) == (False, [], None)
    assert "service" not in seen  # no client was even created


class CountingClient:
    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, **kwargs: Any) -> Any:
        self.calls += 1
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1/")


def test_read_timeout_is_not_retried_and_says_so(run_module, monkeypatch):
    counting = CountingClient()

    def fake_client(self, service, retry_decorator=None, **extra):
        from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

        return RetryingBotoClientWrapper(counting, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, timeout=2))
    assert counting.calls == 1
    assert result["failed"] is True
    assert "within timeout=2 seconds" in result["msg"] and "not resent" in result["msg"]


def test_client_config_sends_a_slow_request_once(tmp_path):
    """botocore with the module's config, against a server that never answers: one request only."""
    received: List[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        held = []
        while not stop.is_set():
            try:
                conn = server.accept()[0]
            except OSError:
                continue
            received.append(conn.recv(65536))
            held.append(conn)  # never answer
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        client = boto3.client(
            "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
            endpoint_url="http://127.0.0.1:%d" % server.getsockname()[1],
            config=lambda_invocation.client_config(None, 1),
        )
        with pytest.raises(ReadTimeoutError):
            client.invoke(FunctionName="fn", Payload=b"{}")
    finally:
        stop.set()
        thread.join()
        server.close()
    assert len(received) == 1
