#!/usr/bin/env bash
# Starts a local virtual node: machine setup, build, then `vkubelet-stack up` (tools/stack): a local
# control plane with metrics-server, the provider's backend, and virtual-kubelet as the node. Prints
# KUBECONFIG=<path> once the node is Ready, then commands to try; Ctrl-C stops it all and removes
# the stack's state directory.
#   --provider mock|cri|fargate|eci  (default mock)     --name NAME  (several stacks side by side)
#   --node-name NODE  --address IP   other flags go to virtual-kubelet (e.g. --log-level debug)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
log() { printf '[start] %s\n' "$*" >&2; }

log "1/3 setup (Debian packages, Go, npm dependencies, control-plane and metrics-server binaries)"
bash tools/scripts/setup.sh >&2

export PATH="$repo/node_modules/.bin:$PATH" NX_DAEMON=false
log "2/3 building the TypeScript packages (nx run-many -t build, cached)"
t0=$SECONDS
nx run-many -t build --outputStyle=static >&2
log "built in $((SECONDS - t0))s"

log "3/3 starting the stack"
exec node tools/stack/dist/cli.js up "$@"
