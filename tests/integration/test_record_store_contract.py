# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record stores' contract: the same cases against each backend (facts, file, and S3 on the
session's moto server on 127.0.0.1, which honours If-None-Match and If-Match).

No ansible-playbook here: the stores are driven directly, so these run in seconds.
"""

from __future__ import annotations

import sys
import uuid
from types import SimpleNamespace
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from lambda_e2e import COLLECTIONS, local_lambda


@pytest.fixture(scope="module")
def rs(collections_path: Path) -> Any:
    """The stores' names, from the freshly laid-out collection."""
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils import stores
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import base, facts

    names = {k: getattr(base, k) for k in ("Conflict", "StoreError", "parse_url")}
    return SimpleNamespace(fact_name=facts.fact_name, FACT_PREFIX=facts.FACT_PREFIX, open_store=stores.open_store,
                           FactsStore=facts.FactsStore, **names)


AWS = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing"}
ODD_HOSTS = ["localhost", "Web1.Example.COM", "..", "a/b", "ünï cödé"]
ODD_IDS = ["plain", "Tenant-Provisioner", "../../etc/passwd", "arn:aws:lambda:eu-west-1:1:function:f",
           "x" * 300, "x" * 299, ".hidden", "with space/and%percent", "é"]


def new_bucket(endpoint: str) -> str:
    name = "records-%s" % uuid.uuid4().hex[:12]
    local_lambda.client(endpoint, "s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["facts", "file", "s3"])
def store(rs: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "facts":
        yield rs.open_store(rs.parse_url("facts"), host="h", facts={})
    elif request.param == "file":
        yield rs.open_store(rs.parse_url("file://%s" % tmp_path))
    else:
        endpoint = request.getfixturevalue("endpoint")
        url = "s3://%s/team/records?endpoint_url=%s" % (new_bucket(endpoint), endpoint)
        yield rs.open_store(rs.parse_url(url), aws=AWS)


def doc(n: int, record: Any = None) -> Dict[str, Any]:
    return {"record": record if record is not None else {"n": n}}


def test_nothing_stored_reads_as_none(rs, store):
    assert store.read("localhost", "never") is None


def test_create_then_read_gives_the_document_and_its_version(rs, store):
    version = store.create("localhost", "one", doc(1))
    stored = store.read("localhost", "one")
    assert stored.document["record"] == {"n": 1}
    assert stored.version == version


def test_create_loses_when_a_document_exists(rs, store):
    store.create("localhost", "one", doc(1))
    with pytest.raises(rs.Conflict):
        store.create("localhost", "one", doc(2))
    assert store.read("localhost", "one").document["record"] == {"n": 1}


def test_replace_wins_with_the_current_version_and_loses_with_a_stale_one(rs, store):
    first = store.create("localhost", "one", doc(1))
    second = store.replace("localhost", "one", doc(2), first)
    assert second != first
    with pytest.raises(rs.Conflict):
        store.replace("localhost", "one", doc(3), first)
    stored = store.read("localhost", "one")
    assert (stored.document["record"], stored.version) == ({"n": 2}, second)


def test_delete_needs_the_current_version(rs, store):
    first = store.create("localhost", "one", doc(1))
    second = store.replace("localhost", "one", doc(2), first)
    with pytest.raises(rs.Conflict):
        store.delete("localhost", "one", first)
    assert store.read("localhost", "one") is not None
    store.delete("localhost", "one", second)
    assert store.read("localhost", "one") is None
    store.create("localhost", "one", doc(3))  # and it can be created again
    assert store.read("localhost", "one").document["record"] == {"n": 3}


def test_hosts_and_ids_of_any_spelling_are_kept_apart(rs, store):
    hosts = ODD_HOSTS if store.durable else ["h"]  # the facts store holds the facts of one host
    for h, host in enumerate(hosts):
        for i, record_id in enumerate(ODD_IDS):
            store.create(host, record_id, doc(h * 100 + i))
    for h, host in enumerate(hosts):
        for i, record_id in enumerate(ODD_IDS):
            assert store.read(host, record_id).document["record"] == {"n": h * 100 + i}, (host, record_id)


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_ids_lists_what_a_host_has(rs, kind, tmp_path, request):
    if kind == "file":
        store = rs.open_store(rs.parse_url("file://%s" % tmp_path))
    else:
        endpoint = request.getfixturevalue("endpoint")
        store = rs.open_store(rs.parse_url("s3://%s?endpoint_url=%s" % (new_bucket(endpoint), endpoint)), aws=AWS)
    assert store.ids("localhost") == []
    for record_id in ODD_IDS:
        # the documents carry their id: a name cut for length is read back from it
        store.create("localhost", record_id, {"id": record_id, "record": {}})
    store.create("other", "elsewhere", {"id": "elsewhere", "record": {}})
    assert sorted(store.ids("localhost")) == sorted(ODD_IDS)
    version = store.read("localhost", "plain").version
    store.delete("localhost", "plain", version)
    assert "plain" not in store.ids("localhost")


def test_s3_missing_bucket_is_a_clear_error(rs, endpoint):
    store = rs.open_store(rs.parse_url("s3://no-such-bucket-here/p?endpoint_url=%s" % endpoint), aws=AWS)
    with pytest.raises(rs.StoreError, match="the bucket no-such-bucket-here does not exist"):
        store.read("localhost", "one")


def test_s3_keys_are_under_the_prefix_and_host(rs, endpoint):
    bucket = new_bucket(endpoint)
    url = "s3://%s/team/a?region=us-east-1&endpoint_url=%s" % (bucket, endpoint)
    store = rs.open_store(rs.parse_url(url), aws={"access_key": "testing", "secret_key": "testing"})
    store.create("Web1", "my id", {"record": None})
    keys = [o["Key"] for o in local_lambda.client(endpoint, "s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["team/a/%57eb1/my%20id.json"]


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_corrupted_documents_are_clear_errors(rs, kind, tmp_path, request):
    garbage = b"{not json"
    if kind == "file":
        store = rs.open_store(rs.parse_url("file://%s" % tmp_path))
        store.create("localhost", "one", doc(1))
        Path(store.where("localhost", "one")).write_bytes(garbage)
    else:
        endpoint = request.getfixturevalue("endpoint")
        store = rs.open_store(rs.parse_url("s3://%s?endpoint_url=%s" % (new_bucket(endpoint), endpoint)), aws=AWS)
        store.create("localhost", "one", doc(1))
        key = store.where("localhost", "one").split("/", 3)[3]
        local_lambda.client(endpoint, "s3").put_object(Bucket=store.bucket, Key=key, Body=garbage)
    with pytest.raises(rs.StoreError, match="is unreadable"):
        store.read("localhost", "one")


def test_file_store_needs_an_existing_directory(rs, tmp_path):
    store = rs.open_store(rs.parse_url("file://%s" % (tmp_path / "missing")))
    with pytest.raises(rs.StoreError, match="does not exist"):
        store.read("localhost", "one")
