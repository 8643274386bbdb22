# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lambda durable functions, as far as a caller of the Lambda API can see them.

* ``DurableConfig`` {ExecutionTimeout, RetentionPeriodInDays, KMSKeyArn} is kept on moto's
  ``LambdaFunction`` objects (moto 5.2.5 drops the field): CreateFunction sets it,
  UpdateFunctionConfiguration changes it on a function that already has it, and every
  FunctionConfiguration moto returns (GetFunction, GetFunctionConfiguration, PublishVersion,
  ListFunctions, ...) carries it. A published version keeps the one it was published with.
* Each Invoke of a durable function is a durable execution (`Execution`), named by
  ``X-Amz-Durable-Execution-Name`` or a generated UUID. Names are unique per function: the same
  name with the same payload is the existing execution; with another payload it is
  ``DurableExecutionAlreadyStartedException`` (409). invoke.py runs the handler; this module keeps
  the executions (for RetentionPeriodInDays after they close, 14 when unset), and serves
  ``GetDurableExecution`` and ``ListDurableExecutionsByFunction`` (`route`).

The store belongs to the process, like moto's state; ``/moto-api/reset`` empties it.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs

from .errors import ApiError, validation_error

if TYPE_CHECKING:
    from moto.awslambda.models import LambdaFunction

API_PREFIX = "/2025-12-01"
CONFIG_ATTRIBUTE = "local_lambda_durable_config"
DEFAULT_RETENTION_DAYS = 14  # CDK's documented default for retentionPeriod (aws_lambda.DurableConfig)
MAX_SYNC_EXECUTION_TIMEOUT = 900
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED")
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")
EXECUTION_ARN = re.compile(
    r"arn:(?P<partition>[a-zA-Z0-9-]+):lambda:(?P<region>[a-zA-Z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<function>[a-zA-Z0-9_-]+):(?P<version>\$LATEST(?:\.PUBLISHED)?|[0-9]+)"
    r"/durable-execution/(?P<name>[a-zA-Z0-9_-]+)/(?P<id>[a-zA-Z0-9_-]+)"
)
_LIST_PATH = re.compile(re.escape(API_PREFIX) + r"/functions/(?P<function>[^/]+)/durable-executions/?")
_GET_PREFIX = API_PREFIX + "/durable-executions/"
_originals: dict[str, Any] = {}

Response = tuple[int, dict[str, str], bytes]


# -- DurableConfig on moto's functions -----------------------------------------------------------
def config_of(fn: Any) -> dict[str, Any] | None:
    """The DurableConfig of a moto function (or published version); None for a plain function."""
    config = getattr(fn, CONFIG_ATTRIBUTE, None)
    return dict(config) if config is not None else None


def _checked_config(value: Any) -> dict[str, Any]:
    """DurableConfig as the model allows it; moto's JsonRESTError (400 ValidationException) otherwise."""
    from moto.awslambda.exceptions import LambdaClientError

    def refuse(text: str) -> LambdaClientError:
        return LambdaClientError("ValidationException", f"1 validation error detected: {text}")

    if not isinstance(value, dict):
        raise refuse(f"Value '{value}' at 'durableConfig' failed to satisfy constraint: Member must be a structure")
    config: dict[str, Any] = {}
    for key, low, high in (("ExecutionTimeout", 1, 31622400), ("RetentionPeriodInDays", 1, 90)):
        if key in value and value[key] is not None:
            number = value[key]
            member = f"durableConfig.{key[0].lower()}{key[1:]}"
            if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
                raise refuse(f"Value '{number}' at '{member}' failed to satisfy constraint: "
                             f"Member must have value between {low} and {high}")
            config[key] = number
    if value.get("KMSKeyArn"):
        config["KMSKeyArn"] = str(value["KMSKeyArn"])
    return config


def _init(self: Any, account_id: str, spec: dict[str, Any], region: str, version: str | int = 1) -> None:
    config = _checked_config(spec["DurableConfig"]) if spec.get("DurableConfig") is not None else None
    _originals["init"](self, account_id, spec, region, version)
    setattr(self, CONFIG_ATTRIBUTE, config)
    STORE.forget_function(account_id, region, self.function_name)  # a new function has no executions


def _get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    config: dict[str, Any] = _originals["get_configuration"](self, *args, **kwargs)
    durable = config_of(self)
    if durable is not None:
        config["DurableConfig"] = durable
    return config


