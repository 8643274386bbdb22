# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Lambda calls of cloudhooks.aws.lambda_invocation: client, retries, the one invoke loop.

- The client never lets botocore resend (``total_max_attempts: 1``) and waits ``timeout``
  seconds for an answer: a request that may have reached the function is never sent twice.
- amazon.aws's backoff (AWSRetry) retries only what ERRORS calls "did not run".
- run_keys() makes every key's invocations, keys at once on a thread pool, one key's in order,
  and turns each key's end into an outcome (module_utils/invocation.py): the one place where a
  failure is classified.
"""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

try:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionClosedError
    from botocore.exceptions import ConnectTimeoutError
    from botocore.exceptions import EndpointConnectionError
    from botocore.exceptions import NoCredentialsError
    from botocore.exceptions import ParamValidationError
    from botocore.exceptions import ReadTimeoutError
except ImportError:
    # AnsibleAWSModule reports a missing botocore before any of these is used; the stand-ins only
    # let this file import, since InvokeRetry names the exceptions when it is defined.
    ClientError = ConnectionClosedError = ConnectTimeoutError = EndpointConnectionError = Exception
    NoCredentialsError = ParamValidationError = ReadTimeoutError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import DONE
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import FUNCTION_ERROR
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import NOT_COMPLETED
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import UNKNOWN
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import outcome
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import EVENT

# What an error of Invoke says about the function (docs/lifecycle.md, "Retries before the function runs").
DID_NOT_RUN = "did not run"  # retried with backoff within the task's timeout
MAY_HAVE_RUN = "may have run"  # never resent; the outcome is unknown
REFUSED = "refused"  # not retried; the function surely did not run
ERRORS: Dict[str, str] = {
    "TooManyRequestsException": DID_NOT_RUN,
    "ResourceConflictException": DID_NOT_RUN,
    "ResourceNotReadyException": DID_NOT_RUN,
    "ConnectionNotMade": DID_NOT_RUN,  # no connection was ever made (see InvokeRetry)
}

# The first botocore whose Lambda model has Invoke's TenantId.
BOTOCORE_FOR_TENANT_ID = "1.41.0"

# Where a user can give the connection options; group/amazon.aws.aws does not reach this module.
HOW_TO_CONNECT = (
    "on the task, with module_defaults for group/cloudhooks.aws.aws (group/amazon.aws.aws does not "
    "reach this module), or in the environment"
)

# The aws_config settings this module sets itself, over the user's: botocore never resends, waits
# ``timeout`` seconds for an answer and 30 seconds for a connection.
OVERRIDDEN_AWS_CONFIG = ("retries", "read_timeout", "connect_timeout")


def error_code(error: BaseException) -> str:
    """The error's code as ERRORS names it: the AWS code, or ConnectionNotMade."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError)):
        return "ConnectionNotMade"
    return type(error).__name__


class InvokeRetry(AWSRetry):
    """amazon.aws's backoff, narrowed to the errors after which the function cannot have run."""

    base_class = (ClientError, EndpointConnectionError, ConnectTimeoutError)

    @staticmethod
    def status_code_from_exception(error: Exception) -> str:
        return error_code(error)

    @staticmethod
    def found(response_code: str, catch_extra_error_codes: Any = None) -> bool:
        return ERRORS.get(response_code) == DID_NOT_RUN


def client_config(user: Optional[Dict[str, Any]], timeout: int, pool: int = 10) -> Any:
    """The user's aws_config, except for the settings in OVERRIDDEN_AWS_CONFIG (and a connection
    pool as large as the number of keys invoked at once)."""
    ours = Config(read_timeout=timeout, connect_timeout=30, retries={"total_max_attempts": 1},
                  max_pool_connections=max(pool, 10))
    return Config(**user).merge(ours) if user else ours


def lambda_client(module: Any, timeout: int, pool: int = 10) -> Any:
    retry = InvokeRetry.jittered_backoff(retries=8, delay=2, max_delay=30)
    config = client_config(module.params.get("aws_config"), timeout, pool)
    return module.client("lambda", retry_decorator=retry, aws_config=config)


def invoke(client: Any, invocation: Invocation, *, dry_run: bool, tail_log: bool, invocation_type: str) -> Dict[str, Any]:
    """One Invoke, described as the task reports it (``invocations[]``)."""
    params: Dict[str, Any] = {
        "FunctionName": invocation.target.function_name,
        "Qualifier": invocation.target.qualifier,
        "InvocationType": "DryRun" if dry_run else invocation_type,
        "Payload": invocation.payload,
    }
    if invocation.target.tenant_id:
        params["TenantId"] = invocation.target.tenant_id
    if tail_log and not dry_run:
        params["LogType"] = "Tail"
    response = client.invoke(aws_retry=True, **params)
    entry = invocation.describe()
    entry["status_code"] = response.get("StatusCode")
    if dry_run:
        entry["dry_run"] = True
        return entry
    if response.get("StatusCode") == 202:
        entry["queued"] = True  # Event: Lambda answers nothing about the function's run
        return entry
    entry["executed_version"] = response.get("ExecutedVersion")
    body = response.get("Payload")
    entry["response"] = body.read().decode("utf-8", errors="replace") if body is not None else None
    if response.get("LogResult"):
        entry["log"] = base64.b64decode(response["LogResult"]).decode("utf-8", errors="replace")
    if response.get("FunctionError"):
        entry["function_error"] = response["FunctionError"]
    return entry


