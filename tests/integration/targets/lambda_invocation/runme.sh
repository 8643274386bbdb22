#!/usr/bin/env bash
# `ansible-test integration lambda_invocation` (scripts/test runs it): starts the local Lambda
# endpoint (tools/local_lambda, moto whose functions really run) on 127.0.0.1, deploys a recorder
# function (files/recorder.py) that logs every event it receives, then runs lifecycle.yml and
# lifecycle_again.yml, whose assertions fail the target when the module does not do what
# docs/lambda_invocation.md says. The second playbook reads the records the first one stored, from
# a jsonfile fact cache. Nothing reaches AWS: the credentials are dummies and the endpoint is local.
set -eu

# ansible-test runs this from a copy of the target under <collection>/tests/output/.tmp/; the
# collection root (with tools/) is the first directory above holding galaxy.yml.
root=$PWD
until [ -f "$root/galaxy.yml" ]; do
  [ "$root" != / ] || { echo "runme.sh: no galaxy.yml above $PWD" >&2; exit 1; }
  root=$(dirname "$root")
done

work=$(mktemp -d)
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python "$root/tools/local_lambda/server.py" --host 127.0.0.1 --port 0 >"$work/endpoint" 2>"$work/endpoint.log" &
server=$!
for _ in $(seq 300); do
  grep -q '^LOCAL_LAMBDA_ENDPOINT=' "$work/endpoint" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/endpoint.log" >&2; exit 1; }
  sleep 0.1
done
endpoint=$(sed -n 's/^LOCAL_LAMBDA_ENDPOINT=//p' "$work/endpoint")
[ -n "$endpoint" ] || { echo "runme.sh: the local endpoint did not start in 30 s" >&2; exit 1; }

PYTHONPATH="$root/tools" python -m local_lambda.deploy "$endpoint" recorder files/recorder.py EVENT_LOG="$work/events.jsonl"

export ANSIBLE_CACHE_PLUGIN=jsonfile ANSIBLE_CACHE_PLUGIN_CONNECTION="$work/facts" ANSIBLE_CACHE_PLUGIN_TIMEOUT=0
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
vars=(-e "lambda_endpoint=$endpoint" -e "event_log=$work/events.jsonl")
ansible-playbook lifecycle.yml "${vars[@]}" "$@"
ansible-playbook lifecycle_again.yml "${vars[@]}" "$@"
