#!/usr/bin/env bash
# Starts vkubelet locally: machine setup, build, then a local control plane (until Ctrl-C).
# With KUBECONFIG already set, that cluster is used instead and no control plane is started.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
log() { printf '[start] %s\n' "$*" >&2; }

log "1/3 setup (Debian packages, Go, npm dependencies, control-plane binaries)"
bash tools/scripts/setup.sh

export PATH="$repo/node_modules/.bin:$PATH" NX_DAEMON=false
log "2/3 building the TypeScript packages start needs (tools/testenv)"
t0=$SECONDS
tsc -b tools/testenv/tsconfig.lib.json
log "built in $((SECONDS - t0))s"

if [ -n "${KUBECONFIG:-}" ]; then
  log "3/3 KUBECONFIG is set: using the cluster in $KUBECONFIG (no local control plane started)"
  # The virtual node will be started against this cluster once the agent lands.
  exit 0
fi

log "3/3 starting a local control plane (Ctrl-C stops it)"
exec node tools/testenv/dist/cli.js up "$@"