def _update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
    if config_updates.get("DurableConfig") is not None:
        from moto.awslambda.exceptions import InvalidParameterValueException

        config = _checked_config(config_updates["DurableConfig"])
        if config_of(self) is None:  # "You can only enable durable execution when creating a function."
            raise InvalidParameterValueException(
                "Durable execution can only be enabled when the function is created; "
                f"{self.function_name} is not a durable function."
            )
        setattr(self, CONFIG_ATTRIBUTE, config)  # replaced, never mutated: published versions keep theirs
    result: dict[str, Any] = _originals["update_configuration"](self, config_updates)
    return result


def install_moto_patches() -> None:
    from moto.awslambda.models import LambdaFunction

    for name, patched in (("init", _init), ("get_configuration", _get_configuration),
                          ("update_configuration", _update_configuration)):
        attribute = "__init__" if name == "init" else name
        _originals[name] = LambdaFunction.__dict__[attribute]
        setattr(LambdaFunction, attribute, patched)


def remove_moto_patches() -> None:
    from moto.awslambda.models import LambdaFunction

    for name in ("init", "get_configuration", "update_configuration"):
        setattr(LambdaFunction, "__init__" if name == "init" else name, _originals.pop(name))


def check_invoke(config: dict[str, Any], qualifier: str | None, name: str | None, invocation_type: str) -> None:
    """The rules Invoke applies to a durable function before anything runs; ApiError otherwise."""
    if not qualifier:
        raise ApiError(400, "InvalidParameterValueException", "You cannot invoke a durable function using an unqualified ARN.")
    if name is not None and not NAME_PATTERN.fullmatch(name):
        raise validation_error(name, "durableExecutionName",
                               "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ (1 to 64 characters)")
    if invocation_type == "RequestResponse" and config.get("ExecutionTimeout", 0) > MAX_SYNC_EXECUTION_TIMEOUT:
        raise ApiError(400, "InvalidParameterValueException",
                       "You cannot synchronously invoke a durable function with an executionTimeout greater than 15 minutes.")


# -- executions ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Execution:
    """One durable execution. `done` is set once it has closed (any status but RUNNING)."""

    arn: str
    name: str
    account: str
    region: str
    function_name: str
    function_arn: str  # as invoked: with the qualifier the caller gave
    version: str
    durable_config: dict[str, Any]
    input_payload: bytes
    start: float
    status: str = "RUNNING"
    end: float | None = None
    result: bytes | None = None  # the handler's answer, SUCCEEDED only
    error_payload: bytes | None = None  # the function error document Invoke answers with
    error: dict[str, Any] | None = None  # GetDurableExecution's ErrorObject
    done: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False)

    def finish(self, status: str, payload: bytes) -> None:
        """Close with the handler's answer: the result, or the function error document."""
        self.end = _milliseconds(time.time())
        if status == "SUCCEEDED":
            self.result = payload
        else:
            self.error_payload = payload
            self.error = _error_object(payload)
        self.status = status
        self.done.set()

    def retained_until(self) -> float | None:
        if self.end is None:
            return None
        return self.end + 86400 * self.durable_config.get("RetentionPeriodInDays", DEFAULT_RETENTION_DAYS)

    def summary(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "DurableExecutionArn": self.arn,
            "DurableExecutionName": self.name,
            "FunctionArn": self.function_arn,
            "Status": self.status,
            "StartTimestamp": self.start,
        }
        if self.end is not None:
            item["EndTimestamp"] = self.end
        if self.durable_config.get("KMSKeyArn"):
            item["KMSKeyArn"] = self.durable_config["KMSKeyArn"]
        return item

    def details(self, include_data: bool) -> dict[str, Any]:
        item = self.summary()
        item.pop("KMSKeyArn", None)
        item.update({"Version": self.version, "DurableConfig": dict(self.durable_config), "ExecutionDataIncluded": include_data})
        if include_data:
            item["InputPayload"] = self.input_payload.decode("utf-8", "replace")
            if self.result is not None:
                item["Result"] = self.result.decode("utf-8", "replace")
            if self.error is not None:
                item["Error"] = dict(self.error)
        return item


def _milliseconds(moment: float) -> float:
    """Timestamps are kept to the millisecond, so that one read back from a response (and sent as a
    filter) compares equal."""
    return round(moment, 3)


