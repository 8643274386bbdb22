# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision table of docs/lifecycle.md, row by row, as the function would see it (payload bytes)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.desired import parse_desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import MAX_PAYLOAD_BYTES
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import plan_unreadable
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.planner import shared_record_warning
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import fact_name

F = "fn"


def desired(**overrides: Any):
    params: Dict[str, Any] = {"function_name": F, "input": {"a": 1}}
    params.update(overrides)
    return parse_desired(params)


def record(
    scope: str = "CREATE_ONLY",
    value: Any = None,
    key: str = "tf",
    qualifier: str = "$LATEST",
    triggers: Optional[Dict[str, Any]] = None,
    function_name: str = F,
    tenant_id: Optional[str] = None,
    result: Optional[str] = '"stored"',
) -> Record:
    return Record(
        Target(function_name, qualifier, tenant_id),
        scope,
        key,
        triggers or {},
        {"a": 1} if value is None else value,
        result,
    )


def sent(p) -> List[Tuple[str, str, str]]:
    """(action, target, payload) per invocation, payload as the exact text sent."""
    return [
        (i.action, "%s:%s" % (i.target.function_name, i.target.qualifier), i.payload.decode("utf-8"))
        for i in p.invocations
    ]


# -- state: present -------------------------------------------------------------------

PRESENT_ROWS = [
    # id, record, desired options, action, changed, invocations
    (
        "no record, CREATE_ONLY: input as is",
        None,
        {"input": {"a": 1}},
        "create",
        [("create", "fn:$LATEST", '{"a":1}')],
    ),
    (
        "no record, CREATE_ONLY accepts a list",
        None,
        {"input": [1, "x", None]},
        "create",
        [("create", "fn:$LATEST", '[1,"x",null]')],
    ),
    (
        "no record, CREATE_ONLY accepts a JSON string scalar",
        None,
        {"input": '"hello"'},
        "create",
        [("create", "fn:$LATEST", '"hello"')],
    ),
    (
        "no record, CREATE_ONLY accepts a number",
        None,
        {"input": 42},
        "create",
        [("create", "fn:$LATEST", "42")],
    ),
    (
        "no record, CRUD: create block added last",
        None,
        {"input": {"a": 1}, "lifecycle_scope": "CRUD"},
        "create",
        [("create", "fn:$LATEST", '{"a":1,"tf":{"action":"create","prev_input":null}}')],
    ),
    (
        "target differs (qualifier), CREATE_ONLY record: old side dropped",
        record(),
        {"qualifier": "live"},
        "replace",
        [("create", "fn:live", '{"a":1}')],
    ),
    (
        "target differs (qualifier), CRUD record: delete old, then create new",
        record("CRUD", {"a": 1}),
        {"qualifier": "live", "lifecycle_scope": "CRUD"},
        "replace",
        [
            ("delete", "fn:$LATEST", '{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}'),
            ("create", "fn:live", '{"a":1,"tf":{"action":"create","prev_input":null}}'),
        ],
    ),
    (
        "target differs (tenant), CRUD record",
        record("CRUD", tenant_id="t1"),
        {"tenant_id": "t2", "lifecycle_scope": "CRUD"},
        "replace",
        [
            ("delete", "fn:$LATEST", '{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}'),
            ("create", "fn:$LATEST", '{"a":1,"tf":{"action":"create","prev_input":null}}'),
        ],
    ),
    (
        "target differs (function_name, same id), CRUD record uses its own key for delete",
        record("CRUD", key="old", function_name="old-fn"),
        {"function_name": "new-fn", "id": F, "lifecycle_scope": "CRUD"},
        "replace",
        [
            ("delete", "old-fn:$LATEST", '{"a":1,"old":{"action":"delete","prev_input":{"a":1}}}'),
            ("create", "new-fn:$LATEST", '{"a":1,"tf":{"action":"create","prev_input":null}}'),
        ],
    ),
    (
        "triggers differ, CREATE_ONLY",
        record(triggers={"v": "1"}),
        {"triggers": {"v": "2"}},
        "replace",
        [("create", "fn:$LATEST", '{"a":1}')],
    ),
    (
        "triggers added, CRUD",
        record("CRUD"),
        {"triggers": {"v": "1"}, "lifecycle_scope": "CRUD"},
        "replace",
        [
            ("delete", "fn:$LATEST", '{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}'),
            ("create", "fn:$LATEST", '{"a":1,"tf":{"action":"create","prev_input":null}}'),
        ],
    ),
    (
        "force, nothing else differs, CREATE_ONLY",
        record(),
        {"force": True},
        "replace",
        [("create", "fn:$LATEST", '{"a":1}')],
    ),
    (
        "force, CRUD",
        record("CRUD"),
        {"force": True, "lifecycle_scope": "CRUD"},
        "replace",
        [
            ("delete", "fn:$LATEST", '{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}'),
            ("create", "fn:$LATEST", '{"a":1,"tf":{"action":"create","prev_input":null}}'),
        ],
    ),
    (
        "input differs, CREATE_ONLY: replace",
        record(),
        {"input": {"a": 2}},
        "replace",
        [("create", "fn:$LATEST", '{"a":2}')],
    ),
    (
        "input differs, CRUD: update with prev_input",
        record("CRUD"),
        {"input": {"a": 2}, "lifecycle_scope": "CRUD"},
        "update",
        [("update", "fn:$LATEST", '{"a":2,"tf":{"action":"update","prev_input":{"a":1}}}')],
    ),
    (
        "input differs, R CRUD, D CREATE_ONLY: replace deletes with R's block",
        record("CRUD"),
        {"input": {"a": 2}},
        "replace",
        [
            ("delete", "fn:$LATEST", '{"a":1,"tf":{"action":"delete","prev_input":{"a":1}}}'),
            ("create", "fn:$LATEST", '{"a":2}'),
        ],
    ),
    (
        "input differs, R CREATE_ONLY (a list), D CRUD: update with prev_input R.input",
        record(value=[1, 2]),
        {"input": {"a": 2}, "lifecycle_scope": "CRUD"},
        "update",
        [("update", "fn:$LATEST", '{"a":2,"tf":{"action":"update","prev_input":[1,2]}}')],
    ),
    (
        "same input, R CREATE_ONLY, D CRUD: update (Terraform parity)",
        record(),
        {"lifecycle_scope": "CRUD"},
        "update",
        [("update", "fn:$LATEST", '{"a":1,"tf":{"action":"update","prev_input":{"a":1}}}')],
    ),
    (
        "same input, R CREATE_ONLY, D CRUD with another key: still update",
        record(),
        {"lifecycle_scope": "CRUD", "terraform_key": "lc"},
        "update",
        [("update", "fn:$LATEST", '{"a":1,"lc":{"action":"update","prev_input":{"a":1}}}')],
    ),
]


