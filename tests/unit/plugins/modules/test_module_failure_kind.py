# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module says, machine-readably, whether a failed invocation surely did not complete
(``failure_kind: not_completed``) or may have run (``unknown``): a durable record store removes
its in-flight marker in the first case only."""

from __future__ import annotations

import io
import json
from typing import Any, Dict

import boto3
import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudhooks.aws.plugins.module_utils.lifecycle import parse_desired, plan
from ansible_collections.cloudhooks.aws.plugins.modules import lambda_invocation

ARGS: Dict[str, Any] = {"region": "us-east-1", "access_key": "t", "secret_key": "t", "function_name": "fn"}


def module_args() -> Dict[str, Any]:
    planned = plan(None, parse_desired(dict(ARGS, input={"a": 1}))).invocations
    return dict(ARGS, _invocations=[i.describe() for i in planned])


def use(monkeypatch, client: Any) -> None:
    monkeypatch.setattr(AnsibleAWSModule, "client",
                        lambda self, service, retry_decorator=None, **extra: RetryingBotoClientWrapper(client, retry_decorator))
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    use(monkeypatch, client)
    with Stubber(client) as stubber:
        yield stubber


@pytest.mark.parametrize("code, status, kind", [
    ("ResourceNotFoundException", 404, "not_completed"),
    ("AccessDeniedException", 403, "not_completed"),
    ("InvalidRequestContentException", 400, "not_completed"),
    ("ServiceException", 500, "unknown"),
    ("EC2ThrottledException", 502, "unknown"),
])
def test_aws_errors(run_module, stubbed, code, status, kind):
    stubbed.add_client_error("invoke", code, "no", status)
    result = run_module(lambda_invocation.main, module_args())
    assert result["failed"] is True and result["failure_kind"] == kind


def test_a_function_error_surely_did_not_complete(run_module, stubbed):
    error = json.dumps({"errorMessage": "x", "errorType": "ValueError"}).encode()
    stubbed.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled",
                                    "Payload": StreamingBody(io.BytesIO(error), len(error))})
    result = run_module(lambda_invocation.main, module_args())
    assert result["failure_kind"] == "not_completed"


class Broken:
    """A client whose invoke raises what a lost connection or a timeout raises."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def invoke(self, **params: Any) -> Any:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize("error", [
    ReadTimeoutError(endpoint_url="http://127.0.0.1/"),
    ConnectionClosedError(endpoint_url="http://127.0.0.1/"),
])
def test_a_timeout_or_a_lost_connection_is_unknown_and_not_resent(run_module, monkeypatch, error):
    client = Broken(error)
    use(monkeypatch, client)
    result = run_module(lambda_invocation.main, module_args())
    assert (result["failed"], result["failure_kind"], client.calls) == (True, "unknown", 1)
    assert "not resent" in result["msg"]
