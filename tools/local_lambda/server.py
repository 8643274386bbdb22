# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local AWS endpoint (moto in server mode) whose Lambda Invoke really runs the Python handler.

Pinned to moto 5.2.5 (requirements/tools.txt). Without Docker, moto 5 cannot run a
handler: its Invoke only echoes, and it drops the `Qualifier` query parameter. This module keeps
moto for everything else (CreateFunction, PublishVersion, CreateAlias, UpdateFunctionCode, IAM,
the /moto-api endpoints, ...) and changes exactly seven moto symbols, while a server started here
is running (reference-counted; the originals come back when the last one stops):

* ``moto.awslambda.responses.LambdaResponse.invoke`` -- replaced. For requests that came
  through a LocalLambdaServer it calls ``local_lambda.invoke.handle_invoke`` with that server's
  ``InvokeHost`` (its endpoint URL, work directory, running processes and two callbacks: count
  an Invoke, answer with this request id; nothing else of the server): resolve the
  function like AWS (name, name:qualifier, partial or full ARN, ``?Qualifier=``, aliases,
  published versions), run its handler from the stored zip in a fresh ``sys.executable``
  process with the function's Environment and Timeout, and answer with the real headers
  (X-Amz-Executed-Version, X-Amz-Function-Error, X-Amz-Log-Result). Other requests (moto used
  in-process through ``mock_aws`` while a server runs) still get moto's original method.
* ``moto.core.responses.BaseResponse.call_action`` -- wrapped, only to note the operation name
  (``self._get_action()``) of each AWS request for the /_local_lambda/requests counter.
* ``moto.awslambda.models.LambdaFunction.__init__``, ``.get_configuration`` and
  ``.update_configuration`` -- wrapped (durable.py) to keep ``DurableConfig``, which moto drops.
* ``moto.s3.responses.S3Response.put_object`` and ``.delete_object`` -- wrapped in one lock. Moto
  checks If-None-Match / If-Match and then writes, in two steps, so two conditional writes racing
  on the threaded server could both pass; on AWS a conditional write is atomic, and so it is here.

Versions run what was published: moto's ``LambdaStorage.publish_version`` copies the function
object, and UpdateFunctionCode / UpdateFunctionConfiguration replace (never mutate) the
``code_bytes`` and ``environment_vars`` attributes this reads, so each version keeps its own.

In front of moto's WSGI app (``DomainDispatcherApplication``) sits a small WSGI app serving
``/_local_lambda/invocations``, ``/_local_lambda/requests``, ``/_local_lambda/latency``,
``/_local_lambda/faults`` and ``/_local_lambda/durable-executions``, and the durable execution
APIs moto lacks (``/2025-12-01/...``: GetDurableExecution, ListDurableExecutionsByFunction). With a
latency (``--latency-ms N``, or POST ``/_local_lambda/latency?ms=N`` while running) every AWS API
response waits N ms before it is sent, as if it had crossed a network. The HTTP server is werkzeug's
threaded server with moto's request handler, with no request timeout, so a long handler blocks
only its own request.

