# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several controllers sharing one record: fact caching in Redis (community.general.redis)."""

from __future__ import annotations

import redis as redis_client

from lambda_e2e import decode_cached_facts, fact_name, item_args

MEMORY_WARNING = "fact caching is 'memory'"


def test_second_controller_with_the_same_redis_cache_invokes_nothing(functions, ansible, redis_server, tmp_path):
    fn = functions.deploy("shared")
    entries = [item_args(fn, id="shared", lifecycle_scope="CRUD", input={"stack": "prod"})]
    prefix = "cloudhooks_e2e_%s_" % tmp_path.name  # this test's own keys in the shared server

    # Controller one (CI, say) configures the cache with environment variables.
    first = ansible.run(invocations=entries, cache={
        "ANSIBLE_CACHE_PLUGIN": "community.general.redis",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": redis_server,
        "ANSIBLE_CACHE_PLUGIN_PREFIX": prefix,
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0",
    })
    assert first.rc == 0, first.output
    assert (first.item()["changed"], first.item()["action"]) == (True, "create")
    assert first.warnings(MEMORY_WARNING) == 0

    # The record is in Redis, under the host's key.
    host, port, db = redis_server.split(":")
    server = redis_client.Redis(host=host, port=int(port), db=int(db))
    keys = sorted(k.decode() for k in server.keys(prefix + "*"))
    assert keys and all(k.endswith("_localhost") for k in keys), keys
    facts = decode_cached_facts(server.get(keys[-1]))
    assert fact_name("shared") in facts

    # Controller two (a laptop, say): another working directory whose ansible.cfg holds only
    # the fact-cache settings, and no ANSIBLE_CACHE_* variables.
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    (laptop / "ansible.cfg").write_text(
        "[defaults]\n"
        "fact_caching = community.general.redis\n"
        "fact_caching_connection = %s\n"
        "fact_caching_prefix = %s\n"
        "fact_caching_timeout = 0\n" % (redis_server, prefix),
        encoding="utf-8",
    )
    second = ansible.run(invocations=entries, cache=None, cwd=laptop)
    assert second.rc == 0, second.output
    item = second.item()
    assert (item["changed"], item["action"], item["invocations"]) == (False, "none", [])
    assert item["result"] == first.item()["result"]
    assert second.warnings(MEMORY_WARNING) == 0
    assert fn.counts()["RequestResponse"] == 1 and len(fn.events()) == 1
    assert not list(ansible.facts_dir.iterdir())  # no jsonfile cache was involved
