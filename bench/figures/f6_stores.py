# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 6 of the benchmark: the durable record stores (record_store file:// and s3://).

Side by side in one run, rotating their order every round:
  6a. no-change path with file:// / debug, per task (target <= 1.25)
  6b. no-change path with s3:// on the local endpoint (moto's S3) / debug, per task (target <= 3.0)
  6c. change path with file:// / change path with facts, per task (target <= 1.1)
  6d. change path with s3:// / change path with facts, per task (target <= 1.1)
  6e. (info) no-change path with facts / debug, in the same rounds, for comparison

The records of the no-change sides are written straight into the stores (through the collection's
own stores), one document per id, as the runner writes them.
"""
from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List

import harness as h
from harness import Harness

KEY = "stores"
TITLE = "record stores: file:// and s3:// against debug and against facts"
SEED_RESULT = '{"ok": true, "bytes": 0}'
STORE_CHANGE_TASKS = {"full": 20, "smoke": 2}
ENV = "CLOUDHOOKS_RECORD_STORE"


def _seed_stores(b: Harness, file_dir: Path, s3_url: str, count: int) -> None:
    if str(b.collections) not in sys.path:
        sys.path.insert(0, str(b.collections))
    from ansible_collections.cloudhooks.aws.plugins.module_utils.invocation import Target
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores import open_store
    from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.base import parse_url

    aws = {"endpoint_url": b.endpoint.url, "region": "us-east-1", "access_key": "testing", "secret_key": "testing"}
    stores = [open_store(parse_url("file://%s" % file_dir)), open_store(parse_url(s3_url), aws=aws)]
    for i in range(count):
        record = Record(Target(h.FUNCTION), "CRUD", "tf", {}, h.small_input(i), SEED_RESULT)
        record_id = "bench-%04d" % i
        document = {"v": 1, "host": "localhost", "id": record_id, "nonce": uuid.uuid4().hex,
                    "written": "2026-01-01T00:00:00Z", "record": dict(record.to_data(), id=record_id), "in_flight": None}
        for store in stores:
            store.create("localhost", record_id, document)


def measure(b: Harness) -> None:
    m = b.mode
    n = m.nochange_tasks
    t = STORE_CHANGE_TASKS[m.name]
    b.say("\n[6] record stores: %d no-change tasks with file:// and s3:// vs debug; %d changes vs facts" % (n, t))
    bucket = "bench-records-%s" % uuid.uuid4().hex[:8]
    h.local_lambda.client(b.endpoint.url, "s3").create_bucket(Bucket=bucket)
    file_dir = b.work / "records-nochange"
    file_dir.mkdir()
    s3_nochange = "s3://%s/nochange" % bucket
    _seed_stores(b, file_dir, s3_nochange, n)
    facts_cache = b.cache("stores-nochange", fresh=True)
    b.seed(facts_cache, [{"id": "bench-%04d" % i, "function_name": h.FUNCTION, "scope": "CRUD",
                          "input": h.small_input(i), "result": SEED_RESULT} for i in range(n)])

    empty = b.playbook("stores_empty.yml", [])
    debug = b.playbook("stores_debug_%d.yml" % n, [h.debug_task(i) for i in range(n)])
    nochange = b.playbook("stores_nochange_%d.yml" % n,
                          [h.li_task("bench-%04d" % i, h.small_input(i), "CRUD") for i in range(n)])
    change = b.playbook("stores_change_%d.yml" % t, [h.li_task("chg-%04d" % i, h.small_input(i)) for i in range(t)])
    empty_cache = b.cache("stores-empty", fresh=True)

    ratios: Dict[str, List[float]] = {k: [] for k in ("file", "s3", "facts", "cfile", "cs3")}
    costs: Dict[str, List[float]] = {k: [] for k in ("debug", "file", "s3", "facts", "chg_facts", "chg_file", "chg_s3")}
    api_nochange = 0
    for rnd in range(m.nochange_rounds):
        runs: Dict[str, Any] = {}
        for side in h.rotate(["empty", "debug", "facts", "file", "s3"], rnd):
            if side == "empty":
                runs[side] = b.run("stores-empty-r%d" % rnd, empty, empty_cache)
            elif side == "debug":
                runs[side] = b.run("stores-debug-r%d" % rnd, debug, empty_cache)
            else:
                url = {"facts": "facts", "file": "file://%s" % file_dir, "s3": s3_nochange}[side]
                run = b.run("stores-nochange-%s-r%d" % (side, rnd), nochange, facts_cache, extra_env={ENV: url})
                if run.recap.get("changed", 0) != 0 or run.invokes.get("RequestResponse", 0):
                    raise h.BenchError("no-change run with record_store %s changed something or invoked; see %s"
                                       % (url, run.log))
                if side != "s3" and run.api_total:
                    raise h.BenchError("no-change run with %s made %d AWS calls; see %s" % (url, run.api_total, run.log))
                if side == "s3":
                    api_nochange += run.api_total
                runs[side] = run
        for side in ("debug", "facts", "file", "s3"):
            costs[side].append(h.per_task(runs[side], runs["empty"], n))
        for side in ("facts", "file", "s3"):
            ratios[side].append(costs[side][-1] / costs["debug"][-1])
        b.say("  no-change round %d: facts %.2f, file %.2f, s3 %.2f (debug %.1f ms/task)" % (
            rnd + 1, ratios["facts"][-1], ratios["file"][-1], ratios["s3"][-1], costs["debug"][-1] * 1e3))

    for rnd in range(m.nochange_rounds):  # 5 rounds, not figure 2's 3: a few changes are noisy
        runs = {"empty": b.run("stores-change-empty-r%d" % rnd, empty, empty_cache)}
        for side in h.rotate(["facts", "file", "s3"], rnd):
            cache = b.cache("stores-change-%s-r%d" % (side, rnd), fresh=True)
            url = "facts"
            if side == "file":
                directory = b.work / ("records-change-r%d" % rnd)
                directory.mkdir()
                url = "file://%s" % directory
            elif side == "s3":
                url = "s3://%s/change-r%d" % (bucket, rnd)
            run = b.run("stores-change-%s-r%d" % (side, rnd), change, cache, extra_env={ENV: url})
            if run.recap.get("changed") != t or run.invokes.get("RequestResponse") != t:
                raise h.BenchError("change run with %s: changed=%s, %s invocations, expected %d; see %s"
                                   % (url, run.recap.get("changed"), run.invokes.get("RequestResponse"), t, run.log))
            runs[side] = run
        for side in ("facts", "file", "s3"):
            costs["chg_" + side].append(h.per_task(runs[side], runs["empty"], t))
        ratios["cfile"].append(costs["chg_file"][-1] / costs["chg_facts"][-1])
        ratios["cs3"].append(costs["chg_s3"][-1] / costs["chg_facts"][-1])
        b.say("  change round %d: file %.2f, s3 %.2f (facts %.0f ms/task)" % (
            rnd + 1, ratios["cfile"][-1], ratios["cs3"][-1], costs["chg_facts"][-1] * 1e3))

    med = {k: h.median(v) for k, v in costs.items()}
    b.figures += [
        h.Figure("6a", "No-change path, record_store file:// / debug, per task (%d tasks)" % n,
                 h.median(ratios["file"]), 1.25, spread=h.spread(ratios["file"]), api="none",
                 note="%.1f vs %.1f ms/task" % (med["file"] * 1e3, med["debug"] * 1e3)),
        h.Figure("6b", "No-change path, record_store s3:// (local endpoint) / debug, per task (%d tasks)" % n,
                 h.median(ratios["s3"]), 3.0, spread=h.spread(ratios["s3"]),
                 api="s3.GetObject %s/task" % h._num(api_nochange / max(1, n * m.nochange_rounds)),
                 note="%.1f vs %.1f ms/task" % (med["s3"] * 1e3, med["debug"] * 1e3)),
        h.Figure("6c", "Change path, record_store file:// / facts, per task (%d invocations)" % t,
                 h.median(ratios["cfile"]), 1.1, spread=h.spread(ratios["cfile"]),
                 note="%.0f vs %.0f ms/task" % (med["chg_file"] * 1e3, med["chg_facts"] * 1e3)),
        h.Figure("6d", "Change path, record_store s3:// / facts, per task (%d invocations)" % t,
                 h.median(ratios["cs3"]), 1.1, spread=h.spread(ratios["cs3"]),
                 note="%.0f vs %.0f ms/task" % (med["chg_s3"] * 1e3, med["chg_facts"] * 1e3)),
        h.Figure("6e", "No-change path, record_store facts / debug, same rounds as 6a-6b (for comparison)",
                 h.median(ratios["facts"]), None, spread=h.spread(ratios["facts"]),
                 note="%.1f vs %.1f ms/task" % (med["facts"] * 1e3, med["debug"] * 1e3)),
    ]