Run: ``python tools/local_lambda/server.py --port 0 [--latency-ms N]`` or ``python -m local_lambda`` (with tools/
on sys.path). It prints ``LOCAL_LAMBDA_ENDPOINT=http://127.0.0.1:PORT`` once ready and serves
until SIGTERM or SIGINT.
"""
from __future__ import annotations

if __name__ == "__main__" and not __package__:  # run as `python tools/local_lambda/server.py`
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from local_lambda.server import main as _main

    sys.exit(_main())

import argparse
import ipaddress
import json
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from http import HTTPStatus
from importlib.metadata import version as _dist_version
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from . import durable
from .faults import FaultPlan
from .invoke import INVOCATION_TYPES, InvokeHost, handle_invoke
from .processes import RunningProcesses

PINNED_MOTO_VERSION = "5.2.5"
ADMIN_PREFIX = "/_local_lambda"
MAX_REQUEST_RECORDS = 100_000

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]


class _Current(threading.local):
    """The server and request record of the request this thread is serving (werkzeug: one thread per request)."""

    host: InvokeHost | None = None
    record: dict[str, Any] | None = None
    request_id: str | None = None
    drop: bool = False


_current = _Current()
_patch_lock = threading.Lock()
_patch_users = 0
_originals: dict[str, Any] = {}


def _check_moto() -> None:
    found = _dist_version("moto")
    if found != PINNED_MOTO_VERSION:
        raise RuntimeError(
            f"local_lambda is written against moto {PINNED_MOTO_VERSION} (see requirements/tools.txt) and patches "
            "LambdaResponse.invoke, BaseResponse.call_action, LambdaFunction.__init__/get_configuration/update_configuration "
            f"and S3Response.put_object/delete_object; found moto {found}. "
            "Install the pinned version, or re-check the hook (tools/local_lambda/server.py) and bump the pin."
        )
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.awslambda.responses import LambdaResponse
    from moto.core.responses import BaseResponse
    from moto.s3.responses import S3Response

    needed = [
        (LambdaResponse, "invoke"), (BaseResponse, "call_action"), (BaseResponse, "_get_action"),
        (LambdaBackend, "get_function"), (LambdaFunction, "save_logs"), (LambdaFunction, "get_configuration"),
        (LambdaFunction, "update_configuration"),
        (S3Response, "put_object"), (S3Response, "delete_object"),
    ]
    missing = [f"{cls.__name__}.{name}" for cls, name in needed if not callable(getattr(cls, name, None))]
    if missing:
        raise RuntimeError(f"local_lambda: moto {found} lacks the patched symbols {', '.join(missing)}")


def _patched_invoke(self: Any) -> Any:
    host = _current.host
    if host is None:
        return _originals["invoke"](self)
    return handle_invoke(self, host)


def _recording_call_action(self: Any) -> Any:
    record = _current.record
    if record is not None and record["operation"] is None:
        try:
            record["operation"] = self._get_action()
        except Exception:  # noqa: BLE001 - counting must never break a request
            pass
    return _originals["call_action"](self)


_s3_write_lock = threading.Lock()


def _serialised(name: str) -> Callable[[Any], Any]:
    def write(self: Any) -> Any:
        with _s3_write_lock:
            return _originals[name](self)

    write.__name__ = name
    return write


def _install_patches() -> None:
    global _patch_users
    with _patch_lock:
        if _patch_users == 0:
            _check_moto()
            from moto.awslambda.responses import LambdaResponse
            from moto.core.responses import BaseResponse

            _originals["invoke"] = LambdaResponse.__dict__["invoke"]
            _originals["call_action"] = BaseResponse.__dict__["call_action"]
            LambdaResponse.invoke = _patched_invoke  # type: ignore[method-assign]
            BaseResponse.call_action = _recording_call_action  # type: ignore[method-assign]
            from moto.s3.responses import S3Response

            for name in ("put_object", "delete_object"):
                _originals["s3." + name] = S3Response.__dict__[name]
                setattr(S3Response, name, _serialised("s3." + name))
            durable.install_moto_patches()
        _patch_users += 1


def _remove_patches() -> None:
    global _patch_users
    with _patch_lock:
        _patch_users -= 1
        if _patch_users == 0:
            from moto.awslambda.responses import LambdaResponse
            from moto.core.responses import BaseResponse

            LambdaResponse.invoke = _originals.pop("invoke")  # type: ignore[method-assign]
            BaseResponse.call_action = _originals.pop("call_action")  # type: ignore[method-assign]
            from moto.s3.responses import S3Response

            for name in ("put_object", "delete_object"):
                setattr(S3Response, name, _originals.pop("s3." + name))
            durable.remove_moto_patches()


def check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"local_lambda serves on loopback addresses only, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"local_lambda serves on loopback addresses only, not {host!r}")


class LocalLambdaServer:
    """One running endpoint. Use `start()`; `stop()` (or leaving the `with` block) shuts it down."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False, *, latency_ms: int = 0) -> None:
        check_loopback(host)
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be 0 or more, not {latency_ms}")
        self.host, self.port, self.log_requests = host, port, log_requests
        self.latency_ms = latency_ms
        self.endpoint_url = ""
        self.work_dir = ""
        self.invoke_host: InvokeHost | None = None
        self._lock = threading.Lock()
        self._invocations: dict[str, Counter[str]] = {}
        self._handler_runs: Counter[str] = Counter()
        self.faults = FaultPlan()
        self._requests: deque[dict[str, Any]] = deque(maxlen=MAX_REQUEST_RECORDS)
        self._request_counts: Counter[str] = Counter()
        self._processes = RunningProcesses()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> LocalLambdaServer:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        _install_patches()
        try:
            handler = MotoRequestHandler if self.log_requests else _quiet_handler_class()
            app = _LocalLambdaApp(self, DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self.host, self.port, app, threaded=True, request_handler=handler)
        except BaseException:
            _remove_patches()
            raise
        self.port = self._server.server_port
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.endpoint_url = f"http://{host}:{self.port}"
        self.work_dir = tempfile.mkdtemp(prefix="local-lambda-")
        self.invoke_host = InvokeHost(
            endpoint_url=self.endpoint_url,
            work_dir=self.work_dir,
            processes=self._processes,
            count_invocation=self._count_invocation,
            answer_with_request_id=_answer_with_request_id,
            count_handler_run=self._count_handler_run,
            faults=self.faults,
            drop_connection=_drop_connection,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-lambda", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = None
        self._processes.kill_all()  # handlers still running (long sleeps, Event invocations)
        _remove_patches()
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> LocalLambdaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _count_invocation(self, function_name: str, invocation_type: str) -> None:
        with self._lock:
            self._invocations.setdefault(function_name, Counter())[invocation_type] += 1

    def _count_handler_run(self, function_name: str) -> None:
        with self._lock:
            self._handler_runs[function_name] += 1

    # -- counters ---------------------------------------------------------------------------
    def invocation_counts(self) -> dict[str, dict[str, int]]:
        """Per function: Invoke requests per InvocationType, their total, and handler_runs (handlers started)."""
        with self._lock:
            names = sorted(set(self._invocations) | set(self._handler_runs))
            result = {}
            for name in names:
                counts = self._invocations.get(name, Counter())
                result[name] = {**{t: counts[t] for t in INVOCATION_TYPES}, **counts, "total": sum(counts.values()),
                                "handler_runs": self._handler_runs[name]}
            return result

    def reset_invocation_counts(self) -> None:
        with self._lock:
            self._invocations.clear()
            self._handler_runs.clear()

    def add_request(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(record)
            self._request_counts[f"{record['service']}.{record['operation']}"] += 1

    def api_requests(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._request_counts.values()),
                "counts": dict(sorted(self._request_counts.items())),
                "requests": list(self._requests),
            }

    def reset_api_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._request_counts.clear()


def start(host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False, latency_ms: int = 0) -> LocalLambdaServer:
    """Start an endpoint in a background thread of this process; returns the running handle."""
    return LocalLambdaServer(host, port, log_requests, latency_ms=latency_ms).start()


def _answer_with_request_id(request_id: str) -> None:
    _current.request_id = request_id


def _drop_connection() -> None:
    _current.drop = True


def _pause(seconds: float) -> None:
    """The added network latency (a function of its own so that tests can see it without timing)."""
    time.sleep(seconds)


def _signing_service(environ: WSGIEnviron) -> str | None:
    """The service of a SigV4 request: Credential=AKID/DATE/REGION/SERVICE/aws4_request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")[3]
    except IndexError:
        return None


def _fallback_operation(environ: WSGIEnviron) -> str | None:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    for part in environ.get("QUERY_STRING", "").split("&"):
        if part.startswith("Action="):
            return part[len("Action="):]
    return None


class _LocalLambdaApp:
    """WSGI app in front of moto: serves /_local_lambda/*, notes every other AWS request."""

    def __init__(self, server: LocalLambdaServer, moto_app: Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]):
        self.server, self.moto_app = server, moto_app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self._admin(environ, start_response)
        record = None
        if not path.startswith("/moto-api"):
            record = {
                "method": environ.get("REQUEST_METHOD"),
                "path": path,
                "service": _signing_service(environ),
                "operation": None,
                "status": None,
            }

        def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if record is not None:
                record["status"] = int(status.split()[0])
            if _current.request_id:  # an Invoke: x-amzn-RequestId is the invocation's request id
                headers = [(k, v) for k, v in headers if k.lower() != "x-amzn-requestid"]
                headers.append(("x-amzn-RequestId", _current.request_id))
            return start_response(status, headers, exc_info)

        _current.host, _current.record, _current.request_id, _current.drop = self.server.invoke_host, record, None, False
        try:
            body = self._durable_api(environ, _start_response, record)
            if body is None:
                body = self.moto_app(environ, _start_response)
            if _current.drop:  # an injected fault: close the connection without any answer
                if record is not None:
                    record["status"] = None
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
                raise ConnectionAbortedError("local_lambda: connection closed without an answer (injected fault)")
            if path == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                durable.STORE.clear()  # durable executions are part of the state moto resets
            if record is not None and self.server.latency_ms:  # AWS API requests only, not /moto-api
                _pause(self.server.latency_ms / 1000)
            return body
        finally:
            _current.host, _current.record, _current.request_id, _current.drop = None, None, None, False
            if record is not None:
                if record["operation"] is None:
                    record["operation"] = _fallback_operation(environ)
                self.server.add_request(record)

    @staticmethod
    def _durable_api(environ: WSGIEnviron, start_response: StartResponse, record: dict[str, Any] | None) -> list[bytes] | None:
        """GetDurableExecution and ListDurableExecutionsByFunction, which moto lacks (durable.py)."""
        if _signing_service(environ) != "lambda" or not environ.get("PATH_INFO", "").startswith(durable.API_PREFIX + "/"):
            return None
        account, region = _caller(environ)
        served = durable.route(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""),
                               environ.get("QUERY_STRING", ""), account, region)
        if served is None:
            return None
        operation, (status, headers, body) = served
        if record is not None:
            record["operation"] = operation
        headers = {**headers, "Content-Length": str(len(body)), "x-amzn-RequestId": str(uuid.uuid4())}
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [body]

    def _admin(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"].rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        routes: dict[str, tuple[Callable[[], Any], Callable[[], None]]] = {
            ADMIN_PREFIX + "/invocations": (self.server.invocation_counts, self.server.reset_invocation_counts),
            ADMIN_PREFIX + "/requests": (self.server.api_requests, self.server.reset_api_requests),
        }
        if path == ADMIN_PREFIX + "/latency":
            return self._latency(environ, start_response)
        if path == ADMIN_PREFIX + "/faults":
            return self._faults(environ, start_response)
        if path == ADMIN_PREFIX + "/durable-executions":
            return _durable_executions(environ, start_response)
        if path not in routes:
            paths = [*routes, ADMIN_PREFIX + "/latency", ADMIN_PREFIX + "/faults", ADMIN_PREFIX + "/durable-executions"]
            return _json_response(start_response, "404 Not Found", {"message": f"no such path {path}", "paths": paths})
        read, reset = routes[path]
        if method == "GET":
            key = "invocations" if path.endswith("invocations") else "requests"
            body = read() if key == "requests" else {"invocations": read()}
            return _json_response(start_response, "200 OK", body)
        if method in ("POST", "DELETE"):
            reset()
            return _json_response(start_response, "200 OK", {"reset": True})
        return _json_response(start_response, "405 Method Not Allowed", {"message": f"{method} not allowed"})

    def _latency(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """GET: {"latency_ms": n}. POST ?ms=N: every AWS API response from now on is delayed by N ms."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            values = parse_qs(environ.get("QUERY_STRING", "")).get("ms", [])
            if len(values) != 1 or not values[0].isdigit():
                return _json_response(start_response, "400 Bad Request", {"message": "give ?ms=N, N a whole number of milliseconds"})
            self.server.latency_ms = int(values[0])
        elif method != "GET":
            return _json_response(start_response, "405 Method Not Allowed", {"message": f"{method} not allowed"})
        return _json_response(start_response, "200 OK", {"latency_ms": self.server.latency_ms})

    def _faults(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """GET: the pending faults. POST (a JSON fault, see faults.py): add one. DELETE: drop them all."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                fault = self.server.faults.add(json.loads(environ["wsgi.input"].read(length) or b"null"))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError too
                return _json_response(start_response, "400 Bad Request", {"message": str(exc)})
            return _json_response(start_response, "200 OK", {"fault": fault.describe()})
        if method == "DELETE":
            self.server.faults.clear()
        elif method != "GET":
            return _json_response(start_response, "405 Method Not Allowed", {"message": f"{method} not allowed"})
        return _json_response(start_response, "200 OK", {"faults": self.server.faults.pending()})


def _durable_executions(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    """GET: every durable execution stored. DELETE ?function=F&name=N (both optional): forget the
    closed ones, as when their retention period ends."""
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "GET":
        return _json_response(start_response, "200 OK", {"durable_executions": durable.admin_list()})
    if method in ("POST", "DELETE"):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        forgotten, running = durable.STORE.forget(query.get("function", [None])[-1], query.get("name", [None])[-1])
        return _json_response(start_response, "200 OK", {"forgotten": forgotten, "running": running})
    return _json_response(start_response, "405 Method Not Allowed", {"message": f"{method} not allowed"})


def _caller(environ: WSGIEnviron) -> tuple[str, str]:
    """(account, region) of a SigV4 request, as moto works them out (unknown keys: moto's default account)."""
    from moto.iam.models import get_account_id_from

    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        return get_account_id_from(scope[0]), scope[2]
    except IndexError:
        return get_account_id_from(""), "us-east-1"


def _json_response(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _quiet_handler_class() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access-log line per request
            pass

    return QuietRequestHandler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local_lambda", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--log-requests", action="store_true", help="log each HTTP request to stderr")
    parser.add_argument(
        "--latency-ms", type=int, default=0, metavar="N",
        help="delay every AWS API response by N milliseconds, as a network would (default 0)",
    )
    args = parser.parse_args(argv)
    try:
        server = start(args.host, args.port, log_requests=args.log_requests, latency_ms=args.latency_ms)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"local_lambda: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"LOCAL_LAMBDA_ENDPOINT={server.endpoint_url}", flush=True)
    while not stopping.wait(0.2):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