def _error_object(payload: bytes) -> dict[str, Any]:
    """ErrorObject {ErrorType, ErrorMessage, StackTrace} from the runtime's error document."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return {"ErrorMessage": payload.decode("utf-8", "replace")}
    error: dict[str, Any] = {}
    if document.get("errorType") is not None:
        error["ErrorType"] = str(document["errorType"])
    if document.get("errorMessage") is not None:
        error["ErrorMessage"] = str(document["errorMessage"])
    if isinstance(document.get("stackTrace"), list):
        error["StackTrace"] = [str(line) for line in document["stackTrace"]]
    return error


class ExecutionStore:
    """Every durable execution of the process, by (account, region, function, name)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._executions: dict[tuple[str, str, str, str], Execution] = {}
        self.clock = clock

    def _expire(self) -> None:  # caller holds the lock
        now = self.clock()
        for key, execution in list(self._executions.items()):
            until = execution.retained_until()
            if until is not None and until < now:
                del self._executions[key]

    def start(self, fn: LambdaFunction, invoked_arn: str, name: str | None, payload: bytes) -> tuple[Execution, bool]:
        """The execution this Invoke starts (True) or names again with the same payload (False).

        Raises DurableExecutionAlreadyStartedException when the name is taken with another payload.
        """
        config = config_of(fn) or {}
        account, region, function = fn.account_id, fn.region, fn.function_name
        with self._lock:
            self._expire()
            if name is not None:
                existing = self._executions.get((account, region, function, name))
                if existing is not None:
                    if existing.input_payload != payload:
                        raise ApiError(
                            409, "DurableExecutionAlreadyStartedException",
                            f"Durable execution with name {name} already exists with a different input: {existing.arn}",
                        )
                    return existing, False
            name = name or str(uuid.uuid4())
            version = str(fn.version)
            arn = (f"arn:{fn.partition}:lambda:{region}:{account}:function:{function}:{version}"
                   f"/durable-execution/{name}/{uuid.uuid4()}")
            execution = Execution(arn, name, account, region, function, invoked_arn, version, config, payload,
                                  _milliseconds(self.clock()))
            self._executions[(account, region, function, name)] = execution
            return execution, True

    def get(self, arn: str) -> Execution | None:
        with self._lock:
            self._expire()
            return next((e for e in self._executions.values() if e.arn == arn), None)

    def of_function(self, account: str, region: str, function: str) -> list[Execution]:
        with self._lock:
            self._expire()
            return [e for key, e in self._executions.items() if key[:3] == (account, region, function)]

    def all(self) -> list[Execution]:
        with self._lock:
            self._expire()
            return list(self._executions.values())

    def forget(self, function: str | None = None, name: str | None = None) -> tuple[list[str], list[str]]:
        """Drop closed executions (of `function`, named `name`) as if their retention had ended.

        Running ones are kept. Returns (the ARNs forgotten, the ARNs kept because still running).
        """
        forgotten, running = [], []
        with self._lock:
            for key, execution in list(self._executions.items()):
                if function not in (None, execution.function_name) or name not in (None, execution.name):
                    continue
                if execution.status == "RUNNING":
                    running.append(execution.arn)
                else:
                    forgotten.append(execution.arn)
                    del self._executions[key]
        return forgotten, running

    def forget_function(self, account: str, region: str, function: str) -> None:
        with self._lock:
            for key in [k for k in self._executions if k[:3] == (account, region, function)]:
                del self._executions[key]

    def clear(self) -> None:
        with self._lock:
            self._executions.clear()


STORE = ExecutionStore()


# -- GetDurableExecution and ListDurableExecutionsByFunction ---------------------------------------
def route(method: str, path: str, query: str, account: str, region: str) -> tuple[str, Response] | None:
    """Serve a durable execution API request (path as decoded by WSGI); None when it is not one.

    Returns (the operation name, (status, headers, body)).
    """
    if not path.startswith(API_PREFIX + "/"):
        return None
    params = parse_qs(query, keep_blank_values=True)
    match = _LIST_PATH.fullmatch(path)
    operation = None
    if match and method == "GET":
        operation = "ListDurableExecutionsByFunction"
    elif path.startswith(_GET_PREFIX) and method == "GET":
        operation = "GetDurableExecution"
    try:
        if operation == "ListDurableExecutionsByFunction":
            return operation, _json(200, _list(match["function"] if match else "", params, account, region))
        if operation == "GetDurableExecution":
            return operation, _json(200, _get(path[len(_GET_PREFIX):], params, account, region))
        raise ApiError(404, "UnknownOperationException", f"local_lambda does not implement {method} {path}")
    except ApiError as exc:
        status, headers, body = exc.response()
        return operation or "Unknown", (status, {k: str(v) for k, v in headers.items() if k != "status"}, body.encode())


