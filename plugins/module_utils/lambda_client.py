# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Lambda calls of cloudhooks.aws.lambda_invocation: client, retries, the one invoke loop.

- The client never lets botocore resend (``total_max_attempts: 1``) and waits ``timeout``
  seconds for an answer: a request that may have reached the function is never sent twice.
- ERRORS says, once, what each error of Invoke means for the function (docs/lifecycle.md, "Retries
  before the function runs", gives the source of each row); amazon.aws's backoff (AWSRetry)
  retries only what did not run, within the task's timeout.
- A durable function is invoked with its execution name (the invocation's idempotency key), and a
  marker being recovered is looked up by that name first (durable.py).
- run_keys() makes every key's invocations, keys at once on a thread pool, one key's in order, and
  turns each key's end into an outcome (invocation.py): the one place where a failure is classified.
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
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import NameTaken
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import NotDurable
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import StillRunning
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import ended
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import entry_of
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import execution
from ansible_collections.cloudhooks.aws.plugins.module_utils.durable import reattached
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import DONE
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import FUNCTION_ERROR
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import NOT_COMPLETED
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import UNKNOWN
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import outcome
from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import unmet
from ansible_collections.cloudhooks.aws.plugins.module_utils.options import EVENT

# What an error of Invoke says about the function: one row per error code of Invoke in botocore's
# Lambda model (45 in botocore 1.44.8), with its source in docs/lifecycle.md.
DID_NOT_RUN = "did not run"  # Lambda answered before the handler started, and may not later: retried
MAY_HAVE_RUN = "may have run"  # never resent; the outcome is unknown
REFUSED = "refused"  # the function surely did not run, and sending it again cannot help: not retried
ERRORS: Dict[str, str] = {
    "TooManyRequestsException": DID_NOT_RUN,
    "ResourceConflictException": DID_NOT_RUN,
    "ResourceNotReadyException": DID_NOT_RUN,
    "EC2ThrottledException": DID_NOT_RUN,
    "ENINotReadyException": DID_NOT_RUN,
    "SnapStartNotReadyException": DID_NOT_RUN,
    "SnapStartRegenerationFailureException": DID_NOT_RUN,
    "EFSMountTimeoutException": DID_NOT_RUN,
    "CodeArtifactUserPendingException": DID_NOT_RUN,
    "CodeArtifactUserDeletedException": DID_NOT_RUN,
    "ConnectionNotMade": DID_NOT_RUN,  # no connection was made: no byte of the request was sent
    "ServiceException": MAY_HAVE_RUN,
    "EFSIOException": MAY_HAVE_RUN,
    "ReadTimeout": MAY_HAVE_RUN,  # no answer within the task's timeout
    "ConnectionClosed": MAY_HAVE_RUN,  # the connection was closed before the answer
    "CodeArtifactUserFailedException": REFUSED,
    "DurableExecutionAlreadyStartedException": REFUSED,  # looked up first (durable.py)
    "EC2AccessDeniedException": REFUSED,
    "EC2UnexpectedException": REFUSED,
    "EFSMountConnectivityException": REFUSED,
    "EFSMountFailureException": REFUSED,
    "ENILimitReachedException": REFUSED,
    "InvalidParameterValueException": REFUSED,
    "InvalidRequestContentException": REFUSED,
    "InvalidRuntimeException": REFUSED,
    "InvalidSecurityGroupIDException": REFUSED,
    "InvalidSubnetIDException": REFUSED,
    "InvalidZipFileException": REFUSED,
    "KMSAccessDeniedException": REFUSED,
    "KMSDisabledException": REFUSED,
    "KMSInvalidStateException": REFUSED,
    "KMSNotFoundException": REFUSED,
    "ModeNotSupportedException": REFUSED,
    "NoPublishedVersionException": REFUSED,
    "RecursiveInvocationException": REFUSED,
    "RequestTooLargeException": REFUSED,
    "ResourceNotFoundException": REFUSED,
    "RuntimeAliasDeletedException": REFUSED,
    "RuntimeVersionDeletedException": REFUSED,
    "S3FilesMountConnectivityException": REFUSED,
    "S3FilesMountFailureException": REFUSED,
    "S3FilesMountTimeoutException": REFUSED,
    "SerializedRequestEntityTooLargeException": REFUSED,
    "ServiceQuotaExceededException": REFUSED,
    "SnapStartException": REFUSED,
    "SnapStartTimeoutException": REFUSED,
    "SubnetIPAddressLimitReachedException": REFUSED,
    "UnsupportedMediaTypeException": REFUSED,
}

# The first botocore whose Lambda model has Invoke's TenantId, and DurableExecutionName.
BOTOCORE_FOR_TENANT_ID = "1.41.0"
BOTOCORE_FOR_DURABLE = "1.42.1"

# Where a user can give the connection options; group/amazon.aws.aws does not reach this module.
HOW_TO_CONNECT = (
    "on the task, with module_defaults for group/cloudhooks.aws.aws (group/amazon.aws.aws does not "
    "reach this module), or in the environment"
)

# The aws_config settings this module sets itself, over the user's: botocore never resends, waits
# ``timeout`` seconds for an answer and 30 seconds for a connection.
OVERRIDDEN_AWS_CONFIG = ("retries", "read_timeout", "connect_timeout")
# amazon.aws's backoff: 2 s, doubling, at most 30 s between two attempts.
FIRST_DELAY, MAX_DELAY = 2, 30


def error_code(error: BaseException) -> str:
    """The error's code as ERRORS names it."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError)):
        return "ConnectionNotMade"
    if isinstance(error, ReadTimeoutError):
        return "ReadTimeout"
    if isinstance(error, ConnectionClosedError):
        return "ConnectionClosed"
    return type(error).__name__


def what_it_means(error: BaseException) -> str:
    """DID_NOT_RUN, MAY_HAVE_RUN or REFUSED. A code the table does not know (a newer model's): a 4xx
    answer refused the request, anything else may have run."""
    known = ERRORS.get(error_code(error))
    if known is not None:
        return known
    if isinstance(error, (NoCredentialsError, ParamValidationError)):
        return REFUSED  # botocore did not send the request
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) if isinstance(error, ClientError) else 0
    return REFUSED if 400 <= status < 500 else MAY_HAVE_RUN


class InvokeRetry(AWSRetry):
    """amazon.aws's backoff, narrowed to the errors after which the function did not run."""

    base_class = (ClientError, EndpointConnectionError, ConnectTimeoutError)

    @staticmethod
    def status_code_from_exception(error: Exception) -> str:
        return error_code(error)

    @staticmethod
    def found(response_code: str, catch_extra_error_codes: Any = None) -> bool:
        return ERRORS.get(response_code) == DID_NOT_RUN


def retries_within(timeout: int) -> int:
    """How many retries amazon.aws's backoff makes within ``timeout`` seconds at the most."""
    retries, total, delay = 0, 0, FIRST_DELAY
    while total + min(delay, MAX_DELAY) <= timeout:
        total += min(delay, MAX_DELAY)
        delay, retries = delay * 2, retries + 1
    return max(retries, 1)


def client_config(user: Optional[Dict[str, Any]], timeout: int, pool: int = 10) -> Any:
    """The user's aws_config, except for the settings in OVERRIDDEN_AWS_CONFIG (and a connection
    pool as large as the number of keys invoked at once)."""
    ours = Config(read_timeout=timeout, connect_timeout=30, retries={"total_max_attempts": 1},
                  max_pool_connections=max(pool, 10))
    return Config(**user).merge(ours) if user else ours


def lambda_client(module: Any, timeout: int, pool: int = 10) -> Any:
    retry = InvokeRetry.jittered_backoff(retries=retries_within(timeout), delay=FIRST_DELAY, max_delay=MAX_DELAY)
    config = client_config(module.params.get("aws_config"), timeout, pool)
    return module.client("lambda", retry_decorator=retry, aws_config=config)


def invoke(client: Any, invocation: Invocation, *, dry_run: bool, tail_log: bool, invocation_type: str,
           durable: bool = False) -> Dict[str, Any]:
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
    if durable and invocation.key and not dry_run:
        params["DurableExecutionName"] = invocation.key
    return described(invocation, client.invoke(aws_retry=True, **params), dry_run)


def described(invocation: Invocation, response: Mapping[str, Any], dry_run: bool) -> Dict[str, Any]:
    entry = invocation.describe()
    entry.pop("lookup", None)
    entry["status_code"] = response.get("StatusCode")
    if dry_run:
        entry["dry_run"] = True
        return entry
    if response.get("DurableExecutionArn"):
        entry["durable_execution_arn"] = response["DurableExecutionArn"]
    if response.get("StatusCode") == 202:
        entry["queued"] = True  # Event: Lambda answers nothing about the function's run
        return entry
    entry["executed_version"] = response.get("ExecutedVersion")
    body = response.get("Payload")
    if body is not None and not isinstance(body, (str, bytes)):
        body = body.read()
    entry["response"] = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
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
    meaning = what_it_means(error)
    kind = UNKNOWN if meaning == MAY_HAVE_RUN else NOT_COMPLETED
    if isinstance(error, ReadTimeoutError):
        return kind, ("no answer within timeout=%d seconds during %s; it was sent once and not resent, and the "
                      "function may still be running" % (timeout, where))
    if isinstance(error, ConnectionClosedError):
        return kind, ("the connection was closed before an answer during %s; it was sent once and not resent, "
                      "and the function may still be running" % where)
    if isinstance(error, NoCredentialsError):
        return kind, "no AWS credentials for %s: give access_key and secret_key, or profile, %s" % (where, HOW_TO_CONNECT)
    if isinstance(error, ParamValidationError):
        return kind, "botocore refused the parameters of %s before sending it: %s" % (where, error)
    if error_code(error) == "ResourceNotFoundException":
        return kind, "function %s not found for the %s invocation: %s" % (
            invocation.target.describe(), invocation.action, error)
    text = "failed to invoke %s for the %s invocation: %s" % (invocation.target.describe(), invocation.action, error)
    if meaning == DID_NOT_RUN:
        text += " (the function did not run; retried until timeout=%d seconds ran out)" % timeout
    elif meaning == MAY_HAVE_RUN:
        text += " (the function may have run, so it was not sent again)"
    return kind, text


class Call:
    """What one module run needs to make invocations: the client, how, and which targets are durable."""

    def __init__(self, client: Any, *, dry_run: bool, tail_log: bool, timeout: int, invocation_type: str,
                 expect_result: Optional[Mapping[str, Any]] = None,
                 durable: Optional[Callable[[Invocation], bool]] = None) -> None:
        self.client = client
        self.dry_run, self.tail_log, self.timeout, self.invocation_type = dry_run, tail_log, timeout, invocation_type
        self.expect_result = expect_result
        self.durable = durable or (lambda invocation: False)

    def one(self, invocation: Invocation) -> Dict[str, Any]:
        """One invocation's entry; raises what Invoke raised. A durable function's is sent with its name;
        a marker being recovered is looked up by that name first (durable.py)."""
        durable = self.durable(invocation) if (invocation.lookup or not self.dry_run) else False
        status = None
        if invocation.lookup:  # read only, so in check mode too
            if not durable:
                raise NotDurable("%s is not a durable function, so Lambda cannot say whether the %s invocation "
                                 "in flight ran" % (invocation.target.describe(), invocation.action))
            found = execution(self.client, invocation)
            if ended(found):
                return entry_of(invocation, found, "lambda")  # type: ignore[arg-type]
            status = str(found.get("Status")) if found else "not found"
        try:
            entry = invoke(self.client, invocation, dry_run=self.dry_run, tail_log=self.tail_log,
                           invocation_type=self.invocation_type, durable=durable)
        except ClientError as exc:
            if not durable or self.dry_run or error_code(exc) != "DurableExecutionAlreadyStartedException":
                raise
            entry = reattached(self.client, invocation, self.timeout)
        if status is not None:
            entry.update(recovered="lambda", execution_status=status)
        return entry

    def unmet(self, entry: Mapping[str, Any]) -> Optional[str]:
        """Why a response does not meet expect_result (docs/lifecycle.md, "Exactly once"); None when it does."""
        if not self.expect_result or self.dry_run or "response" not in entry:
            return None
        try:
            found = json.loads(entry.get("response") or "")
        except (ValueError, RecursionError):
            return "the response is not JSON"
        return unmet(self.expect_result, found)


def run_key(call: Call, planned: List[Invocation], finished: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
    """One key's invocations, in order (a replace's delete before its create), to the first failure."""
    done: List[Dict[str, Any]] = []
    result: Optional[str] = None
    log: Optional[str] = None
    for invocation in planned:
        try:
            entry = call.one(invocation)
        except NotDurable as exc:
            return outcome(NOT_COMPLETED, done, str(exc), not_durable=True)
        except (NameTaken, StillRunning) as exc:
            return outcome(NOT_COMPLETED if isinstance(exc, NameTaken) else UNKNOWN, done, str(exc))
        except Exception as exc:  # pylint: disable=broad-except  # each key fails on its own, as data
            kind, msg = classify(exc, invocation, call.timeout)
            return outcome(kind, done, msg, result=result, log=log)
        if entry.get("function_error"):
            return outcome(FUNCTION_ERROR, done, entry.pop("error_message", None) or function_error_message(entry),
                           failed_invocation=entry, log=entry.get("log"))
        why = call.unmet(entry)
        if why:
            entry["expect_result"] = "not met: %s" % why
            msg = "the response of the %s invocation of %s does not meet expect_result: %s" % (
                invocation.action, invocation.target.describe(), why)
            return outcome(FUNCTION_ERROR, done, msg, failed_invocation=entry, log=entry.get("log"))
        done.append(entry)
        finished(entry)
        if entry["action"] in ("create", "update") and not call.dry_run and call.invocation_type != EVENT:
            result = entry.get("response")
        log = entry.get("log", log)
    return outcome(DONE, done, result=result, log=log)


def run_keys(call: Call, keys: Mapping[str, List[Invocation]], *, workers: int) -> Tuple[Dict[str, Dict[str, Any]], List[Dict[str, Any]]]:
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
        futures = {key: pool.submit(run_key, call, planned, finished(key)) for key, planned in keys.items()}
        return {key: future.result() for key, future in futures.items()}, completed
