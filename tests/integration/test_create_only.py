# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lifecycle_scope CREATE_ONLY end to end: invoke once, then only on a change, and the payload
bytes exactly as the reference's "Payload encoding" says."""

from __future__ import annotations

import json

from lambda_e2e import compact, item_args


def test_create_only_invokes_once_then_only_on_change(functions, ansible):
    fn = functions.deploy("seed")
    first_input = {"tables": ["users", "orders"], "seed": 1}

    def run(**options):
        return ansible.run(invocations=[item_args(fn, id="seed", **options)])

    # 1. No record: the input is sent as it is.
    created = run(input=first_input)
    assert created.rc == 0, created.output
    item = created.item()
    assert (item["changed"], item["action"]) == (True, "create")
    assert [i["payload"] for i in item["invocations"]] == [compact(first_input)]
    assert fn.events() == [compact(first_input)]
    assert fn.counts()["RequestResponse"] == 1
    assert item["result_json"] == {"received": first_input, "label": "", "version": "$LATEST"}
    assert json.loads(item["result"]) == item["result_json"]
    stored = ansible.record("seed")
    assert stored["input"] == first_input and stored["scope"] == "CREATE_ONLY"
    assert stored["result"] == item["result"]

    # 2. The same task again: nothing is invoked, and the stored result comes back.
    again = run(input=first_input)
    assert again.rc == 0, again.output
    item = again.item()
    assert (item["changed"], item["action"], item["invocations"]) == (False, "none", [])
    assert item["result"] == created.item()["result"]
    assert item["result_json"] == created.item()["result_json"]
    assert fn.counts()["RequestResponse"] == 1 and len(fn.events()) == 1

    # 3. Another input: replaced, so the function gets the new input (the old side is dropped).
    second_input = {"tables": ["users", "orders", "invoices"], "seed": 1}
    changed_input = run(input=second_input)
    assert changed_input.rc == 0, changed_input.output
    item = changed_input.item()
    assert (item["changed"], item["action"]) == (True, "replace")
    assert [(i["action"], i["payload"]) for i in item["invocations"]] == [("create", compact(second_input))]
    assert fn.events()[1:] == [compact(second_input)]

    # 4. Triggers change: replaced, same input sent again.
    triggered = run(input=second_input, triggers={"code": "v2"})
    assert triggered.rc == 0, triggered.output
    assert (triggered.item()["changed"], triggered.item()["action"]) == (True, "replace")
    assert fn.events()[2:] == [compact(second_input)]
    assert ansible.record("seed")["triggers"] == {"code": "v2"}

    # ... and the same triggers again: nothing.
    same_triggers = run(input=second_input, triggers={"code": "v2"})
    assert (same_triggers.item()["changed"], same_triggers.item()["action"]) == (False, "none")
    assert len(fn.events()) == 3

    # 5. force: replaced although nothing changed.
    forced = run(input=second_input, triggers={"code": "v2"}, force=True)
    assert forced.rc == 0, forced.output
    assert (forced.item()["changed"], forced.item()["action"]) == (True, "replace")
    assert fn.events()[3:] == [compact(second_input)]
    assert fn.counts() == {"RequestResponse": 4, "DryRun": 0, "Event": 0}

    # 6. state: absent on a CREATE_ONLY record forgets it, invoking nothing; then there is nothing to do.
    forgotten = run(state="absent")
    assert forgotten.rc == 0, forgotten.output
    item = forgotten.item()
    assert (item["changed"], item["action"], item["invocations"], item["result"]) == (True, "forget", [], None)
    assert ansible.record("seed") is None
    nothing = run(state="absent")
    assert (nothing.item()["changed"], nothing.item()["action"]) == (False, "none")
    assert fn.counts()["RequestResponse"] == 4


def test_payload_bytes_and_parsed_json_comparison(functions, ansible):
    """Compact UTF-8 JSON, key order kept, integers exact, no HTML escaping; a JSON string input
    is parsed, and a reformatted one is the same input (no invocation)."""
    fn = functions.deploy("encoding")
    value = {
        "zeta": 1,
        "alpha": {"b": 2, "a": [3, 2, 1]},
        "big": 12345678901234567890123,
        "past_float64": 9007199254740993,
        "text": "café <b>&</b> \u2028 \U0001F600",
        "nothing": None,
        "yes": True,
    }
    as_list = ["one", 2, {"three": 3.5}]
    created = ansible.run(invocations=[
        item_args(fn, id="object", input=value),
        item_args(fn, id="list", input=as_list),
        item_args(fn, id="string", input='{ "b": 1,\n  "a": [1, 2] }'),
        item_args(fn, id="scalar", input=42),
    ])
    assert created.rc == 0, created.output
    expected = [
        compact(value),
        '["one",2,{"three":3.5}]',
        '{"b":1,"a":[1,2]}',
        "42",
    ]
    assert [i["invocations"][0]["payload"] for i in created.items()] == expected
    assert fn.events() == expected  # as the function received them, in order
    assert '"big":12345678901234567890123' in fn.events()[0]
    assert '"text":"café <b>&</b> \u2028 \U0001F600"' in compact(value)

    # The same values, reformatted: compared as parsed JSON, so nothing is invoked.
    reformatted = ansible.run(invocations=[
        item_args(fn, id="object", input=json.dumps(value, indent=2)),
        item_args(fn, id="list", input=as_list),
        item_args(fn, id="string", input={"a": [1, 2], "b": 1}),
        item_args(fn, id="scalar", input="42"),
    ])
    assert reformatted.rc == 0, reformatted.output
    assert [(i["changed"], i["action"]) for i in reformatted.items()] == [(False, "none")] * 4
    assert fn.counts()["RequestResponse"] == 4