@pytest.mark.parametrize(
    "stored, options, action, invocations",
    [row[1:] for row in PRESENT_ROWS],
    ids=[row[0] for row in PRESENT_ROWS],
)
def test_present_rows_invoke(stored, options, action, invocations):
    p = plan(stored, desired(**options))
    assert p.action == action
    assert p.changed is True
    assert sent(p) == invocations
    assert p.store is True
    assert p.record is not None
    assert p.record.input == desired(**options).input


RECORD_ONLY_ROWS = [
    ("same input, R CRUD, D CREATE_ONLY", record("CRUD"), {}),
    ("same input, only terraform_key differs, CRUD", record("CRUD"), {"lifecycle_scope": "CRUD", "terraform_key": "lc"}),
    ("same input, only terraform_key differs, CREATE_ONLY", record(), {"terraform_key": "lc"}),
]


@pytest.mark.parametrize("stored, options", [r[1:] for r in RECORD_ONLY_ROWS], ids=[r[0] for r in RECORD_ONLY_ROWS])
def test_record_only_updates_invoke_nothing(stored, options):
    d = desired(**options)
    p = plan(stored, d)
    assert (p.action, p.changed, p.invocations, p.store) == ("update", True, (), True)
    assert p.record.scope == d.scope and p.record.key == d.key
    assert p.result == stored.result  # the stored result is kept and returned


