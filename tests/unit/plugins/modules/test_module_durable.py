# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module with durable functions, expect_result and every error of Invoke, against a stubbed
Lambda client (botocore's Stubber checks each request's parameters)."""

from __future__ import annotations

import http.server
import io
import json
import threading
from pathlib import Path
from typing import Any, Dict, List

import boto3
import botocore.session
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudhooks.aws.plugins.module_utils import lambda_client
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import Durability
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import request
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import unmet
from ansible_collections.cloudhooks.aws.plugins.modules import lambda_invocation

CONNECTION = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing", "function_name": "fn"}
KEY = "create-0123456789abcdef0123456789abcdef01234567"
PAYLOAD = b'{"a":1,"tf":{"action":"create","prev_input":null}}'
ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/%s/1" % KEY
LIFECYCLE_MD = Path(__file__).resolve().parents[4] / "docs" / "lifecycle.md"


def planned(lookup: bool = False) -> Invocation:
    return Invocation("create", Target("fn"), PAYLOAD, KEY, lookup)


def args(*invocations: Invocation, **options: Any) -> Dict[str, Any]:
    durable = options.pop("known", {})
    return dict(CONNECTION, _request=request({"": list(invocations)}, durable=durable), **options)


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def stub(monkeypatch):
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(AnsibleAWSModule, "client",
                        lambda self, service, retry_decorator=None, **extra: RetryingBotoClientWrapper(client, retry_decorator))
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def configuration(stubber: Stubber, durable: bool) -> None:
    found: Dict[str, Any] = {"FunctionName": "fn"}
    if durable:
        found["DurableConfig"] = {"RetentionPeriodInDays": 14, "ExecutionTimeout": 900}
    stubber.add_response("get_function_configuration", found, {"FunctionName": "fn", "Qualifier": "$LATEST"})


def invoked(stubber: Stubber, response: bytes = b'{"ok":true}', name: bool = True, **extra: Any) -> None:
    expected = {"FunctionName": "fn", "Qualifier": "$LATEST", "InvocationType": "RequestResponse", "Payload": PAYLOAD}
    if name:
        expected["DurableExecutionName"] = KEY
    stubber.add_response("invoke", dict({"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": body(response)},
                                        **extra), expected)


def listed(stubber: Stubber, status: str = "") -> None:
    executions = [{"DurableExecutionArn": ARN, "DurableExecutionName": KEY, "FunctionArn": "arn:fn",
                   "Status": status, "StartTimestamp": 1}] if status else []
    stubber.add_response("list_durable_executions_by_function", {"DurableExecutions": executions},
                         {"FunctionName": "fn", "Qualifier": "$LATEST", "DurableExecutionName": KEY})


def got(stubber: Stubber, status: str, **extra: Any) -> None:
    stubber.add_response("get_durable_execution", dict({
        "DurableExecutionArn": ARN, "DurableExecutionName": KEY, "FunctionArn": "arn:fn", "Status": status,
        "StartTimestamp": 1, "InputPayload": PAYLOAD.decode()}, **extra), {"DurableExecutionArn": ARN})


def the_outcome(result: Dict[str, Any]) -> Dict[str, Any]:
    assert not result.get("failed"), result
    return result["outcomes"][""]


# -- durable functions -----------------------------------------------------------------------------


def test_a_durable_function_is_read_once_and_invoked_by_its_name(run_module, stub):
    configuration(stub, durable=True)
    invoked(stub, DurableExecutionArn=ARN)
    result = run_module(lambda_invocation.main, args(planned()))
    found = the_outcome(result)
    assert found["kind"] == "done" and found["done"][0]["durable_execution_arn"] == ARN
    assert result["durable"] == {"fn:$LATEST": True}  # the controller will not ask again in this task


@pytest.mark.parametrize("extra, reads", [({"known": {"fn:$LATEST": False}}, False), ({"durable": False}, False),
                                          ({}, True)])
def test_a_function_that_is_not_durable_is_invoked_without_a_name(run_module, stub, extra, reads):
    if reads:
        configuration(stub, durable=False)
    invoked(stub, name=False)
    assert the_outcome(run_module(lambda_invocation.main, args(planned(), **extra)))["kind"] == "done"


def test_durable_true_skips_the_read(run_module, stub):
    invoked(stub)
    assert the_outcome(run_module(lambda_invocation.main, args(planned(), durable=True)))["kind"] == "done"


def test_durable_true_needs_a_botocore_that_knows_the_name(run_module, stub, monkeypatch):
    monkeypatch.setattr(AnsibleAWSModule, "botocore_at_least", lambda self, wanted: wanted != "1.42.1")
    result = run_module(lambda_invocation.main, args(planned(), durable=True))
    assert result["failed"] is True and result["nothing_sent"] is True
    assert "botocore>=1.42.1" in result["msg"] and "durable" in result["msg"]


@pytest.mark.parametrize("durable", [False, True])
def test_an_old_botocore_refuses_a_durable_function_naming_the_version(run_module, stub, monkeypatch, durable):
    monkeypatch.setattr(AnsibleAWSModule, "botocore_at_least", lambda self, wanted: wanted != "1.42.1")
    configuration(stub, durable=durable)
    if not durable:
        invoked(stub, name=False)  # a function that is not durable needs no name: invoked as ever
    result = run_module(lambda_invocation.main, args(planned()))
    if durable:
        assert result["failed"] is True and result["nothing_sent"] is True
        assert result["msg"].startswith("fn (qualifier $LATEST) is a durable function: invoking it by its execution "
                                        "name (docs/lifecycle.md, \"Exactly once\") needs botocore>=1.42.1, and this "
                                        "Python has botocore ")
        assert "Nothing was invoked" in result["msg"] and "durable: false" in result["msg"]
    else:
        assert the_outcome(result)["kind"] == "done" and not result.get("warnings")


def test_an_old_botocore_reads_durable_config_from_the_body_it_cannot_parse(tmp_path, monkeypatch):
    """A botocore whose Lambda model predates durable functions drops DurableConfig from what it
    parses; the body, as Lambda sent it, still says so."""
    session = botocore.session.get_session()
    model = session.get_component("data_loader").load_service_model("lambda", "service-2")
    del model["shapes"]["FunctionConfiguration"]["members"]["DurableConfig"]
    folder = tmp_path / "lambda" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    old = botocore.session.get_session()
    old.set_config_variable("data_path", str(tmp_path))
    body = json.dumps({"FunctionName": "fn", "DurableConfig": {"RetentionPeriodInDays": 7}}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # GetFunctionConfiguration
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = old.create_client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                                   endpoint_url="http://127.0.0.1:%d" % server.server_port)
        parsed = client.get_function_configuration(FunctionName="fn")
        assert "DurableConfig" not in parsed  # what such a botocore parses
        wrapped = RetryingBotoClientWrapper(client, lambda f: f)
        assert Durability(wrapped, None, {}, print, raw=True).of(Target("fn")) is True
        assert Durability(wrapped, None, {}, print).of(Target("fn")) is False
    finally:
        server.shutdown()
        server.server_close()


def test_a_denied_read_warns_and_invokes_as_not_durable(run_module, stub):
    stub.add_client_error("get_function_configuration", "AccessDeniedException", "denied", 403)
    invoked(stub, name=False)
    result = run_module(lambda_invocation.main, args(planned()))
    assert the_outcome(result)["kind"] == "done"
    assert any("could not read whether fn (qualifier $LATEST) is a durable function" in w for w in result["warnings"])


# -- looking a marker up (recover: auto) ------------------------------------------------------------


def test_a_succeeded_execution_is_its_result_and_nothing_is_invoked(run_module, stub):
    configuration(stub, durable=True)
    listed(stub, "SUCCEEDED")
    got(stub, "SUCCEEDED", Result='{"first":true}', Version="$LATEST")
    found = the_outcome(run_module(lambda_invocation.main, args(planned(lookup=True))))
    assert (found["kind"], found["result"]) == ("done", '{"first":true}')
    assert found["done"][0]["recovered"] == "lambda" and found["done"][0]["execution_status"] == "SUCCEEDED"


def test_a_failed_execution_is_a_function_error(run_module, stub):
    configuration(stub, durable=True)
    listed(stub, "FAILED")
    got(stub, "FAILED", Error={"ErrorType": "ValueError", "ErrorMessage": "no table."})
    found = the_outcome(run_module(lambda_invocation.main, args(planned(lookup=True))))
    assert found["kind"] == "function_error"
    assert found["msg"] == ("the durable execution %s of the create invocation of fn (qualifier $LATEST) had FAILED: "
                            "ValueError: no table" % KEY)


@pytest.mark.parametrize("status", ["RUNNING", ""])
def test_a_running_or_missing_execution_is_invoked_by_name(run_module, stub, status):
    configuration(stub, durable=True)
    listed(stub, status)
    if status:
        got(stub, status)
    invoked(stub)
    found = the_outcome(run_module(lambda_invocation.main, args(planned(lookup=True))))
    assert found["kind"] == "done" and found["done"][0]["execution_status"] == (status or "not found")


def test_looking_up_a_function_that_is_not_durable_sends_nothing(run_module, stub):
    configuration(stub, durable=False)
    found = the_outcome(run_module(lambda_invocation.main, args(planned(lookup=True))))
    assert (found["kind"], found["not_durable"], found["done"]) == ("not_completed", True, [])


@pytest.mark.parametrize("durable", [True, False])
def test_a_probe_says_whether_functions_are_durable_and_invokes_nothing(run_module, stub, durable):
    configuration(stub, durable=durable)  # the stub fails the test on any other call (an Invoke)
    result = run_module(lambda_invocation.main, dict(CONNECTION, _request=request({}, probe=[Target("fn")])))
    assert not result.get("failed"), result
    assert (result["durable"], result["invocations"], result["changed"]) == ({"fn:$LATEST": durable}, [], False)


# -- the name refused (DurableExecutionAlreadyStartedException) ----------------------------------------


def test_the_name_refused_for_the_same_payload_waits_for_that_execution(run_module, stub):
    stub.add_client_error("invoke", "DurableExecutionAlreadyStartedException", "already started", 409)
    listed(stub, "RUNNING")
    got(stub, "RUNNING")
    listed(stub, "SUCCEEDED")
    got(stub, "SUCCEEDED", Result='"done"')
    found = the_outcome(run_module(lambda_invocation.main, args(planned(), durable=True)))
    assert (found["kind"], found["result"]) == ("done", '"done"')


def test_the_name_used_with_another_payload_is_refused_clearly(run_module, stub):
    stub.add_client_error("invoke", "DurableExecutionAlreadyStartedException", "already started", 409)
    listed(stub, "SUCCEEDED")
    got(stub, "SUCCEEDED", InputPayload='{"a":2}')
    found = the_outcome(run_module(lambda_invocation.main, args(planned(), durable=True)))
    assert found["kind"] == "not_completed"
    assert "was already used with another payload" in found["msg"] and KEY in found["msg"]


# -- expect_result ---------------------------------------------------------------------------------


@pytest.mark.parametrize("response, kind, words", [
    (b'{"status":"ok","extra":[1]}', "done", None),
    (b'{"status":"pending"}', "function_error", 'status is "pending", not "ok"'),
    (b'{"other":1}', "function_error", 'the response has no "status"'),
    (b"not json", "function_error", "the response is not JSON"),
])
def test_expect_result_judges_the_response(run_module, stub, response, kind, words):
    invoked(stub, response, name=False)
    found = the_outcome(run_module(lambda_invocation.main, args(planned(), durable=False, expect_result={"status": "ok"})))
    assert found["kind"] == kind
    if words:
        assert words in found["msg"] and found["failed_invocation"]["expect_result"].startswith("not met")


@pytest.mark.parametrize("expected, actual, where", [
    ({"a": {"b": [1, 2]}}, {"a": {"b": [1, 2], "c": 3}, "d": 4}, None),
    ({"a": {"b": [1, 2]}}, {"a": {"b": [2, 1]}}, "a.b"),
    ({"n": 1}, {"n": 1.0}, "n"),
    ({"n": 1}, {"n": True}, "n"),
    ({"a": {"b": 1}}, {"a": "x"}, "a"),
])
def test_unmet_is_recursive_and_exact(expected, actual, where):
    found = unmet(expected, actual)
    assert (found is None) == (where is None)
    if where:
        assert found.startswith(where)


# -- every error of Invoke ----------------------------------------------------------------------------


def invoke_errors() -> List[Any]:
    model = botocore.session.get_session().get_service_model("lambda").operation_model("Invoke")
    return [(shape.name, shape.metadata["error"]["httpStatusCode"]) for shape in model.error_shapes]


def test_every_error_of_invoke_is_in_the_table_once():
    codes = [name for name, _status in invoke_errors()]
    missing = sorted(set(codes) - set(lambda_client.ERRORS))
    assert missing == [], "classify these in ERRORS and docs/lifecycle.md"


def documented_errors() -> Dict[str, str]:
    """docs/lifecycle.md's table of Invoke's errors: what each says about the function."""
    rows = {}
    for line in LIFECYCLE_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `") and "Exception`" in line.split("|")[1]:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[2]
    return rows


def test_the_table_in_the_docs_is_the_table_in_the_code():
    assert documented_errors() == {code: meaning for code, meaning in lambda_client.ERRORS.items()
                                   if code.endswith("Exception")}


# DurableExecutionAlreadyStartedException is looked up first: the tests above
@pytest.mark.parametrize("code, status", [e for e in invoke_errors() if e[0] != "DurableExecutionAlreadyStartedException"])
def test_each_error_is_retried_only_when_the_function_did_not_run(run_module, stub, code, status):
    meaning = documented_errors()[code]  # what the docs promise, not what the code's table says
    sent: List[str] = []
    stub.client.meta.events.register("provide-client-params.lambda.Invoke", lambda **_: sent.append("Invoke"))
    stub.add_client_error("invoke", code, "from the table", status)
    if meaning == lambda_client.DID_NOT_RUN:
        invoked(stub, name=False)
    found = the_outcome(run_module(lambda_invocation.main, args(planned(), durable=False)))
    expected = {lambda_client.DID_NOT_RUN: "done", lambda_client.MAY_HAVE_RUN: "unknown",
                lambda_client.REFUSED: "not_completed"}[meaning]
    assert (found["kind"], len(sent)) == (expected, 2 if meaning == lambda_client.DID_NOT_RUN else 1)


def test_retries_stay_within_the_timeout():
    assert lambda_client.retries_within(1) == 1
    assert lambda_client.retries_within(960) == 35  # 2 + 4 + 8 + 16, then 30 s each
    total, delay = 0, 2
    for _attempt in range(lambda_client.retries_within(60)):
        total, delay = total + min(delay, 30), delay * 2
    assert total <= 60
