# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lifecycle_scope CRUD end to end: create, update, delete with the lifecycle block, byte for
byte as the reference's Examples section, and replacement when the qualifier changes."""

from __future__ import annotations

from lambda_e2e import compact, item_args, newest_core_only

pytestmark = newest_core_only

# The reference's Examples (CRUD, key "tf"), exactly.
FIRST = {"key1": "value1", "key2": "value2"}
SECOND = {"key1": "valueB", "key2": "value2"}
CREATE = '{"key1":"value1","key2":"value2","tf":{"action":"create","prev_input":null}}'
UPDATE = '{"key1":"valueB","key2":"value2","tf":{"action":"update","prev_input":{"key1":"value1","key2":"value2"}}}'
DELETE = '{"key1":"valueB","key2":"value2","tf":{"action":"delete","prev_input":{"key1":"valueB","key2":"value2"}}}'


def test_crud_create_update_delete_payloads_as_in_the_reference(functions, ansible):
    default_key = functions.deploy("tf-key")
    custom_key = functions.deploy("custom-key")

    def run(state="present", values=None):
        entries = [
            item_args(default_key, lifecycle_scope="CRUD", state=state, input=values),
            item_args(custom_key, lifecycle_scope="CRUD", state=state, input=values, terraform_key="lifecycle"),
        ]
        return ansible.run(invocations=[{k: v for k, v in e.items() if v is not None} for e in entries])

    def sent(result):
        return [[(i["action"], i["payload"]) for i in item["invocations"]] for item in result.items()]

    def custom(payload):
        return payload.replace('"tf":', '"lifecycle":')

    created = run(values=FIRST)
    assert created.rc == 0, created.output
    assert [(i["changed"], i["action"]) for i in created.items()] == [(True, "create")] * 2
    assert sent(created) == [[("create", CREATE)], [("create", custom(CREATE))]]
    assert default_key.events() == [CREATE]
    assert custom_key.events() == [custom(CREATE)]

    updated = run(values=SECOND)
    assert updated.rc == 0, updated.output
    assert [(i["changed"], i["action"]) for i in updated.items()] == [(True, "update")] * 2
    assert sent(updated) == [[("update", UPDATE)], [("update", custom(UPDATE))]]
    assert default_key.events() == [CREATE, UPDATE]
    assert custom_key.events() == [custom(CREATE), custom(UPDATE)]
    assert ansible.record(custom_key.name)["key"] == "lifecycle"

    # state: absent needs no input: the stored record's target, input and key are used.
    deleted = run(state="absent")
    assert deleted.rc == 0, deleted.output
    assert [(i["changed"], i["action"], i["result"]) for i in deleted.items()] == [(True, "delete", None)] * 2
    assert sent(deleted) == [[("delete", DELETE)], [("delete", custom(DELETE))]]
    assert default_key.events() == [CREATE, UPDATE, DELETE]
    assert custom_key.events() == [custom(CREATE), custom(UPDATE), custom(DELETE)]
    assert ansible.record(default_key.name) is None and ansible.record(custom_key.name) is None

    again = run(state="absent")
    assert again.rc == 0, again.output
    assert [(i["changed"], i["action"], i["invocations"]) for i in again.items()] == [(False, "none", [])] * 2
    for fn in (default_key, custom_key):
        assert len(fn.events()) == 3
        assert fn.counts() == {"RequestResponse": 3, "DryRun": 0, "Event": 0}


def test_qualifier_change_deletes_on_the_old_version_then_creates_on_the_new(functions, ansible):
    fn = functions.deploy("versions")
    v1 = fn.publish("v1")
    v2 = fn.publish("v2")
    assert (v1, v2) == ("1", "2")
    settings = {"tenant": "acme"}

    def run(qualifier):
        return ansible.run(invocations=[
            item_args(fn, id="tenant", lifecycle_scope="CRUD", qualifier=qualifier, input=settings),
        ])

    first = run(v1)
    assert first.rc == 0, first.output
    assert first.item()["action"] == "create"
    assert first.item()["invocations"][0]["executed_version"] == "1"

    replaced = run(v2)
    assert replaced.rc == 0, replaced.output
    item = replaced.item()
    assert (item["changed"], item["action"]) == (True, "replace")
    delete = compact({**settings, "tf": {"action": "delete", "prev_input": settings}})
    create = compact({**settings, "tf": {"action": "create", "prev_input": None}})
    assert [(i["action"], i["qualifier"], i["executed_version"], i["payload"]) for i in item["invocations"]] == [
        ("delete", "1", "1", delete),
        ("create", "2", "2", create),
    ]
    # What each version saw: the old one the delete, the new one the create.
    assert [(e["label"], e["version"], e["event"]) for e in fn.received()] == [
        ("v1", "1", create),
        ("v1", "1", delete),
        ("v2", "2", create),
    ]
    assert item["result_json"]["label"] == "v2"
    assert ansible.record("tenant")["qualifier"] == "2"


def test_tenant_change_replaces_and_each_tenant_hears_its_own_side(functions, ansible):
    fn = functions.deploy("tenants")
    settings = {"plan": "gold"}

    def run(tenant):
        return ansible.run(invocations=[
            item_args(fn, id="tenant-plan", lifecycle_scope="CRUD", tenant_id=tenant, input=settings),
        ])

    assert run("acme").rc == 0
    moved = run("globex")
    assert moved.rc == 0, moved.output
    assert moved.item()["action"] == "replace"
    assert [(i["action"], i["tenant_id"]) for i in moved.item()["invocations"]] == [("delete", "acme"), ("create", "globex")]
    assert [(e["tenant"], e["event"]) for e in fn.received()] == [
        ("acme", compact({**settings, "tf": {"action": "create", "prev_input": None}})),
        ("acme", compact({**settings, "tf": {"action": "delete", "prev_input": settings}})),
        ("globex", compact({**settings, "tf": {"action": "create", "prev_input": None}})),
    ]


def test_scope_and_key_changes_follow_the_table(functions, ansible):
    """CREATE_ONLY -> CRUD with the same input tells the function (update, Terraform parity);
    a change of terraform_key alone, or CRUD -> CREATE_ONLY, only rewrites the record."""
    fn = functions.deploy("scope")
    settings = {"size": 3}

    def run(**options):
        return ansible.run(invocations=[item_args(fn, id="scoped", input=settings, **options)])

    assert run().rc == 0
    to_crud = run(lifecycle_scope="CRUD")
    assert to_crud.rc == 0, to_crud.output
    assert (to_crud.item()["changed"], to_crud.item()["action"]) == (True, "update")
    assert fn.events()[1] == compact({**settings, "tf": {"action": "update", "prev_input": settings}})

    new_key = run(lifecycle_scope="CRUD", terraform_key="hook")
    assert new_key.rc == 0, new_key.output
    assert (new_key.item()["changed"], new_key.item()["action"], new_key.item()["invocations"]) == (True, "update", [])
    assert ansible.record("scoped")["key"] == "hook"

    back = run()
    assert (back.item()["changed"], back.item()["action"], back.item()["invocations"]) == (True, "update", [])
    assert ansible.record("scoped")["scope"] == "CREATE_ONLY"
    assert back.item()["result"] == to_crud.item()["result"]  # the stored result is kept
    assert len(fn.events()) == 2
