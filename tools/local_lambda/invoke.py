# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Invoke operation: resolve FunctionName/Qualifier like AWS, run the handler, shape the answer.

`handle_invoke(response, host)` is called by the patched `LambdaResponse.invoke` (see server.py)
with moto's parsed request object, so moto has already worked out the account and region, and
with an `InvokeHost`: all this module needs from the server that received the request. It
returns moto's (status, headers, body) triple.

A durable function's invocation is a durable execution (durable.py keeps them): the first Invoke
of a name runs the handler, later ones with the same payload get that execution's outcome. Faults
the server was told to inject (faults.py) apply just before the handler would run, or after it ran.
"""
from __future__ import annotations

import base64
import datetime
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs, unquote

from . import durable
from .errors import ApiError
from .faults import Fault, FaultPlan
from .processes import RunningProcesses, kill_group, unpack_zip

if TYPE_CHECKING:
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.responses import LambdaResponse

BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")
LOG_TAIL_BYTES = 4096
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")

# FunctionName as the API accepts it (the NamespacedFunctionName pattern of botocore's model):
# name, name:qualifier, partial ARN 123456789012:function:name[:qualifier], or the full ARN.
_FUNCTION_NAME = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:(?P<region>[a-z0-9-]+):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9_.-]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)
_INVOKE_PATH = re.compile(r"/functions/(?P<function>.+?)/invocations/?$")


@dataclass(frozen=True)
class InvokeHost:
    """What running an invocation needs from the server that received it, and nothing more."""

    endpoint_url: str  # given to the handler as AWS_ENDPOINT_URL: boto3 in a handler calls this endpoint
    work_dir: str  # unpacked packages (code/<digest>) and each invocation's scratch directory
    processes: RunningProcesses  # handler processes, killed when the server stops
    count_invocation: Callable[[str, str], None]  # (function name, invocation type), once per Invoke request
    answer_with_request_id: Callable[[str], None]  # the invocation's request id becomes x-amzn-RequestId
    count_handler_run: Callable[[str], None] = lambda name: None  # (function name), once per handler process
    faults: FaultPlan = field(default_factory=FaultPlan)  # errors, delays and dropped answers to inject
    drop_connection: Callable[[], None] = lambda: None  # close this request's connection without an answer


@dataclass
class Target:
    """What an Invoke request named: the function, the qualifier and how it was spelled."""

    name: str
    qualifier: str | None
    region: str | None
    account: str | None


def parse_target(function_name: str, qualifier_param: str | None) -> Target:
    match = _FUNCTION_NAME.match(function_name)
    if not match:
        raise ApiError(
            400, "ValidationException",
            f"1 validation error detected: Value '{function_name}' at 'functionName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_FUNCTION_NAME.pattern}",
        )
    qualifier = match["qualifier"]
    if qualifier and qualifier_param and qualifier != qualifier_param:
        raise ApiError(
            400, "InvalidParameterValueException",
            "The derived qualifier from the function name does not match the specified qualifier.",
        )
    return Target(match["name"], qualifier or qualifier_param, match["region"], match["account"])


def resolve(response: LambdaResponse, target: Target) -> LambdaFunction:
    """The function object moto stores for $LATEST, a published version, or the version an alias names."""
    from moto.awslambda.exceptions import LambdaClientError

    region, account = response.region, response.current_account
    arn = f"arn:aws:lambda:{target.region or region}:{target.account or account}:function:{target.name}"
    if target.qualifier:
        arn += f":{target.qualifier}"
    if (target.region or region) != region or (target.account or account) != account:
        raise ApiError(404, "ResourceNotFoundException", f"Function not found: {arn}")
    try:
        fn = response.backend.get_function(target.name, target.qualifier)
    except LambdaClientError as exc:
        raise ApiError(404, "ResourceNotFoundException", f"Function not found: {arn}") from exc
    if fn is None:  # moto keeps None once $LATEST alone was deleted
        raise ApiError(404, "ResourceNotFoundException", f"Function not found: {arn}")
    return fn


@dataclass
class Invocation:
    """Everything the run needs, copied from moto's objects before the handler starts."""

    request_id: str
    function_name: str
    version: str
    invoked_arn: str
    handler: str
    runtime: str
    timeout: float
    memory_mb: int
    region: str
    env: dict[str, str]
    code: bytes
    code_sha: str
    event: Any
    tenant_id: str | None = None
    client_context: dict[str, Any] | None = None
    task_root: str = ""
    env_extra: dict[str, str] = field(default_factory=dict)  # set by the endpoint, after the function's own
    log_group: str = field(init=False)
    log_stream: str = field(init=False)

    def __post_init__(self) -> None:
        self.log_group = f"/aws/lambda/{self.function_name}"
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y/%m/%d")
        self.log_stream = f"{today}/[{self.version}]{uuid.uuid4().hex}"


