# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module against a stubbed Lambda client: what is sent, what is resent, and each key's outcome
as the module answers it (plugins/module_utils/invocation.py)."""

from __future__ import annotations

import io
import json
import socket
import threading
from typing import Any, Dict, List, Optional

import boto3
import pytest
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import ConnectTimeoutError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import NoCredentialsError
from botocore.exceptions import ParamValidationError
from botocore.exceptions import ReadTimeoutError
from botocore.exceptions import SSLError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cloudhooks.aws.plugins.module_utils import lambda_client
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import request
from ansible_collections.cloudhooks.aws.plugins.modules import lambda_invocation
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan

CONNECTION = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing"}


def module_args(stored: Optional[Record] = None, **options: Any) -> Dict[str, Any]:
    """The module's arguments as the action plugin sends them: the task's options and the plan, as
    the request of a task without for_each (the one key "")."""
    options.setdefault("function_name", "fn")
    planned = plan(stored, parse_desired(options)).invocations
    return dict(CONNECTION, **options, _request=request({"": list(planned)}))


def outcome(result: Dict[str, Any]) -> Dict[str, Any]:
    """The one key's outcome."""
    assert not result.get("failed"), result
    return result["outcomes"][""]


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
    assert (outcome(result)["kind"], outcome(result)["result"]) == ("done", '{"done":true}')
    assert outcome(result)["done"][0]["executed_version"] == "3"
    assert result["invocations"][0]["key"] == ""
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
    found = outcome(run_module(lambda_invocation.main, module_args(input={"a": 1})))
    assert found["kind"] == "function_error" and found["done"] == []
    assert "ValueError: table users exists" in found["msg"]
    assert "(%s)" % kind in found["msg"]
    assert found["failed_invocation"]["function_error"] == kind


def test_throttling_is_retried_then_succeeds(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_client_error("invoke", "TooManyRequestsException", "Rate exceeded", 429)
    stubber.add_client_error("invoke", "ResourceConflictException", "function is being updated", 409)
    expect(stubber, b'{"a":1}', ok(b'"fine"'))
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert outcome(result)["result"] == '"fine"'


@pytest.mark.parametrize("code, status", [("ServiceException", 500), ("InternalError", 500)])
def test_server_errors_are_not_retried_because_the_function_may_have_run(run_module, lambda_stub, code, status):
    stubber = lambda_stub[0]
    stubber.add_client_error("invoke", code, "boom", status)
    found = outcome(run_module(lambda_invocation.main, module_args(input={"a": 1})))
    assert found["kind"] == "unknown"
    assert "failed to invoke fn (qualifier $LATEST) for the create invocation" in found["msg"]


def test_missing_function_names_it(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_client_error("invoke", "ResourceNotFoundException", "Function not found: arn:...:fn", 404)
    found = outcome(run_module(lambda_invocation.main, module_args(input={"a": 1})))
    assert found["kind"] == "not_completed"
    assert found["msg"].startswith("function fn (qualifier $LATEST) not found for the create invocation")


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
    assert outcome(result)["kind"] == "done" and "result" not in outcome(result)
    assert result["changed"] is False  # nothing was invoked


def test_replace_whose_create_fails_says_what_was_done_before_it(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stored = Record(Target("fn", "1"), "CRUD", "tf", {}, {"a": 1}, None)
    expect(stubber, b'{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}', ok(b"null", "1"), Qualifier="1")
    expect(stubber, b'{"a":1,"tf":{"action":"create","prev_input":null}}',
           ok(b'{"errorMessage":"no","errorType":"E"}', "2", FunctionError="Unhandled"), Qualifier="2")
    result = run_module(lambda_invocation.main, module_args(
        stored, qualifier="2", input={"a": 1}, lifecycle_scope="CRUD"))
    found = outcome(result)
    assert found["kind"] == "function_error" and "the create invocation of fn (qualifier 2)" in found["msg"]
    assert [i["action"] for i in found["done"]] == ["delete"]
    assert found["failed_invocation"]["action"] == "create"
    assert [i["action"] for i in result["invocations"]] == ["delete"] and result["changed"] is True


def test_tail_log_is_decoded(run_module, lambda_stub):
    stubber = lambda_stub[0]
    expect(stubber, b'{"a":1}', ok(b"null", LogResult="aGVsbG8gbG9n"), LogType="Tail")
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, tail_log=True))
    assert outcome(result)["log"] == "hello log"


def test_tenant_id_is_sent(run_module, lambda_stub):
    stubber = lambda_stub[0]
    expect(stubber, b'{"a":1}', ok(b"null"), TenantId="acme")
    run_module(lambda_invocation.main, module_args(input={"a": 1}, tenant_id="acme"))


def test_nothing_planned_makes_no_call_and_no_client(run_module, lambda_stub):
    seen = lambda_stub[1]
    result = run_module(lambda_invocation.main, dict(CONNECTION, function_name="fn", input={"a": 1}, _request=request({})))
    assert (result["changed"], result["invocations"], result["outcomes"]) == (False, [], {})
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
    found = outcome(run_module(lambda_invocation.main, module_args(input={"a": 1}, timeout=2)))
    assert counting.calls == 1 and found["kind"] == "unknown"
    assert "within timeout=2 seconds" in found["msg"] and "not resent" in found["msg"]


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
            config=lambda_client.client_config(None, 1),
        )
        with pytest.raises(ReadTimeoutError):
            client.invoke(FunctionName="fn", Payload=b"{}")
    finally:
        stop.set()
        thread.join()
        server.close()
    assert len(received) == 1


