# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module answers each key's outcome as data (docs/lifecycle.md, "Module outcome"): whether a
failed invocation surely did not complete (``not_completed``, ``function_error``) or may have run
(``unknown``), and marks every failure of its own before any call as ``nothing_sent``: a durable
record store removes its in-flight markers in the first cases only."""

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
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import request
from ansible_collections.cloudhooks.aws.plugins.modules import lambda_invocation
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan

ARGS: Dict[str, Any] = {"region": "us-east-1", "access_key": "t", "secret_key": "t", "function_name": "fn"}


def module_args(**extra: Any) -> Dict[str, Any]:
    planned = plan(None, parse_desired(dict(ARGS, input={"a": 1}))).invocations
    return dict(ARGS, _request=request({"": list(planned)}), **extra)


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
    assert result["outcomes"][""]["kind"] == kind


def test_a_function_error_surely_did_not_complete(run_module, stubbed):
    error = json.dumps({"errorMessage": "x", "errorType": "ValueError"}).encode()
    stubbed.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled",
                                    "Payload": StreamingBody(io.BytesIO(error), len(error))})
    result = run_module(lambda_invocation.main, module_args())
    assert result["outcomes"][""]["kind"] == "function_error"


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
    assert (result["outcomes"][""]["kind"], client.calls) == ("unknown", 1)
    assert "not resent" in result["outcomes"][""]["msg"]


@pytest.mark.parametrize("extra, words", [
    ({"validate_certs": "maybe"}, "validate_certs"),
    ({"profile": "ops"}, "profile"),  # with access_key and secret_key: amazon.aws refuses both
    ({"timeout": "soon"}, "timeout"),
    ({"region": None}, "no AWS region is set"),
])
def test_a_failure_before_any_call_says_that_nothing_was_sent(run_module, monkeypatch, tmp_path, extra, words):
    """Defect 2: the controller removes the marker only when the module says nothing was sent."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    # The real client (amazon.aws checks profile and keys when it makes one), at a port nothing listens on.
    args = {k: v for k, v in dict(module_args(endpoint_url="http://127.0.0.1:1"), **extra).items() if v is not None}
    result = run_module(lambda_invocation.main, args)
    assert result["failed"] is True and result["nothing_sent"] is True, result
    assert words in result["msg"]
