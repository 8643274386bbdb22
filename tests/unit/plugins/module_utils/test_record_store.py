# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""record_store without a server: URLs, names, and the S3 store's answers to S3's errors (a
botocore Stubber: 409 ConditionalRequestConflict, which moto never sends, 412, 403, NoSuchBucket).
The contract tests against each backend are in tests/integration/test_record_store_contract.py."""

from __future__ import annotations

import re

import pytest
from botocore.stub import Stubber

from ansible_collections.cloudhooks.aws.plugins.module_utils import record_store_s3
from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import (
    ENV_VAR, Conflict, StoreError, decode_name, encode_name, parse_url, store_url,
)


def test_the_option_wins_over_the_environment_which_wins_over_facts():
    assert store_url("file:///a", {ENV_VAR: "file:///b"}) == "file:///a"
    assert store_url(None, {ENV_VAR: "file:///b"}) == "file:///b"
    assert store_url(None, {}) == "facts"


def test_urls():
    assert parse_url("facts").durable is False
    assert parse_url("file:///var/lib/records/").path == "/var/lib/records"
    spec = parse_url("s3://state-bucket/team/a/?region=eu-west-1&profile=ops&endpoint_url=http://127.0.0.1:9")
    assert (spec.bucket, spec.prefix) == ("state-bucket", "team/a")
    assert dict(spec.parameters) == {"region": "eu-west-1", "profile": "ops", "endpoint_url": "http://127.0.0.1:9"}


@pytest.mark.parametrize("url, message", [
    ("file://relative/dir", "three slashes"),
    ("file:///", "absolute directory other than /"),
    ("s3://Bad_Bucket/x", "is not an S3 bucket name"),
    ("s3://bucket/x?regoin=eu-west-1", "may give region, profile and endpoint_url"),
    ("s3://bucket/x?region=a&region=b", "each once"),
    ("redis://host", "must be facts, file:///ABSOLUTE/DIR or s3://BUCKET/PREFIX"),
    ("", "record_store must be"),
])
def test_bad_urls_are_named(url, message):
    with pytest.raises(StoreError, match=message):
        parse_url(url)


@pytest.mark.parametrize("text", ["localhost", "Web1.Example.COM", "..", ".", "a/b", "ünï", "%41", "x" * 500, "tail~"])
def test_names_are_safe_and_reversible_unless_cut(text):
    name = encode_name(text)
    # no path separators, no hidden or relative names, no capitals but in %XX
    assert re.fullmatch(r"(?:[a-z0-9_-]|%[0-9A-F]{2})(?:[a-z0-9_.-]|%[0-9A-F]{2})*(?:~[0-9a-f]{16})?", name), name
    assert len(name) <= 180
    assert decode_name(name) == (None if len(text) > 150 else text)


def test_capitals_are_encoded_so_case_insensitive_file_systems_keep_ids_apart():
    assert encode_name("A") != encode_name("a") and encode_name("A").lower() != encode_name("a")


def s3_store(url="s3://bucket/p"):
    store = record_store_s3.S3Store(parse_url(url), {"region": "us-east-1", "access_key": "a", "secret_key": "b"})
    return store, Stubber(store.client)


@pytest.mark.parametrize("status, code", [(409, "ConditionalRequestConflict"), (412, "PreconditionFailed")])
def test_a_lost_condition_is_a_conflict(status, code):
    store, stub = s3_store()
    stub.add_client_error("put_object", service_error_code=code, http_status_code=status,
                          expected_params={"Bucket": "bucket", "Key": "p/h/i.json", "Body": b'{"a":1}',
                                           "ContentType": "application/json", "IfNoneMatch": "*"})
    stub.add_client_error("put_object", service_error_code=code, http_status_code=status)
    with stub:
        with pytest.raises(Conflict):
            store.create("h", "i", {"a": 1})
        with pytest.raises(Conflict):
            store.replace("h", "i", {"a": 1}, '"etag"')


def test_access_denied_names_the_permissions():
    store, stub = s3_store()
    stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
    with stub, pytest.raises(StoreError, match="access denied for GetObject of s3://bucket/p/h/i.json") as error:
        store.read("h", "i")
    assert "s3:GetObject, s3:PutObject and s3:DeleteObject" in str(error.value)
    assert not isinstance(error.value, Conflict)


def test_missing_bucket_and_missing_key():
    store, stub = s3_store()
    stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    stub.add_client_error("get_object", service_error_code="NoSuchBucket", http_status_code=404)
    with stub:
        assert store.read("h", "i") is None
        with pytest.raises(StoreError, match="the bucket bucket does not exist"):
            store.read("h", "i")


def test_the_url_settings_win_and_a_url_profile_drops_the_task_keys():
    task = {"region": "us-east-1", "endpoint_url": "http://lambda", "access_key": "a", "secret_key": "b",
            "profile": "task-profile"}
    own = record_store_s3.client_arguments(parse_url("s3://bkt/p?region=eu-west-1&profile=state"), task)
    assert (own["region_name"], own["profile"], own["endpoint_url"]) == ("eu-west-1", "state", "http://lambda")
    assert "aws_access_key_id" not in own
    shared = record_store_s3.client_arguments(parse_url("s3://bkt/p"), task)
    assert (shared["region_name"], shared["aws_access_key_id"], shared["profile"]) == ("us-east-1", "a", "task-profile")


def test_preload_loads_botocore_only_when_the_environment_names_s3(monkeypatch):
    from ansible_collections.cloudhooks.aws.plugins.module_utils.record_store import preload

    calls = []
    monkeypatch.setattr(record_store_s3, "warm", lambda: calls.append(1))
    preload({ENV_VAR: "file:///records"})
    preload({})
    assert calls == []
    preload({ENV_VAR: "s3://bucket/p"})
    assert calls == [1]
