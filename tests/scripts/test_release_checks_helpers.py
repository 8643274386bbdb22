# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python programs the release checks (nox sessions) run: the get-pip stand-in, the stand-in Lambda
endpoint of the module_defaults step, and the checks of that step and of the build step."""
from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import check_ansible_doc
import check_module_defaults
import get_pip_stand_in
import stand_in_lambda

GOOD_REQUEST = {
    "path": "/2015-03-31/functions/release-checks/invocations",
    "authorization": "AWS4-HMAC-SHA256 Credential=AKIDMODULEDEFAULTS/20260101/eu-west-3/lambda/aws4_request, ...",
    "invocation_type": "RequestResponse",
    "body": '{"probe": "module_defaults"}',
}


def test_get_pip_stand_in_installs_what_was_asked_without_the_no_flags() -> None:
    install, drop = get_pip_stand_in.split_args(["pip==24.0", "--no-setuptools", "--disable-pip-version-check", "--no-wheel"])
    assert install == ["pip==24.0", "--disable-pip-version-check"]
    assert drop == ["setuptools", "wheel"]
    assert get_pip_stand_in.split_args(["pip==24.0"]) == (["pip==24.0"], [])


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[Dict[str, Any]]:
    log = tmp_path / "requests.jsonl"
    server = stand_in_lambda.serve(str(log))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": "http://127.0.0.1:%d" % server.server_address[1], "log": log}
    finally:
        server.shutdown()
        server.server_close()


def _post(url: str, body: bytes, headers: Dict[str, str]) -> Any:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    return urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)


def test_stand_in_lambda_echoes_the_payload_and_records_the_request(stand_in: Dict[str, Any]) -> None:
    path = "/2015-03-31/functions/release-checks/invocations"
    with _post(stand_in["url"] + path, b'{"a": 1}', {"Authorization": "AWS4 Credential=K/x"}) as response:
        assert response.status == 200
        assert response.headers["X-Amz-Executed-Version"] == "$LATEST"
        assert response.read() == b'{"a": 1}'
    with _post(stand_in["url"] + path, b"{}", {"X-Amz-Invocation-Type": "DryRun"}) as response:
        assert response.status == 204
        assert response.read() == b""
    logged = [json.loads(line) for line in stand_in["log"].read_text().splitlines()]
    assert logged == [
        {"path": path, "authorization": "AWS4 Credential=K/x", "invocation_type": "RequestResponse", "body": '{"a": 1}'},
        {"path": path, "authorization": "", "invocation_type": "DryRun", "body": "{}"},
    ]


def test_module_defaults_check_accepts_the_expected_invoke() -> None:
    assert not check_module_defaults.problems([GOOD_REQUEST])


@pytest.mark.parametrize("change, problem", [
    ({"authorization": GOOD_REQUEST["authorization"].replace("eu-west-3", "us-east-1")}, "region from module_defaults not used"),
    ({"authorization": GOOD_REQUEST["authorization"].replace("AKIDMODULEDEFAULTS", "AKIDOTHER")},
     "access_key from module_defaults not used"),
    ({"path": "/2015-03-31/functions/other/invocations"}, "Invoke of another path"),
    ({"body": '{"probe": "other"}'}, "the function got"),
])
def test_module_defaults_check_names_what_differs(change: Dict[str, str], problem: str) -> None:
    found = check_module_defaults.problems([{**GOOD_REQUEST, **change}])
    assert len(found) == 1 and found[0].startswith(problem)


def test_module_defaults_check_wants_exactly_one_invoke() -> None:
    assert check_module_defaults.problems([GOOD_REQUEST, GOOD_REQUEST]) == [
        "expected one Invoke (the second run has a record), got 2"]
    assert check_module_defaults.problems([]) == ["expected one Invoke (the second run has a record), got 0"]


def test_ansible_doc_check() -> None:
    doc = {"filename": "/inst/ansible_collections/cloudhooks/aws/plugins/modules/lambda_invocation.py",
           "options": {"function_name": {}}, "has_action": True}
    data = {check_ansible_doc.MODULE: {"doc": doc}}
    assert not check_ansible_doc.problems(data, "/inst/")
    assert check_ansible_doc.problems(data, "/elsewhere/") == [
        "ansible-doc read %s, not the installed copy under /elsewhere/" % doc["filename"]]
    assert check_ansible_doc.problems({check_ansible_doc.MODULE: {"doc": {**doc, "has_action": False}}}, "/inst/") == [
        "the action plugin was not found"]
    assert check_ansible_doc.problems({}, "/inst/") == ["ansible-doc knows no cloudhooks.aws.lambda_invocation"]