@dataclass
class Outcome:
    payload: bytes
    function_error: str | None
    log: str
    timed_out: bool = False


def handle_invoke(response: LambdaResponse, host: InvokeHost) -> tuple[int, dict[str, Any], Any]:
    path = unquote(response.path)
    match = _INVOKE_PATH.search(path)
    function_name = match["function"] if match else path
    qualifier_param = parse_qs(response.parsed_url.query).get("Qualifier", [None])[0]
    invocation_type = response.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    execution_name = response.headers.get("X-Amz-Durable-Execution-Name")
    host.count_invocation(_counted_name(function_name), invocation_type)
    fault: Fault | None = None
    try:
        target = parse_target(function_name, qualifier_param)
        if invocation_type not in INVOCATION_TYPES:
            raise ApiError(
                400, "ValidationException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(INVOCATION_TYPES)}]",
            )
        fn = resolve(response, target)
        config = durable.config_of(fn)
        if config is not None:
            durable.check_invoke(config, target.qualifier, execution_name, invocation_type)
        if invocation_type == "DryRun":
            return 204, {"status": 204}, ""
        invocation = _prepare(response, target, fn)
        if config is not None and config.get("ExecutionTimeout"):
            invocation.timeout = min(invocation.timeout, float(config["ExecutionTimeout"]))
        invocation.task_root = task_root(host, invocation.code_sha, invocation.code)
        fault = host.faults.take(fn.function_name, target.qualifier)  # after every check of Invoke's own
        if fault is not None and fault.when == "before":
            faulted = _answer_fault(host, fault)
            if faulted is not None:
                return faulted
            fault = None  # only a delay: now run as usual
        host.answer_with_request_id(invocation.request_id)
        if config is not None:
            answer = _invoke_durable(host, fn, invocation, _raw_payload(response), execution_name, invocation_type,
                                     response.headers.get("X-Amz-Log-Type") == "Tail")
        elif invocation_type == "Event":
            threading.Thread(target=_run_logged, args=(host, fn, invocation), daemon=True).start()
            answer = 202, {"status": 202}, ""
        else:
            outcome = _run_logged(host, fn, invocation)
            answer = _answer(invocation.version, outcome.payload, outcome.function_error,
                             outcome.log if response.headers.get("X-Amz-Log-Type") == "Tail" else None)
    except ApiError as exc:
        return exc.response()
    if fault is not None:  # when == "after": the handler ran (or is running, for Event)
        return _answer_fault(host, fault) or answer
    return answer


def _answer(version: str, payload: bytes, function_error: str | None, log: str | None,
            extra: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], bytes]:
    """A RequestResponse answer: HTTP 200 whether or not the function failed."""
    headers: dict[str, Any] = {"status": 200, "Content-Type": "application/json", "X-Amz-Executed-Version": version}
    headers.update(extra or {})
    if function_error:
        headers["X-Amz-Function-Error"] = function_error
    if log is not None:
        headers["X-Amz-Log-Result"] = base64.b64encode(log.encode()[-LOG_TAIL_BYTES:]).decode()
    return 200, headers, payload


def _answer_fault(host: InvokeHost, fault: Fault) -> tuple[int, dict[str, Any], str] | None:
    """What an injected fault answers, after its delay: the error, a closed connection, or (None)
    the normal answer."""
    if fault.delay_seconds:
        time.sleep(fault.delay_seconds)
    if fault.close:
        host.drop_connection()
        return 200, {"status": 200}, ""
    if fault.error is None:
        return None
    message = fault.message or f"local_lambda: injected {fault.error} ({fault.when} the handler)"
    return ApiError(fault.status(), fault.error, message).response()


