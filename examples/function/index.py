# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An example Lambda function for cloudhooks.aws.lambda_invocation: it provisions a tenant.

It is written for Terraform's aws_lambda_invocation with lifecycle_scope = "CRUD", so it works
unchanged with the Ansible module: its event is the task's input plus
"tf": {"action": "create" | "update" | "delete", "prev_input": <the input sent last time>}.

A real function would create, change or remove the tenant's resources here. This one answers what
it would have done, and appends every event it receives, as one line of JSON, to the file named
by the EVENT_LOG environment variable (when set), so that scripts/demo can show it.
"""
import json
import os


def handler(event, context):
    log = os.environ.get("EVENT_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as events:
            events.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")

    lifecycle = event.get("tf") or {"action": "create", "prev_input": None}
    action = lifecycle["action"]
    previous = lifecycle.get("prev_input") or {}
    tenant, plan = event.get("tenant"), event.get("plan")
    if action == "create":
        message = "created tenant %s on the %s plan" % (tenant, plan)
    elif action == "update":
        message = "moved tenant %s from the %s plan to the %s plan" % (tenant, previous.get("plan"), plan)
    elif action == "delete":
        message = "deleted tenant %s" % tenant
    else:
        raise ValueError("unknown action %r" % action)
    print(message)  # goes to the function's log (CloudWatch Logs on AWS)
    return {"tenant": tenant, "action": action, "message": message}
