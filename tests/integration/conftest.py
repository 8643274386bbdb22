# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end fixtures: one local Lambda endpoint per session, recorder functions, playbook runs
with their own fact cache, a Redis server of our own, and the 65-second run started early.

Run with nox, which installs the core and lays out the collections (see lambda_e2e.py):
    scripts/nox -s e2e-2.22          # or e2e-2.18; nox -s e2e-2.22 -- -k crud passes pytest arguments
The helpers are in lambda_e2e.py; the playbooks in targets/lambda_invocation/.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest

from lambda_e2e import COLLECTIONS, CORE, NEWEST, ROOT, VENV_BIN, Ansible, Function, Functions, Pending, Store, item_args, local_lambda

INSTALL_REDIS = ROOT / "tests" / "integration" / "install_redis_server.sh"

# The long-running test's playbook starts at the beginning of the session and the test, run last,
# collects it: its 65 seconds overlap the other tests instead of adding to them.
LONG_TEST = "test_function_running_past_botocore_read_timeout_is_invoked_once"


@pytest.fixture(scope="session")
def collections_path() -> Path:
    """The collection tree, with the copy of this collection refreshed from the working tree."""
    if not (VENV_BIN / "ansible-playbook").is_file() or not (COLLECTIONS / "ansible_collections/amazon/aws").is_dir():
        pytest.fail("no ansible-playbook in %s or no amazon.aws in %s: run the suite with nox -s e2e-%s"
                    % (VENV_BIN, COLLECTIONS, CORE), pytrace=False)
    subprocess.run(
        [str(VENV_BIN / "python"), str(ROOT / "scripts" / "lay_out_collections.py"),
         "--self", str(ROOT), "--dest", str(COLLECTIONS)],
        check=True, stdout=subprocess.DEVNULL,
    )
    return COLLECTIONS


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    """The local AWS endpoint (moto server whose Lambda functions run), for the whole session."""
    server = local_lambda.start(host="127.0.0.1", port=0)
    try:
        local_lambda.ensure_role(server.endpoint_url)
        yield server.endpoint_url
    finally:
        server.stop()


@pytest.fixture
def functions(endpoint: str, tmp_path: Path, request: pytest.FixtureRequest) -> Functions:
    return Functions(endpoint, tmp_path, request.node.name)


@pytest.fixture
def ansible(endpoint: str, collections_path: Path, tmp_path: Path) -> Ansible:
    return Ansible(endpoint, collections_path, tmp_path)


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, endpoint: str) -> Store:
    """A durable record store of the test's own: a directory, or a bucket on the endpoint's S3. On
    the oldest core only the directory: what differs between the stores does not depend on the core
    (test_record_store_contract.py runs both stores on every core)."""
    if request.param == "s3" and not NEWEST:
        pytest.skip("the S3 side of a store test runs on the newest core only")
    return Store(request.param, tmp_path, endpoint)


@pytest.fixture
def file_store(tmp_path: Path, endpoint: str) -> Store:
    return Store("file", tmp_path, endpoint)


# -- Redis, for the shared-state test ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of our own on a free loopback port, without persistence; yields the
    community.general.redis connection string host:port:db.

    Debian's redis-server is installed first when it is missing, by install_redis_server.sh
    beside this file (apt-get update; apt-get install -y redis-server; needs root).
    """
    import redis

    executable = shutil.which("redis-server")
    if executable is None:
        subprocess.run(["bash", str(INSTALL_REDIS)], check=True)
        executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is missing and %s could not install it" % INSTALL_REDIS, pytrace=False)
    work = tmp_path_factory.mktemp("redis")
    log = (work / "redis.log").open("ab")
    for _attempt in range(3):  # the free port may be taken in between: try another
        port = _free_port()
        process = subprocess.Popen(
            [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", str(work), "--daemonize", "no", "--loglevel", "warning"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        if process.poll() is None:
            break
    else:
        log.close()
        pytest.fail("redis-server did not start; see %s" % (work / "redis.log"), pytrace=False)
    try:
        yield "127.0.0.1:%d:0" % port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# -- the long-running invocation, overlapped with the rest of the session ---------------------


@dataclass
class LongRun:
    function: Function
    pending: Pending


@pytest.fixture(scope="session")
def long_run(endpoint: str, collections_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongRun]:
    """Starts, in the background, one invocation of a function that runs 65 s, with the default timeout."""
    tmp = tmp_path_factory.mktemp("long-run")
    function = Functions(endpoint, tmp, "long-run").deploy("sleeps-65s", timeout=120, SLEEP_SECONDS="65")
    pending = Ansible(endpoint, collections_path, tmp).start(invocations=[item_args(function, input={"job": "long"})])
    try:
        yield LongRun(function, pending)
    finally:
        pending.stop()


@pytest.fixture(scope="session", autouse=True)
def _start_long_run_early(request: pytest.FixtureRequest) -> None:
    if any(item.name == LONG_TEST for item in request.session.items):
        request.getfixturevalue("long_run")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """The long test only collects what started at the beginning of the session: run it last."""
    items.sort(key=lambda item: item.name == LONG_TEST)