def function_error_message(entry: Mapping[str, Any]) -> str:
    detail = (entry.get("response") or "").rstrip(".")
    try:
        error = json.loads(entry.get("response") or "")
    except ValueError:
        error = None
    if isinstance(error, dict) and ("errorMessage" in error or "errorType" in error):
        detail = "%s: %s" % (error.get("errorType", "Error"), str(error.get("errorMessage", "")).rstrip("."))
    return "the function returned an error (%s) during the %s invocation of %s (qualifier %s): %s" % (
        entry["function_error"], entry["action"], entry["function_name"], entry["qualifier"], detail)


def classify(error: BaseException, invocation: Invocation, timeout: int) -> Tuple[str, str]:
    """(outcome kind, message) of an Invoke that raised: the one classification of failures."""
    where = "the %s invocation of %s" % (invocation.action, invocation.target.describe())
    if isinstance(error, ReadTimeoutError):
        return UNKNOWN, ("no answer within timeout=%d seconds during %s; it was sent once and not resent, and the "
                         "function may still be running" % (timeout, where))
    if isinstance(error, ConnectionClosedError):
        return UNKNOWN, ("the connection was closed before an answer during %s; it was sent once and not resent, "
                         "and the function may still be running" % where)
    if isinstance(error, NoCredentialsError):
        return NOT_COMPLETED, "no AWS credentials for %s: give access_key and secret_key, or profile, %s" % (
            where, HOW_TO_CONNECT)
    if isinstance(error, ParamValidationError):
        return NOT_COMPLETED, "botocore refused the parameters of %s before sending it: %s" % (where, error)
    code = error_code(error)
    if code == "ResourceNotFoundException":
        return NOT_COMPLETED, "function %s not found for the %s invocation: %s" % (
            invocation.target.describe(), invocation.action, error)
    what = "failed to invoke %s for the %s invocation: %s" % (invocation.target.describe(), invocation.action, error)
    known = ERRORS.get(code)
    if known in (DID_NOT_RUN, REFUSED) or (known is None and _status(error) in range(400, 500)):
        return NOT_COMPLETED, what
    return UNKNOWN, what


def _status(error: BaseException) -> int:
    if isinstance(error, ClientError):
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def run_key(client: Any, planned: List[Invocation], *, dry_run: bool, tail_log: bool, timeout: int,
            invocation_type: str, finished: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
    """One key's invocations, in order (a replace's delete before its create), to the first failure."""
    done: List[Dict[str, Any]] = []
    result: Optional[str] = None
    log: Optional[str] = None
    for invocation in planned:
        try:
            entry = invoke(client, invocation, dry_run=dry_run, tail_log=tail_log, invocation_type=invocation_type)
        except Exception as exc:  # pylint: disable=broad-except  # each key fails on its own, as data
            kind, msg = classify(exc, invocation, timeout)
            return outcome(kind, done, msg, result=result, log=log)
        if entry.get("function_error"):
            return outcome(FUNCTION_ERROR, done, function_error_message(entry), failed_invocation=entry, log=entry.get("log"))
        done.append(entry)
        finished(entry)
        if entry["action"] in ("create", "update") and not dry_run and invocation_type != EVENT:
            result = entry.get("response")
        log = entry.get("log", log)
    return outcome(DONE, done, result=result, log=log)


def run_keys(client: Any, keys: Mapping[str, List[Invocation]], *, workers: int, dry_run: bool, tail_log: bool,
             timeout: int, invocation_type: str) -> Tuple[Dict[str, Dict[str, Any]], List[Dict[str, Any]]]:
    """Every key's invocations, ``workers`` keys at a time: (outcome by key, invocations in the order
    they completed, each with its key)."""
    completed: List[Dict[str, Any]] = []
    lock = threading.Lock()

    def finished(key: str) -> Callable[[Dict[str, Any]], None]:
        def note(entry: Dict[str, Any]) -> None:
            with lock:
                completed.append(dict(entry, key=key))
        return note

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(keys) or 1))) as pool:
        futures = {key: pool.submit(run_key, client, planned, dry_run=dry_run, tail_log=tail_log, timeout=timeout,
                                    invocation_type=invocation_type, finished=finished(key))
                   for key, planned in keys.items()}
        return {key: future.result() for key, future in futures.items()}, completed
