# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record stores without a server: URLs, names, the facts store's layout, and the S3 store's answers to S3's errors (a
botocore Stubber: 409 ConditionalRequestConflict, which moto never sends, 412, 403, NoSuchBucket).
The contract tests against each backend are in tests/integration/test_record_store_contract.py."""

from __future__ import annotations

import json
import re

import pytest
from botocore.stub import Stubber

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import facts as facts_store
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import s3 as record_store_s3
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import (
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
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import preload

    calls = []
    monkeypatch.setattr(record_store_s3, "warm", lambda: calls.append(1))
    preload({ENV_VAR: "file:///records"})
    preload({})
    assert calls == []
    preload({ENV_VAR: "s3://bucket/p"})
    assert calls == [1]


# -- the facts store's layout (docs/state.md, "The record") ---------------------------------

FACTS = parse_url("facts")


@pytest.fixture(autouse=True)
def _new_worker():
    """Each test is a worker process of its own: no task of it ran before."""
    facts_store.EARLIER_ATTEMPTS.clear()


def facts_of(facts=None, uuid="task-1"):
    return facts_store.FactsStore(FACTS, "web1", facts or {}, uuid)


def record(n):
    return {"v": 1, "n": n}


def test_a_record_is_one_fact_holding_its_json_text():
    store = facts_of()
    store.create("web1", "seed", {"record": dict(record(1), id="seed")})
    changes = store.changes()
    assert list(changes) == [facts_store.fact_name("seed")]
    assert json.loads(changes[facts_store.fact_name("seed")]) == {"v": 1, "n": 1, "id": "seed"}


def test_the_keys_of_one_id_share_one_fact_whatever_their_number():
    store = facts_of()
    for n in range(500):
        store.create("web1", "tenants[t%d]" % n, {"record": dict(record(n), id="tenants[t%d]" % n)})
    changes = store.changes()
    name = facts_store.fact_name("tenants", facts_store.KEYS_PREFIX)
    assert list(changes) == [name]
    value = json.loads(changes[name])
    assert (value["v"], value["id"], len(value["keys"])) == (1, "tenants", 500)
    again = facts_of(changes, uuid="task-2")
    assert again.read("web1", "tenants[t7]").document["record"]["n"] == 7
    assert sorted(again.ids("web1")) == sorted("tenants[t%d]" % n for n in range(500))


def test_a_key_in_the_layout_before_0_2_0_is_read_and_moved_by_its_first_write():
    old = {facts_store.fact_name("tenants[acme]"): json.dumps(dict(record(1), id="tenants[acme]"))}
    store = facts_of(old)
    found = store.read("web1", "tenants[acme]")
    assert found.document["record"]["n"] == 1
    assert store.ids("web1") == ["tenants[acme]"]
    store.replace("web1", "tenants[acme]", {"record": dict(record(2), id="tenants[acme]")}, found.version)
    changes = store.changes()
    assert changes[facts_store.fact_name("tenants[acme]")] is None  # moved: Ansible cannot remove a fact
    keys = json.loads(changes[facts_store.fact_name("tenants", facts_store.KEYS_PREFIX)])["keys"]
    assert keys == {"acme": {"v": 1, "n": 2, "id": "tenants[acme]"}}


def test_removing_records_sets_their_facts_to_null():
    store = facts_of()
    store.create("web1", "one", {"record": record(1)})
    store.create("web1", "ids[k]", {"record": record(2)})
    store.delete("web1", "one", store.read("web1", "one").version)
    store.delete("web1", "ids[k]", store.read("web1", "ids[k]").version)
    assert set(store.changes().values()) == {None}
    assert store.read("web1", "one") is None and store.ids("web1") == []


def test_records_written_before_0_2_0_carry_no_id_and_are_listed_by_fact():
    old = {facts_store.fact_name("seed"): json.dumps(record(1)), "ansible_distribution": "Debian"}
    store = facts_of(old)
    assert store.ids("web1") == []
    assert store.unnamed() == [(facts_store.fact_name("seed"), record(1))]


def test_a_retried_task_reads_what_its_earlier_attempt_wrote_and_hands_it_on():
    first = facts_of(uuid="task-9")
    first.create("web1", "seed", {"record": record(1)})
    written = first.changes()
    retry = facts_of(uuid="task-9")  # Ansible gave the attempt's facts back to nobody
    assert retry.read("web1", "seed").document["record"] == record(1)
    assert retry.changes() == written  # the last attempt returns them, so Ansible keeps them
    assert facts_of(uuid="task-10").read("web1", "seed") is None  # another task reads only the facts


def test_a_fact_that_is_not_json_is_an_unreadable_record_not_a_crash():
    store = facts_of({facts_store.fact_name("seed"): "{broken"})
    assert store.read("web1", "seed").document["record"] == "{broken"  # the record's own check names it