def _raw_payload(response: LambdaResponse) -> bytes:
    raw = response.raw_body or b""
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def _invoke_durable(host: InvokeHost, fn: LambdaFunction, invocation: Invocation, payload: bytes,
                    name: str | None, invocation_type: str, tail: bool) -> tuple[int, dict[str, Any], Any]:
    """Start a durable execution, or answer with the one this name and payload already started."""
    invoked_arn = invocation.invoked_arn
    execution, created = durable.STORE.start(fn, invoked_arn, name, payload)
    arn_header = {"X-Amz-Durable-Execution-Arn": execution.arn}
    invocation.env_extra = {"LOCAL_LAMBDA_DURABLE_EXECUTION_ARN": execution.arn,
                            "LOCAL_LAMBDA_DURABLE_EXECUTION_NAME": execution.name}
    if invocation_type == "Event":
        if created:
            threading.Thread(target=_run_execution, args=(host, fn, invocation, execution), daemon=True).start()
        return 202, {"status": 202, "X-Amz-Executed-Version": execution.version, **arn_header}, ""
    if created:
        outcome = _run_execution(host, fn, invocation, execution)
        return _answer(execution.version, outcome.payload, outcome.function_error, outcome.log if tail else None, arn_header)
    execution.done.wait()  # a synchronous call re-attaches to a running execution
    if execution.status == "SUCCEEDED":
        return _answer(execution.version, execution.result or b"null", None, None, arn_header)
    return _answer(execution.version, execution.error_payload or b"{}", "Unhandled", None, arn_header)


def _run_execution(host: InvokeHost, fn: LambdaFunction, invocation: Invocation, execution: durable.Execution) -> Outcome:
    """Run the handler once for a new execution and close it with what the handler answered."""
    try:
        outcome = _run_logged(host, fn, invocation)
    except BaseException:
        execution.finish("FAILED", _service_error("Runtime.Unknown", "local_lambda could not run the handler"))
        raise
    if outcome.function_error is None:
        status = "SUCCEEDED"
    elif outcome.timed_out and invocation.timeout < float(fn.timeout):
        status = "TIMED_OUT"  # the execution's ExecutionTimeout ended it, not the function's Timeout
    else:
        status = "FAILED"
    execution.finish(status, outcome.payload)
    return outcome


def _counted_name(function_name: str) -> str:
    match = _FUNCTION_NAME.match(function_name)
    return match["name"] if match else function_name