@pytest.mark.parametrize("scope", ["CREATE_ONLY", "CRUD"])
def test_nothing_differs_returns_stored_result(scope):
    stored = record(scope, {"b": [1, 2], "a": {"y": 1, "x": 2}}, result='{"ok":true}')
    # key order and white space do not count [ours]
    p = plan(stored, desired(input='{ "a": {"x": 2, "y": 1},\n "b": [1, 2] }', lifecycle_scope=scope))
    assert (p.action, p.changed, p.invocations, p.store) == ("none", False, (), False)
    assert p.result == '{"ok":true}'


def test_json_comparison_is_strict_about_types():
    # 1 and true are equal in Python, not in JSON
    p = plan(record(value={"a": 1}), desired(input={"a": True}))
    assert p.action == "replace"


def test_no_triggers_equals_empty_triggers():
    assert plan(record(triggers={}), desired()).action == "none"


# -- state: absent --------------------------------------------------------------------


def test_absent_without_record_does_nothing():
    p = plan(None, desired(state="absent", input=None))
    assert (p.action, p.changed, p.invocations, p.store) == ("none", False, (), False)


def test_absent_crud_record_sends_delete_with_its_own_target_key_and_input():
    stored = record("CRUD", {"k": "v"}, key="lc", qualifier="7", function_name="old")
    # D's scope, key and target do not matter
    p = plan(stored, desired(function_name="other", id=F, state="absent", lifecycle_scope="CREATE_ONLY", input=None))
    assert p.action == "delete" and p.changed
    assert sent(p) == [("delete", "old:7", '{"k":"v","lc":{"action":"delete","prev_input":{"k":"v"}}}')]
    assert p.record is None and p.store


def test_absent_create_only_record_is_forgotten_without_invoking():
    p = plan(record(), desired(state="absent", input=None))
    assert (p.action, p.changed, p.invocations, p.record, p.store) == ("forget", True, (), None, True)


# -- the three CRUD examples of docs/lifecycle.md, byte for byte ------------------------


def test_crud_examples_exact_bytes():
    first = desired(input={"key1": "value1", "key2": "value2"}, lifecycle_scope="CRUD")
    p1 = plan(None, first)
    assert p1.invocations[0].payload == (
        b'{"key1":"value1","key2":"value2","tf":{"action":"create","prev_input":null}}'
    )
    second = desired(input={"key1": "valueB", "key2": "value2"}, lifecycle_scope="CRUD")
    p2 = plan(p1.with_result("null"), second)
    assert p2.invocations[0].payload == (
        b'{"key1":"valueB","key2":"value2","tf":{"action":"update",'
        b'"prev_input":{"key1":"value1","key2":"value2"}}}'
    )
    p3 = plan(p2.with_result("null"), desired(state="absent", input=None, lifecycle_scope="CRUD"))
    assert p3.invocations[0].payload == (
        b'{"key1":"valueB","key2":"value2","tf":{"action":"delete",'
        b'"prev_input":{"key1":"valueB","key2":"value2"}}}'
    )


# -- payload encoding -----------------------------------------------------------------


def test_payload_encoding_compact_utf8_exact_integers_no_html_escaping_order_kept():
    p = plan(None, desired(input='{"z": 1, "big": 123456789012345678901234567890, "t": "<é & ü>", "a": [1.5]}'))
    assert p.invocations[0].payload == '{"z":1,"big":123456789012345678901234567890,"t":"<é & ü>","a":[1.5]}'.encode(
        "utf-8"
    )


# -- bad input: error before any plan ---------------------------------------------------

