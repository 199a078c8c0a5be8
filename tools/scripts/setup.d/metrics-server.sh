#!/usr/bin/env bash
# Builds metrics-server from its Go module for the local stack (tools/stack/metrics-server/build.sh),
# into the cache outside the repository. Quick when cached.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
bash "$repo/tools/stack/metrics-server/build.sh"