# -- every botocore failure is a clean task failure (issue 8) ------------------------------


class ScriptedClient:
    """A Lambda client that answers each invoke with the next item: an exception to raise or a response."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: List[Dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def scripted(monkeypatch):
    """scripted(*answers) -> the client the module gets, behind amazon.aws's retrying wrapper."""
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    holder: Dict[str, ScriptedClient] = {}

    def fake_client(self, service, retry_decorator=None, **extra):
        return RetryingBotoClientWrapper(holder["client"], retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)

    def make(*answers: Any) -> ScriptedClient:
        holder["client"] = ScriptedClient(*answers)
        return holder["client"]

    return make


URL = "http://127.0.0.1:1/"


@pytest.mark.parametrize(
    "error, kind, words",
    [
        (NoCredentialsError(), "not_completed", ["no AWS credentials", "access_key", "secret_key", "profile",
                                                 "group/cloudhooks.aws.aws"]),
        (ParamValidationError(report="Invalid type for parameter Payload"), "not_completed",
         ["botocore refused the parameters", "Invalid type for parameter Payload"]),
        (SSLError(endpoint_url=URL, error="certificate verify failed"), "unknown",
         ["failed to invoke fn", "certificate verify failed"]),
        (ConnectionClosedError(endpoint_url=URL), "unknown", ["the connection was closed before an answer", "not resent",
                                                              "may still be running"]),
        (ReadTimeoutError(endpoint_url=URL), "unknown", ["no answer within timeout=960 seconds", "not resent"]),
        (BotoCoreError(), "unknown", ["failed to invoke fn"]),
    ],
)
def test_every_botocore_failure_is_an_outcome_sent_once(run_module, scripted, error, kind, words):
    client = scripted(error)
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert len(client.calls) == 1  # none of these is resent
    assert result["invocations"] == [] and result["changed"] is False
    found = outcome(result)
    assert (found["kind"], found["done"]) == (kind, [])
    for word in words:
        assert word in found["msg"]
    assert ".:" not in found["msg"]


def test_a_connection_that_could_not_be_made_is_retried(run_module, scripted):
    client = scripted(EndpointConnectionError(endpoint_url=URL), ConnectTimeoutError(endpoint_url=URL), ok(b'"fine"'))
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert len(client.calls) == 3
    assert outcome(result)["result"] == '"fine"'


