# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors answered the way the Lambda API answers them, and the error codes of Invoke's model.

Lambda (rest-json) errors carry the code in the ``x-amzn-ErrorType`` header and a JSON body
``{"Type": "User" | "Service", "message": ...}``; botocore raises ``ClientError`` whose
``response["Error"]["Code"]`` is that code. `invoke_error_codes()` reads the codes Invoke may
answer, and their HTTP status, from the installed botocore's service model, so error injection
(faults.py) accepts exactly the codes a real client can receive.
"""
from __future__ import annotations

import functools
import json
from typing import Any


class ApiError(Exception):
    """An error answered the way the Lambda API answers it (botocore raises ClientError(code))."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> tuple[int, dict[str, Any], str]:
        headers = {"status": self.status, "Content-Type": "application/json", "x-amzn-ErrorType": self.code}
        kind = "Service" if self.status >= 500 else "User"
        return self.status, headers, json.dumps({"Type": kind, "message": self.message}, separators=(",", ":"))


@functools.lru_cache(maxsize=1)
def invoke_error_codes() -> dict[str, int]:
    """{error code: HTTP status} for every error shape of Invoke in botocore's Lambda model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda").operation_model("Invoke")
    return {shape.name: int(shape.metadata.get("error", {}).get("httpStatusCode", 400)) for shape in model.error_shapes}


def validation_error(value: Any, member: str, constraint: str) -> ApiError:
    """The ValidationException text AWS uses for a request member that breaks its model constraint."""
    return ApiError(
        400, "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}",
    )