def _json(status: int, body: dict[str, Any]) -> Response:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _get(arn: str, params: dict[str, list[str]], account: str, region: str) -> dict[str, Any]:
    match = EXECUTION_ARN.fullmatch(arn)
    if not match:
        raise validation_error(arn, "durableExecutionArn", f"Member must satisfy regular expression pattern: {EXECUTION_ARN.pattern}")
    execution = STORE.get(arn)
    if execution is None or (match["account"], match["region"]) != (account, region):
        raise ApiError(404, "ResourceNotFoundException", "Durable Execution does not exist")
    include = params.get("IncludeExecutionData", ["true"])[-1].lower() != "false"
    return execution.details(include)


def _list(function_name: str, params: dict[str, list[str]], account: str, region: str) -> dict[str, Any]:
    from .invoke import parse_target  # the FunctionName grammar Invoke uses

    def one(key: str) -> str | None:
        values = params.get(key)
        return values[-1] if values else None

    target = parse_target(function_name, one("Qualifier"))
    version = _resolve_version(target.name, target.qualifier, target.region or region, target.account or account,
                               account, region)
    statuses = params.get("Statuses", [])
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise validation_error(f"[{', '.join(bad)}]", "statuses",
                               f"Member must satisfy enum value set: [{', '.join(STATUSES)}]")
    if len(statuses) > 1:  # API reference: "Array Members: Fixed number of 1 item."
        raise ApiError(400, "InvalidParameterValueException", "Cannot filter by more than one status")
    name = one("DurableExecutionName")
    after, before = _timestamp(one("StartedAfter"), "startedAfter"), _timestamp(one("StartedBefore"), "startedBefore")
    max_items = _max_items(one("MaxItems"))
    oldest_first = (one("ReverseOrder") or "false").lower() == "true"

    found = [
        e for e in STORE.of_function(account, region, target.name)
        if e.version == version and (name is None or e.name == name) and (not statuses or e.status in statuses)
        and (after is None or e.start > after) and (before is None or e.start < before)
    ]
    found.sort(key=lambda e: (e.start, e.arn), reverse=not oldest_first)
    offset = _offset(one("Marker"))
    page = found[offset:offset + max_items]
    body: dict[str, Any] = {"DurableExecutions": [e.summary() for e in page]}
    if offset + max_items < len(found):
        body["NextMarker"] = base64.urlsafe_b64encode(f"offset:{offset + max_items}".encode()).decode()
    return body


def _resolve_version(name: str, qualifier: str | None, target_region: str, target_account: str,
                     account: str, region: str) -> str:
    """The version the listed executions ran: the qualifier's (an alias's target), else $LATEST."""
    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.models import lambda_backends

    arn = f"arn:aws:lambda:{target_region}:{target_account}:function:{name}" + (f":{qualifier}" if qualifier else "")
    if (target_region, target_account) != (region, account):
        raise ApiError(404, "ResourceNotFoundException", f"Function not found: {arn}")
    try:
        fn = lambda_backends[account][region].get_function(name, qualifier)
    except LambdaClientError:
        fn = None
    if fn is None:
        raise ApiError(404, "ResourceNotFoundException", f"Function not found: {arn}")
    return str(fn.version)


def _timestamp(value: str | None, member: str) -> float | None:
    """A query-string timestamp: ISO 8601 (botocore's default) or epoch seconds."""
    if value is None:
        return None
    try:
        return _milliseconds(float(value))
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "SerializationException", f"'{value}' can not be converted to Date ({member})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return _milliseconds(moment.timestamp())


def _max_items(value: str | None) -> int:
    if value is None:
        return 100
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, "SerializationException", f"'{value}' can not be converted to Integer") from None
    if not 0 <= number <= 1000:
        raise validation_error(number, "maxItems", "Member must have value between 0 and 1000")
    return number or 100


def _offset(marker: str | None) -> int:
    if marker is None:
        return 0
    try:
        kind, number = base64.urlsafe_b64decode(marker.encode()).decode().split(":", 1)
        if kind == "offset" and int(number) >= 0:
            return int(number)
    except ValueError:
        pass
    raise ApiError(400, "InvalidParameterValueException", "Invalid Marker")


def admin_list() -> list[dict[str, Any]]:
    """Every stored execution, for /_local_lambda/durable-executions (GET)."""
    return [e.details(True) for e in sorted(STORE.all(), key=lambda e: e.start)]
