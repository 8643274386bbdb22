# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes current records straight into a jsonfile fact cache, as the action plugin would.

Usage: python bench/_seed.py COLLECTIONS_DIR CACHE_DIR HOST SPEC_JSON [per-key]
SPEC_JSON is a list of {"id", "function_name", "scope", "key", "input", "result"}. The records go
through the collection's facts store (plugins/plugin_utils/stores/facts.py), so each id is one
fact and the keys of a for_each id (``ID[KEY]``) share one; with ``per-key`` each record is a fact
of its own, as before 0.2.0. They are written through Ansible's own jsonfile cache plugin (so the
on-disk wrapping is whatever this ansible-core writes).
"""
from __future__ import annotations

import json
import sys


def main() -> int:
    collections, cache_dir, host, spec_path = sys.argv[1:5]
    per_key = sys.argv[5:6] == ["per-key"]
    sys.path.insert(0, collections)
    from ansible.plugins.loader import cache_loader, init_plugin_loader
    from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore, fact_name

    init_plugin_loader([collections])
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    store = FactsStore(parse_url("facts"), host, {}, "seed")
    facts = {}
    for item in spec:
        record = Record(target=Target(item["function_name"]), scope=item["scope"], key=item.get("key", "tf"),
                        triggers={}, input=item["input"], result=item.get("result"), record_id=item["id"])
        if per_key:
            facts[fact_name(item["id"])] = json.dumps(record.to_data(), ensure_ascii=False, separators=(",", ":"))
        else:
            store.create(host, item["id"], {"record": record.to_data()})
    facts = facts if per_key else store.changes()
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=cache_dir, _timeout=0)
    cache.set(host, facts)
    back = cache_loader.get("ansible.builtin.jsonfile", _uri=cache_dir, _timeout=0).get(host)
    if back != facts:
        print("seed: the cache did not read back what was written", file=sys.stderr)
        return 1
    print(len(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
