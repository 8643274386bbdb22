# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local endpoint's S3 makes conditional writes atomic, as AWS does: of many writes racing
with If-None-Match: * (or If-Match: the same ETag) exactly one wins, the others get 412."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import local_lambda  # noqa: E402

RACERS = 8


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """The server runs in this process. Moto checks the condition, then works out the checksum,
    then writes; the checksum step is slowed down here so that racing writes always fall into that
    gap (on a busy machine they sometimes do anyway: that is how a duplicate was once seen)."""
    from moto.s3.responses import S3Response

    original = S3Response._get_checksum

    def slow_checksum(self: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return original(self, *args, **kwargs)

    S3Response._get_checksum = slow_checksum  # type: ignore[method-assign]
    try:
        with local_lambda.start(host="127.0.0.1", port=0) as server:
            client = local_lambda.client(server.endpoint_url, "s3")
            client.create_bucket(Bucket="races")
            yield client
    finally:
        S3Response._get_checksum = original  # type: ignore[method-assign]


def race(write: Callable[[int], None]) -> List[str]:
    """Run ``write(i)`` in RACERS threads released together; the outcome of each."""
    start = threading.Barrier(RACERS)
    outcomes: List[str] = ["?"] * RACERS

    def racer(i: int) -> None:
        start.wait()
        try:
            write(i)
            outcomes[i] = "won"
        except ClientError as exc:
            outcomes[i] = exc.response["Error"]["Code"]

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("round_", range(2))
def test_if_none_match_lets_exactly_one_create_win(s3: Any, round_: int) -> None:
    key = "create-%d" % round_
    outcomes = race(lambda i: s3.put_object(Bucket="races", Key=key, Body=b"%d" % i, IfNoneMatch="*"))
    assert sorted(outcomes) == ["PreconditionFailed"] * (RACERS - 1) + ["won"]


@pytest.mark.parametrize("round_", range(2))
def test_if_match_lets_exactly_one_replace_win(s3: Any, round_: int) -> None:
    key = "replace-%d" % round_
    etag = s3.put_object(Bucket="races", Key=key, Body=b"first")["ETag"]
    outcomes = race(lambda i: s3.put_object(Bucket="races", Key=key, Body=b"%d" % i, IfMatch=etag))
    assert sorted(outcomes) == ["PreconditionFailed"] * (RACERS - 1) + ["won"]
