# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figure 8: for_each (issue 13). N keys of a handler that sleeps 1 s, CREATE_ONLY, one task with
max_concurrency 10, against the same N invocations as a loop: of lambda_invocation and as a loop:
of amazon.aws.lambda_execute, side by side in one run. Terraform's parallelism-10 floor is N/10 s;
the floor of this endpoint is measured in the same run: the same N invocations sent straight from
boto3, 10 at a time, no Ansible. CLOUDHOOKS_BENCH_LOOPS=0 leaves the two loops out (about 11
minutes of the full run; they are information, with no target)."""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

import local_lambda  # noqa: F401  (tools/local_lambda, on the path harness.py set)
from harness import Figure, Harness, Section

KEY = "for_each"
TITLE = "for_each: 200 keys of a 1 s handler, 10 at a time, against loops"
SLEEPER = "bench-sleep"
SLEEP_HANDLER = '''import time


def handler(event, context):
    time.sleep(1)
    return {"ok": True, "n": event.get("n")}
'''
CONCURRENCY = 10


def measure(b: Harness) -> None:
    n = 5 if b.mode.smoke else 200
    b.say("\n[8] for_each: %d keys of a 1 s handler, max_concurrency %d, against a loop of lambda_invocation and of "
          "amazon.aws.lambda_execute" % (n, CONCURRENCY))
    local_lambda.deploy(b.endpoint.url, SLEEPER, SLEEP_HANDLER, timeout=60)
    keys = ["k%03d" % i for i in range(n)]
    variables = b.work / "playbooks" / "for_each_vars.json"
    variables.write_text(json.dumps({"inputs": {k: {"n": i} for i, k in enumerate(keys)}, "keys": keys}))
    common = "        function_name: %s\n        lifecycle_scope: CREATE_ONLY\n" % SLEEPER
    plays = {
        "for_each": b.playbook("for_each.yml", [
            "    - name: for_each\n      cloudhooks.aws.lambda_invocation:\n" + common
            + "        id: fe\n        max_concurrency: %d\n        for_each: \"{{ inputs }}\"\n" % CONCURRENCY],
            [str(variables)]),
        "li_loop": b.playbook("for_each_li_loop.yml", [
            "    - name: loop of lambda_invocation\n      cloudhooks.aws.lambda_invocation:\n" + common
            + "        id: \"loop-{{ item }}\"\n        input: \"{{ inputs[item] }}\"\n      loop: \"{{ keys }}\"\n"],
            [str(variables)]),
        "le_loop": b.playbook("for_each_le_loop.yml", [
            "    - name: loop of lambda_execute\n      amazon.aws.lambda_execute:\n        name: %s\n" % SLEEPER
            + "        payload: \"{{ inputs[item] }}\"\n      loop: \"{{ keys }}\"\n"],
            [str(variables)]),
    }
    if os.environ.get("CLOUDHOOKS_BENCH_LOOPS", "1") == "0" and not b.mode.smoke:
        del plays["li_loop"], plays["le_loop"]
    floor = _direct(b.endpoint.url, n)
    runs = {side: b.run("for-each-%s" % side, play, b.cache("for-each-%s" % side, fresh=True))
            for side, play in plays.items()}
    for side, run in runs.items():
        b.require(run.invokes.get("RequestResponse") == n and run.api.get("lambda.Invoke") == n,
                  "for_each figure, %s: %d invocations of the 1 s handler" % (side, n),
                  "%s; see %s" % (run.invokes, run.log))
    again = b.run("for-each-again", plays["for_each"], b.cache("for-each-for_each"))
    b.check(again.api_total == 0 and again.recap.get("changed") == 0,
            "for_each figure: a second run of the %d keys makes no AWS call" % n,
            "changed=%s, %d API calls" % (again.recap.get("changed"), again.api_total))
    fe = runs["for_each"].wall
    b.figures.append(Figure(
        "8a", "for_each: %d keys of a 1 s handler, max_concurrency %d, playbook wall time (s)" % (n, CONCURRENCY),
        fe, None if b.mode.smoke else 22.0, fmt="{:.1f}", api="lambda.Invoke %d" % n,
        note="Terraform's parallelism-%d floor: %d s; this endpoint's, boto3 alone: %.1f s"
        % (CONCURRENCY, -(-n // CONCURRENCY), floor)))
    b.figures.append(Figure("8d", "for_each / the endpoint's floor (the same %d invocations from boto3, %d at a time)"
                            % (n, CONCURRENCY), fe / floor, note="%.1f s vs %.1f s" % (fe, floor)))
    if "li_loop" not in runs:
        b.table(Section("for_each against the endpoint's floor (%d invocations of a handler that sleeps 1 s; one run each)" % n, [
            "| run | wall time (s) | / floor |", "|---|---:|---:|",
            "| one task, for_each, max_concurrency %d (ansible-playbook, start-up included) | %.1f | %.2f |" % (CONCURRENCY, fe, fe / floor),
            "| the same invocations from boto3, %d threads, no Ansible | %.1f | 1.00 |" % (CONCURRENCY, floor),
            "| Terraform's floor at parallelism %d | %d | |" % (CONCURRENCY, -(-n // CONCURRENCY)),
        ]))
        return
    li, le = runs["li_loop"].wall, runs["le_loop"].wall
    b.figures.append(Figure("8b", "loop: of lambda_invocation / for_each, same %d invocations" % n, li / fe,
                            note="%.1f s vs %.1f s" % (li, fe)))
    b.figures.append(Figure("8c", "loop: of amazon.aws.lambda_execute / for_each, same %d invocations" % n, le / fe,
                            note="%.1f s vs %.1f s" % (le, fe)))
    b.table(Section("for_each against loops (%d invocations of a handler that sleeps 1 s; one run each)" % n, [
        "| playbook | wall time (s) | / for_each |", "|---|---:|---:|",
        "| one task, for_each, max_concurrency %d | %.1f | 1.00 |" % (CONCURRENCY, fe),
        "| loop: of lambda_invocation | %.1f | %.2f |" % (li, li / fe),
        "| loop: of amazon.aws.lambda_execute | %.1f | %.2f |" % (le, le / fe),
        "| the same invocations from boto3, %d threads, no Ansible (this endpoint's floor) | %.1f | %.2f |" % (CONCURRENCY, floor, floor / fe),
        "| Terraform's floor at parallelism %d | %d | |" % (CONCURRENCY, -(-n // CONCURRENCY)),
    ]))


def _direct(url: str, n: int) -> float:
    """Seconds to send the figure's n invocations straight from boto3, CONCURRENCY at a time."""
    client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing",
                          config=Config(retries={"max_attempts": 1}, read_timeout=120, max_pool_connections=CONCURRENCY))
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(lambda i: client.invoke(FunctionName=SLEEPER, Payload=json.dumps({"n": i}).encode()), range(n)))
    return time.perf_counter() - started
