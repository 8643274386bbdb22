#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing (the end-to-end tests start their own server
# on a free loopback port; this script only makes the binary available). Needs root.
# Usage: tests/integration/install_redis_server.sh
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
command -v redis-server >/dev/null