def _prepare(response: LambdaResponse, target: Target, fn: LambdaFunction) -> Invocation:
    if fn.package_type != "Zip" or not str(fn.run_time or "").startswith("python"):
        raise ApiError(
            502, "InvalidRuntimeException",
            f"local_lambda runs Python zip functions only (this one is PackageType={fn.package_type}, "
            f"Runtime={fn.run_time}).",
        )
    raw = response.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        event = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ApiError(400, "InvalidRequestContentException", f"Could not parse request body into json: {exc}") from None
    client_context = None
    if response.headers.get("X-Amz-Client-Context"):
        try:
            client_context = json.loads(base64.b64decode(response.headers["X-Amz-Client-Context"]))
        except ValueError:
            raise ApiError(
                400, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object."
            ) from None
    invoked_arn = f"arn:{fn.partition}:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"
    if target.qualifier:
        invoked_arn += f":{target.qualifier}"
    return Invocation(
        request_id=str(uuid.uuid4()),
        function_name=fn.function_name,
        version=str(fn.version),
        invoked_arn=invoked_arn,
        handler=fn.handler or "",
        runtime=fn.run_time,
        timeout=float(fn.timeout),
        memory_mb=int(fn.memory_size),
        region=fn.region,
        env={str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
        code=fn.code_bytes,
        code_sha=fn.code_sha_256,
        event=event,
        tenant_id=response.headers.get("X-Amz-Tenant-Id"),
        client_context=client_context,
    )


def task_root(host: InvokeHost, code_sha: str, code: bytes) -> str:
    """The deployment package unpacked once per code digest (like /var/task)."""
    safe = code_sha.replace("/", "_").replace("+", "-").rstrip("=") or "empty"
    path = os.path.join(host.work_dir, "code", safe)
    if not os.path.isdir(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            unpack_zip(code, path)
        except zipfile.BadZipFile:
            raise ApiError(502, "InvalidZipFileException", "Could not unzip uploaded file. Please check your file.") from None
    return path


def _run_logged(host: InvokeHost, fn: LambdaFunction, invocation: Invocation) -> Outcome:
    host.count_handler_run(invocation.function_name)
    outcome = run(host, invocation)
    # Also hand the log to moto's CloudWatch Logs backend, as moto's own Docker runner does.
    fn.logs_backend.ensure_log_group(invocation.log_group)
    fn.save_logs(outcome.log)
    return outcome


def run(host: InvokeHost, invocation: Invocation) -> Outcome:
    """Run the handler in a fresh `sys.executable` process, enforcing the function's Timeout."""
    root = invocation.task_root
    rid = invocation.request_id
    with tempfile.TemporaryDirectory(prefix="invoke-", dir=host.work_dir) as scratch:
        request_path, result_path = os.path.join(scratch, "request.json"), os.path.join(scratch, "result.json")
        started = time.time()
        context = {
            "function_name": invocation.function_name,
            "function_version": invocation.version,
            "invoked_function_arn": invocation.invoked_arn,
            "memory_limit_in_mb": str(invocation.memory_mb),
            "aws_request_id": rid,
            "log_group_name": invocation.log_group,
            "log_stream_name": invocation.log_stream,
            "tenant_id": invocation.tenant_id,
            "client_context": invocation.client_context,
            "deadline_ms": int((started + invocation.timeout) * 1000),
        }
        with open(request_path, "w", encoding="utf-8") as f:
            json.dump({"handler": invocation.handler, "event": invocation.event, "context": context}, f)
        timed_out = False
        proc = subprocess.Popen(
            [sys.executable, "-u", "-B", str(BOOTSTRAP), request_path, result_path],
            cwd=root,
            env=_environment(host, invocation, root, scratch),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout kills the handler's children too
        )
        host.processes.add(proc)
        try:
            output = proc.communicate(timeout=invocation.timeout)[0]
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
            output = proc.communicate()[0]
        finally:
            host.processes.discard(proc)
            kill_group(proc)  # a handler's leftover children do not outlive the invocation
        duration_ms = (time.time() - started) * 1000
        result: dict[str, Any] = {}
        if not timed_out and os.path.exists(result_path):
            with open(result_path, encoding="utf-8") as f:
                result = json.load(f)

    printed = output.decode("utf-8", "replace")
    report_extra = ""
    if timed_out:
        payload = _service_error("Sandbox.Timedout", f"RequestId: {rid} Error: Task timed out after {invocation.timeout:.2f} seconds")
        printed += f"{_timestamp()} {rid} Task timed out after {invocation.timeout:.2f} seconds\n"
        function_error: str | None = "Unhandled"
        report_extra = "Status: timeout"
        duration_ms = invocation.timeout * 1000
    elif not result:
        status = f"signal: {signal.Signals(-proc.returncode).name}" if proc.returncode < 0 else f"exit status {proc.returncode}"
        payload = _service_error("Runtime.ExitError", f"RequestId: {rid} Error: Runtime exited with error: {status}")
        function_error = "Unhandled"
        report_extra = "Status: error\tError Type: Runtime.ExitError"
    elif "error" in result:
        payload = json.dumps(result["error"]).encode()
        function_error = "Unhandled"
    else:
        payload = result["payload"].encode()
        function_error = None

    if printed and not printed.endswith("\n"):
        printed += "\n"
    log = (
        f"START RequestId: {rid} Version: {invocation.version}\n"
        f"{printed}"
        f"END RequestId: {rid}\n"
        f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {math.ceil(duration_ms)} ms\t"
        f"Memory Size: {invocation.memory_mb} MB\tMax Memory Used: {result.get('max_memory_mb', 0)} MB\t"
        f"{report_extra}\n"
    )
    return Outcome(payload, function_error, log, timed_out)


def _environment(host: InvokeHost, invocation: Invocation, root: str, scratch: str) -> dict[str, str]:
    """A Lambda-like environment; nothing is inherited from the server except PATH."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "TMPDIR": scratch,
        # boto3 inside the handler talks to this endpoint, never to AWS.
        "AWS_ENDPOINT_URL": host.endpoint_url,
        "LOCAL_LAMBDA_ENDPOINT": host.endpoint_url,
    }
    env.update(invocation.env)
    env.update({  # reserved: the function's own variables cannot override these (as in AWS)
        "_HANDLER": invocation.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{invocation.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": invocation.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": invocation.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(invocation.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": invocation.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": invocation.log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": invocation.region,
        "AWS_DEFAULT_REGION": invocation.region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "LAMBDA_TASK_ROOT": root,
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
    })
    if invocation.tenant_id is not None:
        env["LOCAL_LAMBDA_TENANT_ID"] = invocation.tenant_id
    env.update(invocation.env_extra)
    return env


def _service_error(error_type: str, message: str) -> bytes:
    # Errors the Lambda service itself produces (not the Python runtime) come compact, type first.
    return json.dumps({"errorType": error_type, "errorMessage": message}, separators=(",", ":")).encode()


def _timestamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