def test_a_failure_after_a_successful_invocation_reports_changed_and_what_was_done(run_module, scripted):
    stored = Record(Target("fn", "1"), "CRUD", "tf", {}, {"a": 1}, None)
    scripted(ok(b'"deleted"', "1"), ConnectionClosedError(endpoint_url=URL))
    result = run_module(lambda_invocation.main, module_args(stored, qualifier="2", input={"a": 1}, lifecycle_scope="CRUD"))
    assert result["changed"] is True
    found = outcome(result)
    assert found["kind"] == "unknown" and [i["action"] for i in found["done"]] == ["delete"]


def test_a_function_error_message_has_no_stray_full_stop(run_module, scripted):
    scripted(ok(b'{"errorMessage":"table users exists.","errorType":"ValueError"}', FunctionError="Unhandled"))
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert outcome(result)["msg"].endswith("ValueError: table users exists")


def test_tenant_id_needs_a_botocore_that_knows_tenant_id(run_module, scripted, monkeypatch):
    client = scripted(ok(b"null"))
    monkeypatch.setattr(AnsibleAWSModule, "botocore_at_least", lambda self, desired: desired != "1.41.0")
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, tenant_id="acme"))
    assert result["failed"] is True and client.calls == [] and result["nothing_sent"] is True
    assert "botocore>=1.41.0" in result["msg"] and "tenant_id" in result["msg"]
    # without tenant_id the same botocore is fine
    run_module(lambda_invocation.main, module_args(input={"a": 1}))
    assert len(client.calls) == 1


def test_a_missing_region_names_the_options_and_the_group(run_module, scripted, monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    client = scripted(ok(b"null"))
    args = module_args(input={"a": 1})
    del args["region"]
    result = run_module(lambda_invocation.main, args)
    assert result["failed"] is True and client.calls == [] and result["nothing_sent"] is True
    for word in ("no AWS region", "region", "aws_region", "group/cloudhooks.aws.aws", "group/amazon.aws.aws does not"):
        assert word in result["msg"]


# -- what is sent, what is returned ---------------------------------------------------


def test_check_mode_never_asks_for_the_log(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_response("invoke", {"StatusCode": 204}, {
        "FunctionName": "fn", "Qualifier": "$LATEST", "InvocationType": "DryRun", "Payload": b'{"a":1}'})
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, tail_log=True, _ansible_check_mode=True))
    assert result["invocations"][0]["dry_run"] is True


