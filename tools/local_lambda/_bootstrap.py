# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one Lambda invocation in a fresh interpreter, the way the AWS Python runtime would.

Usage (by local_lambda.invoke, never by hand): python -u -B _bootstrap.py REQUEST.json RESULT.json

The working directory is the unpacked deployment package (LAMBDA_TASK_ROOT). REQUEST.json holds
{"handler", "event", "context": {...}}; this script writes RESULT.json with either
{"payload": "<json text>"} or {"error": {errorMessage, errorType, requestId, stackTrace}}, plus
"max_memory_mb". Whatever the handler prints goes to this process's stdout/stderr, which the
server turns into the invocation log. If the process dies without writing RESULT.json (sys.exit,
a crash, or being killed at the timeout) the server reports the error itself.

This file is standalone on purpose: it imports nothing from local_lambda, so the handler's
import path holds only the task root and the interpreter's own packages.
"""
from __future__ import annotations

import decimal
import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any, Callable


class FaultError(Exception):
    """An init-phase failure with the runtime's own errorType (Runtime.ImportModuleError, ...)."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


class ClientContext:
    def __init__(self, data: dict[str, Any]) -> None:
        self.client = data.get("client")
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    """The attributes of awslambdaric's LambdaContext that handlers use."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.function_name: str = info["function_name"]
        self.function_version: str = info["function_version"]
        self.invoked_function_arn: str = info["invoked_function_arn"]
        self.memory_limit_in_mb: str = info["memory_limit_in_mb"]  # a string, as in the real runtime
        self.aws_request_id: str = info["aws_request_id"]
        self.log_group_name: str = info["log_group_name"]
        self.log_stream_name: str = info["log_stream_name"]
        self.tenant_id: str | None = info.get("tenant_id")
        self.identity = None
        self.client_context = ClientContext(info["client_context"]) if info.get("client_context") else None
        self._deadline_ms: int = info["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
            f"function_version={self.function_version},invoked_function_arn={self.invoked_function_arn},"
            f"tenant_id={self.tenant_id}])"
        )


def load_handler(handler: str) -> Callable[..., Any]:
    """Import the handler like awslambdaric's _get_handler, with the same error types and wording."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}") from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultError(
                "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {modname} as a handler module"
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        stack = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}", stack) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'") from None


def error_from_exception(exc: BaseException, request_id: str) -> dict[str, Any]:
    skip = {__file__, importlib.__file__}
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if f.filename not in skip and not f.filename.startswith("<frozen importlib")
    ]
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(error: dict[str, Any]) -> None:
    """The runtime's '[ERROR] Type: message' log record followed by the traceback."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.append("".join(error["stackTrace"]).rstrip("\n"))
    print("\n".join(lines), file=sys.stderr, flush=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # DynamoDB hands out Decimals; the runtime encodes them as numbers
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def to_json(value: Any) -> str:
    # awslambdaric's Encoder: json's default separators (', ' and ': '), NaN allowed, and on the
    # python3.12+ runtimes ensure_ascii=False.
    return json.dumps(value, default=_json_default, allow_nan=True, ensure_ascii=False)


def run(request: dict[str, Any]) -> dict[str, Any]:
    info = request["context"]
    request_id = info["aws_request_id"]
    try:
        handler = load_handler(request["handler"])
    except FaultError as exc:
        error = {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id, "stackTrace": exc.stack}
        log_error(error)
        return {"error": error}
    except Exception as exc:  # the module's top level raised
        error = error_from_exception(exc, request_id)
        log_error(error)
        return {"error": error}

    try:
        result = handler(request["event"], LambdaContext(info))
    except Exception as exc:
        error = error_from_exception(exc, request_id)
        log_error(error)
        return {"error": error}
    try:
        return {"payload": to_json(result)}
    except (TypeError, ValueError) as exc:
        error = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        }
        log_error(error)
        return {"error": error}


def max_memory_mb() -> int:
    # VmHWM is this process's own peak; ru_maxrss would carry the server's peak over fork+exec.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main(argv: list[str]) -> int:
    request_path, result_path = argv[1], argv[2]
    # sys.path[0] is this file's folder; the handler's modules live in the task root (the cwd).
    sys.path[0] = os.getcwd()
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    outcome = run(request)
    outcome["max_memory_mb"] = max_memory_mb()
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(outcome, f)
    os.replace(result_path + ".tmp", result_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