BAD = [
    ("invalid JSON string", {"input": "{not json"}, "input is not valid JSON"),
    ("input missing", {"input": None}, "input is required when state is present"),
    ("CRUD with a list", {"input": [1], "lifecycle_scope": "CRUD"}, "input must be a JSON object when lifecycle_scope is CRUD, got a list"),
    ("CRUD with a JSON string that is a number", {"input": "5", "lifecycle_scope": "CRUD"}, "got a number"),
    ("CRUD with the key already there", {"input": {"tf": 1}, "lifecycle_scope": "CRUD"}, "choose another terraform_key"),
    ("custom key already there", {"input": {"lc": 1}, "lifecycle_scope": "CRUD", "terraform_key": "lc"}, "'lc'"),
    ("bad scope", {"lifecycle_scope": "SOMETIMES"}, "lifecycle_scope must be CREATE_ONLY or CRUD"),
    ("triggers not a mapping", {"triggers": ["a"]}, "triggers must be a mapping, got a list"),
    ("NaN", {"input": {"a": float("nan")}}, "JSON cannot represent"),
    ("empty function name", {"function_name": " "}, "function_name must be a non-empty string"),
    ("qualifier inside a name", {"function_name": "fn:live"}, "ends with the qualifier 'live'"),
    ("qualifier inside an ARN", {"function_name": "arn:aws:lambda:us-east-1:123456789012:function:fn:7"}, "'7'"),
    ("qualifier inside a partial ARN", {"function_name": "123456789012:function:fn:live"}, "give the plain name"),
    ("empty terraform_key", {"terraform_key": ""}, "terraform_key must be a non-empty string"),
    ("zero timeout", {"timeout": 0}, "timeout must be a positive number"),
]