def test_the_delete_response_never_becomes_the_result(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stored = Record(Target("fn"), "CRUD", "tf", {}, {"a": 1}, '"old"')
    expect(stubber, b'{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}', ok(b'"deleted"'))
    result = run_module(lambda_invocation.main, module_args(stored, input=None, state="absent"))
    assert "result" not in outcome(result) and result["invocations"][0]["response"] == '"deleted"'
    expect(stubber, b'{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}', ok(b'"deleted"'))
    expect(stubber, b'{"a":1,"tf":{"action":"create","prev_input":null}}', ok(b'"created"'))
    result = run_module(lambda_invocation.main, module_args(stored, input={"a": 1}, lifecycle_scope="CRUD", force=True))
    assert outcome(result)["result"] == '"created"'


def test_client_config_is_amazon_aws_merge_of_the_users_and_ours(run_module, monkeypatch):
    """Through the real AnsibleAWSModule.client: the client the module invokes with has the user's
    aws_config, with retries, read_timeout and connect_timeout set by the module."""
    original = AnsibleAWSModule.client
    made: Dict[str, Any] = {}

    def spy(self, service, retry_decorator=None, **extra):
        wrapped = original(self, service, retry_decorator=retry_decorator, **extra)
        stubber = Stubber(wrapped.client)
        stubber.add_response("invoke", ok(b"null"), {
            "FunctionName": "fn", "Qualifier": "$LATEST", "InvocationType": "RequestResponse", "Payload": b'{"a":1}'})
        stubber.activate()
        made["client"], made["stubber"] = wrapped.client, stubber
        return wrapped

    monkeypatch.setattr(AnsibleAWSModule, "client", spy)
    user = {"retries": {"max_attempts": 10}, "read_timeout": 3, "connect_timeout": 1, "user_agent_extra": "mine",
            "tcp_keepalive": True}
    result = run_module(lambda_invocation.main, module_args(
        input={"a": 1}, timeout=7, aws_config=user, endpoint_url="http://127.0.0.1:9"))
    assert not result.get("failed")
    made["stubber"].assert_no_pending_responses()
    config = made["client"].meta.config
    assert config.retries["total_max_attempts"] == 1 and "max_attempts" not in config.retries
    assert (config.read_timeout, config.connect_timeout) == (7, 30)
    assert config.tcp_keepalive is True and "mine" in config.user_agent_extra
    assert made["client"].meta.endpoint_url == "http://127.0.0.1:9"
    assert made["client"].meta.region_name == "us-east-1"


def test_the_aws_config_settings_the_module_overrides_are_all_documented_and_overridden():
    user = {"retries": {"max_attempts": 5}, "read_timeout": 1, "connect_timeout": 1, "tcp_keepalive": True}
    config = lambda_client.client_config(user, 42)
    assert set(lambda_client.OVERRIDDEN_AWS_CONFIG) == {"retries", "read_timeout", "connect_timeout"}
    assert (config.retries, config.read_timeout, config.connect_timeout, config.tcp_keepalive) == (
        {"total_max_attempts": 1}, 42, 30, True)
    note = " ".join(lambda_invocation.DOCUMENTATION.split())
    assert "except C(retries), C(read_timeout) and C(connect_timeout), which this module sets itself" in note


# -- issue 11: invocation_type Event, reinvoke_on ------------------------------------------------


def test_event_is_queued_with_202_and_returns_no_result(run_module, lambda_stub):
    stubber = lambda_stub[0]
    expect(stubber, b'{"a":1,"tf":{"action":"create","prev_input":null}}',
           {"StatusCode": 202, "Payload": body(b"")}, InvocationType="Event")
    result = run_module(lambda_invocation.main, module_args(input={"a": 1}, lifecycle_scope="CRUD", invocation_type="Event"))
    assert result["changed"] is True and "result" not in outcome(result)
    entry = result["invocations"][0]
    assert (entry["status_code"], entry["queued"]) == (202, True)
    assert "response" not in entry and "executed_version" not in entry


def test_event_in_check_mode_sends_dry_run(run_module, lambda_stub):
    stubber = lambda_stub[0]
    expect(stubber, b'{"a":1}', {"StatusCode": 204, "Payload": body(b"")}, InvocationType="DryRun")
    result = run_module(lambda_invocation.main, dict(module_args(input={"a": 1}, invocation_type="Event"), _ansible_check_mode=True))
    assert result["invocations"][0]["dry_run"] is True


CONFIGURATION = {"FunctionName": "fn", "CodeSha256": "c0de=", "Runtime": "python3.12", "Handler": "index.handler",
                 "MemorySize": 128, "Timeout": 3, "Environment": {"Variables": {"PASSWORD": "hunter2-secret"}},
                 "Role": "arn:aws:iam::123456789012:role/r", "Architectures": ["x86_64"]}


def test_describe_function_makes_one_get_function_configuration_and_returns_only_digests(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_response("get_function_configuration", CONFIGURATION, {"FunctionName": "fn", "Qualifier": "7"})
    result = run_module(lambda_invocation.main, dict(CONNECTION, function_name="fn", qualifier="7",
                                                     _request=request({}, describe=["code", "configuration"])))
    assert result["changed"] is False
    assert result["function"]["code"] == "c0de="
    assert len(result["function"]["configuration"]) == 64
    assert "hunter2-secret" not in json.dumps(result)


def test_describe_function_of_a_missing_function_names_it_and_invokes_nothing(run_module, lambda_stub):
    stubber = lambda_stub[0]
    stubber.add_client_error("get_function_configuration", "ResourceNotFoundException", "Function not found", 404)
    result = run_module(lambda_invocation.main, dict(CONNECTION, function_name="fn", _request=request({}, describe=["code"])))
    assert result["failed"] is True and result["nothing_sent"] is True
    assert result["msg"].startswith(
        "function not found by the GetFunctionConfiguration of fn (qualifier $LATEST), which reinvoke_on needs; nothing was invoked")