@pytest.mark.parametrize("options, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_the_option_named(options, message):
    with pytest.raises(LifecycleError, match=None) as caught:
        desired(**options)
    assert message in str(caught.value)


def test_create_only_accepts_input_containing_the_key():
    assert sent(plan(None, desired(input={"tf": 1}))) == [("create", "fn:$LATEST", '{"tf":1}')]


def test_payload_over_the_synchronous_limit_is_refused():
    # the limit counts the payload after the lifecycle block is added
    block = len(',"tf":{"action":"create","prev_input":null}')
    filler = MAX_PAYLOAD_BYTES - len('{"x":""}') - block
    assert len(plan(None, desired(input={"x": "a" * filler}, lifecycle_scope="CRUD")).invocations[0].payload) == (
        MAX_PAYLOAD_BYTES
    )
    with pytest.raises(LifecycleError, match="input is too large.*6291457 bytes"):
        plan(None, desired(input={"x": "a" * (filler + 1)}, lifecycle_scope="CRUD"))


def test_delete_payload_over_the_limit_names_the_stored_input():
    big = record("CRUD", {"x": "a" * (MAX_PAYLOAD_BYTES // 2)})
    with pytest.raises(LifecycleError, match="the stored input is too large: the delete payload"):
        plan(big, desired(state="absent", input=None))


# -- records and facts ----------------------------------------------------------------


def test_record_round_trips_through_its_fact_text():
    stored = record("CRUD", {"b": 1, "a": [True, None]}, key="lc", qualifier="3", triggers={"t": "1"}, tenant_id="x")
    text = json.dumps(stored.to_data())
    assert Record.from_data(text) == stored
    assert Record.from_data(json.loads(text)) == stored
    assert list(json.loads(text)["input"]) == ["b", "a"]


@pytest.mark.parametrize("value", [None, ""])
def test_no_fact_means_no_record(value):
    assert Record.from_data(value) is None


def test_unreadable_record_is_an_error_not_a_silent_recreate():
    with pytest.raises(LifecycleError, match="stored record is unreadable"):
        Record.from_data("{broken")


def test_fact_names_are_safe_and_unique_per_id():
    names = {fact_name(i) for i in ["fn", "FN", "f-n", "f_n", "arn:aws:lambda:us-east-1:1:function:fn", "ünï"]}
    assert len(names) == 6
    for name in names:
        assert name.startswith("cloudhooks_aws_lambda_invocation_")
        assert all(c.isdigit() or c == "_" or "a" <= c <= "z" for c in name)


@pytest.mark.parametrize(
    "name", ["fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", "123456789012:function:fn"]
)
def test_names_and_arns_without_a_qualifier_are_accepted(name):
    assert desired(function_name=name).target.function_name == name


def test_id_defaults_to_function_name_as_written():
    assert desired(function_name="My-Fn").id == "My-Fn"
    assert desired(function_name="My-Fn", id="seed").id == "seed"


def test_diff_shows_stored_and_desired_input():
    p = plan(record("CRUD"), desired(input={"a": 2}, lifecycle_scope="CRUD"))
    assert p.diff["before"]["input"] == {"a": 1}
    assert p.diff["after"]["input"] == {"a": 2}
    assert p.diff["after"]["lifecycle_scope"] == "CRUD"


def test_a_crud_input_too_large_to_delete_later_is_sent_with_a_warning():
    half = MAX_PAYLOAD_BYTES // 2
    p = plan(None, desired(input={"x": "a" * half}, lifecycle_scope="CRUD"))
    assert len(p.invocations) == 1  # still invoked: the create payload itself fits
    assert len(p.warnings) == 1 and "state=absent and any later replacement will be refused" in p.warnings[0]
    assert plan(None, desired(input={"x": "a" * half})).warnings == ()  # CREATE_ONLY never sends delete
    assert plan(None, desired(input={"x": "a" * (half // 2)}, lifecycle_scope="CRUD")).warnings == ()


def test_text_that_is_not_unicode_is_refused_not_a_traceback():
    with pytest.raises(LifecycleError, match="input holds text that is not valid Unicode"):
        plan(None, desired(input={"a": "\ud800"}))


def test_a_surrogate_pair_split_by_ansible_core_2_18_is_sent_as_its_character():
    # 2.18 reads a templated '{"e": "\\ud83d\\ude00"}' as Python: the pair arrives as two code points.
    split = {"e\ud83d\ude00": "smile \ud83d\ude00"}
    p = plan(None, desired(input=split))
    assert p.invocations[0].payload == '{"e\U0001F600":"smile \U0001F600"}'.encode("utf-8")
    assert p.record.input == {"e\U0001F600": "smile \U0001F600"}
    # ... and equals the same input parsed from JSON, so nothing is invoked on the next run.
    again = plan(p.record, desired(input=json.dumps({"e\U0001F600": "smile \U0001F600"})))
    assert again.action == "none"
    with pytest.raises(LifecycleError, match="input holds text that is not valid Unicode"):
        plan(None, desired(input={"a": "\ude00\ud83d"}))  # the wrong order is no pair


def test_an_invocation_survives_its_description():
    from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Invocation

    wanted = desired(input={"é": 2}, qualifier="7", lifecycle_scope="CRUD", tenant_id="t")
    for invocation in plan(record("CRUD", tenant_id="t"), wanted).invocations:
        assert Invocation.from_description(json.loads(json.dumps(invocation.describe()))) == invocation


# -- fact names, as docs/state.md documents them ---------------------------------------

STATE_MD = Path(__file__).resolve().parents[4] / "docs" / "state.md"


def test_the_fact_names_in_docs_state_md_are_the_ones_computed():
    rows = re.findall(r"^\| `([^`]+)` \| `(cloudhooks_aws_lambda_invocation_[a-z0-9_]+)` \|$", STATE_MD.read_text(), re.M)
    assert len(rows) == 3
    for record_id, name in rows:
        assert fact_name(record_id) == name


def test_a_separator_at_the_40th_character_of_the_slug_is_kept():
    # the slug is cut to 40 characters after its end underscores are dropped
    record_id = "a" * 39 + "-b"
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:12]
    assert fact_name(record_id) == "cloudhooks_aws_lambda_invocation_" + "a" * 39 + "__" + digest
    assert fact_name("--x--") == "cloudhooks_aws_lambda_invocation_x_" + hashlib.sha256(b"--x--").hexdigest()[:12]


# -- input: numbers JSON cannot carry ---------------------------------------------------


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '[-Infinity]', '{"a": 1e400}', "-1e999"])
def test_input_string_with_a_number_json_cannot_carry_is_refused_naming_input(text):
    with pytest.raises(LifecycleError) as caught:
        desired(input=text)
    assert str(caught.value).startswith("input holds")


def test_large_integers_and_ordinary_floats_in_a_string_still_pass():
    assert desired(input='{"a": 1e300, "b": 10000000000000000000000}').input == {"a": 1e300, "b": 10 ** 22}


# -- triggers: Terraform's map(string) (docs/lifecycle.md, Comparing) --------------------


@pytest.mark.parametrize(
    "given, text",
    [("1", "1"), (1, "1"), (1.0, "1"), (True, "true"), (False, "false"), (1.5, "1.5"), (-2.50, "-2.5"),
     (1e20, "100000000000000000000"), (1e-7, "0.0000001"), ("", ""), (10 ** 30, "1" + "0" * 30)],
)
def test_a_trigger_is_its_text(given, text):
    assert desired(triggers={"t": given}).triggers == {"t": text}


def test_one_as_string_int_or_float_is_one_trigger():
    stored = record(triggers={"n": "1"})
    for value in ("1", 1, 1.0):
        assert plan(stored, desired(triggers={"n": value})).action == "none"


def test_a_templated_number_does_not_replace_after_an_upgrade():
    # "{{ 1 + 1 }}" is the string "2" on ansible-core 2.18 and the int 2 on 2.19
    first = plan(None, desired(triggers={"n": "2"})).with_result("null")
    assert plan(first, desired(triggers={"n": 2})).action == "none"


@pytest.mark.parametrize("value, kind", [([1], "a list"), ({"a": 1}, "an object"), (None, "null")])
def test_a_trigger_that_is_not_a_scalar_is_refused_suggesting_to_json(value, kind):
    with pytest.raises(LifecycleError) as caught:
        desired(triggers={"t": value})
    message = str(caught.value)
    assert message.startswith("triggers.t is %s" % kind)
    assert "to_json" in message and "hash" in message


def test_records_of_0_1_0_with_numbers_as_triggers_compare_the_new_way():
    old = json.dumps({"v": 1, "function_name": "fn", "qualifier": "$LATEST", "tenant_id": None, "scope": "CREATE_ONLY",
                      "key": "tf", "triggers": {"n": 1, "f": 2.0, "b": True}, "input": {"a": 1}, "result": None})
    stored = Record.from_data(old)
    assert stored.triggers == {"n": "1", "f": "2", "b": "true"}
    assert plan(stored, desired(triggers={"n": "1", "f": 2, "b": True})).action == "none"
    # a list kept by 0.1.0 differs from any trigger a task can give now: replaced once
    listed = Record.from_data(old.replace('"n":1', '"n":[1]'))
    assert plan(listed, desired(triggers={"n": "[1]", "f": 2, "b": True})).action == "replace"


def test_input_is_still_compared_as_json_values():
    # the function receives these bytes: 1 and 1.0 differ
    assert plan(record(value={"a": 1}), desired(input={"a": 1.0})).action == "replace"


# -- state: forgotten (docs/lifecycle.md, state: forgotten) -------------------------------


@pytest.mark.parametrize("scope", ["CREATE_ONLY", "CRUD"])
def test_forgotten_drops_the_record_without_invoking(scope):
    p = plan(record(scope), desired(state="forgotten", input=None))
    assert (p.action, p.changed, p.invocations, p.record, p.store) == ("forget", True, (), None, True)


def test_forgotten_without_a_record_changes_nothing():
    p = plan(None, desired(state="forgotten", input=None))
    assert (p.action, p.changed, p.invocations, p.store) == ("none", False, (), False)


def test_forgotten_drops_even_an_unreadable_record():
    with pytest.raises(LifecycleError, match="unreadable") as unreadable:
        Record.from_data('{"v": 2}')
    p = plan_unreadable('{"v": 2}', desired(state="forgotten", input=None), unreadable.value)
    assert (p.action, p.changed, p.invocations, p.record, p.store) == ("forget", True, (), None, True)
    with pytest.raises(LifecycleError, match="unreadable"):
        plan_unreadable('{"v": 2}', desired(), unreadable.value)


# -- stored records that this version does not know --------------------------------------

GOOD = {"v": 1, "function_name": "fn", "qualifier": "$LATEST", "tenant_id": None, "scope": "CRUD", "key": "tf",
        "triggers": {}, "input": {"a": 1}, "result": None}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"v": 2}, "unknown record version 2"),
        ({"v": True}, "unknown record version True"),
        ({"v": "1"}, "unknown record version '1'"),
        ({"scope": "SOMETIMES"}, "unknown lifecycle_scope 'SOMETIMES'"),
        ({"qualifier": ""}, "unknown qualifier ''"),
        ({"qualifier": None}, "unknown qualifier None"),
        ({"qualifier": "a b"}, "unknown qualifier 'a b'"),
        ({"function_name": "fn:"}, "function_name"),
        ({"key": ""}, "unknown terraform_key"),
        ({"triggers": [1]}, "triggers is not a mapping"),
    ],
)
def test_a_record_this_version_does_not_know_is_unreadable(change, message):
    assert Record.from_data(json.dumps(GOOD)) is not None
    with pytest.raises(LifecycleError) as caught:
        Record.from_data(json.dumps(dict(GOOD, **change)))
    assert "the stored record is unreadable" in str(caught.value) and message in str(caught.value)
    assert "state: forgotten" in str(caught.value)


# -- tenant_id and id -----------------------------------------------------------------


def test_an_empty_tenant_id_is_unset():
    assert desired(tenant_id="").target.tenant_id is None
    assert plan(record(), desired(tenant_id="")).action == "none"
    assert plan(record(), desired(tenant_id="t")).action == "replace"


def test_an_id_that_is_not_unicode_is_refused_like_input():
    with pytest.raises(LifecycleError, match="^id holds text that is not valid Unicode"):
        desired(id="seed\udc80")


# -- diff: the planned action and why --------------------------------------------------


@pytest.mark.parametrize(
    "stored, options, prepared",
    [
        (None, {}, "create (no record)"),
        (record(), {"input": {"a": 2}}, "replace (input changed)"),
        (record("CRUD"), {"input": {"a": 2}, "lifecycle_scope": "CRUD"}, "update (input changed)"),
        (record(), {"triggers": {"b": "1"}}, "replace (triggers changed (b))"),
        (record(), {"qualifier": "7"}, "replace (target changed (qualifier '$LATEST' -> '7'))"),
        (record(), {"force": True}, "replace (force: true)"),
        (record(), {"lifecycle_scope": "CRUD"}, "update (scope changed from CREATE_ONLY to CRUD)"),
        (record("CRUD"), {}, "update (scope changed; only the record changes)"),
        (record(), {}, "none (nothing changed)"),
        (record("CRUD"), {"state": "absent", "input": None}, "delete (state: absent; the record is CRUD)"),
        (record(), {"state": "forgotten", "input": None}, "forget (state: forgotten; nothing is invoked)"),
    ],
)
def test_the_diff_names_the_planned_action_and_why(stored, options, prepared):
    assert plan(stored, desired(**options)).diff["prepared"] == "lambda_invocation: %s\n" % prepared


def test_force_shows_in_the_diff_although_before_and_after_are_equal():
    p = plan(record(), desired(force=True))
    assert p.diff["before"] == p.diff["after"]
    assert "force: true" in p.diff["prepared"]


# -- two tasks sharing one record ------------------------------------------------------

RUN = "0242ac11-0002-1a2b-3c4d-"


def test_a_record_written_earlier_in_this_run_by_another_task_with_another_input_warns_naming_id():
    stored = Record(Target(F), "CREATE_ONLY", "tf", {}, {"a": 1}, None, written_by=RUN + "000000000010")
    message = shared_record_warning(stored, desired(input={"a": 2}), RUN + "000000000020")
    assert message is not None and "id 'fn'" in message and "own id" in message


@pytest.mark.parametrize(
    "written_by, current, value",
    [
        (RUN + "000000000010", RUN + "000000000020", {"a": 1}),  # same input: no sharing seen
        ("ffffffff-0002-1a2b-3c4d-000000000010", RUN + "000000000020", {"a": 2}),  # an earlier run
        (RUN + "000000000020", RUN + "000000000020", {"a": 2}),  # the same task (a retry)
        (None, RUN + "000000000020", {"a": 2}),  # a record of 0.1.0
    ],
)
def test_no_sharing_warning_otherwise(written_by, current, value):
    stored = Record(Target(F), "CREATE_ONLY", "tf", {}, {"a": 1}, None, written_by=written_by)
    assert shared_record_warning(stored, desired(input=value), current) is None
