#!/usr/bin/env bash
# Starts a local virtual node: machine setup, build, a local control plane on 127.0.0.1 (unless
# KUBECONFIG is set), and `virtual-kubelet --provider mock` registered as node vkubelet-mock-0.
# Prints KUBECONFIG=<path> once the node is Ready; Ctrl-C stops everything.
# Extra arguments go to virtual-kubelet (e.g. --provider-config FILE, --log-level debug).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
log() { printf '[start] %s\n' "$*" >&2; }
node_name=${VKUBELET_NODE_NAME:-vkubelet-mock-0}

log "1/4 setup (Debian packages, Go, npm dependencies, control-plane binaries)"
bash tools/scripts/setup.sh >&2

export PATH="$repo/node_modules/.bin:$PATH" NX_DAEMON=false
log "2/4 building the TypeScript packages (nx run-many -t build, cached)"
t0=$SECONDS
nx run-many -t build --outputStyle=static >&2
log "built in $((SECONDS - t0))s"

state=$(mktemp -d)
pids=()
cleanup() {
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vk_args=(--provider mock --nodename "$node_name")
if [ -n "${KUBECONFIG:-}" ]; then
  log "3/4 KUBECONFIG is set: using that cluster (no local control plane)"
  admin_kubeconfig=$KUBECONFIG
  vk_args+=(--kubeconfig "$KUBECONFIG")
else
  log "3/4 starting a local control plane (etcd, kube-apiserver, scheduler, controller-manager)"
  node tools/testenv/dist/cli.js up --node "$node_name" >"$state/up.out" 2>"$state/up.err" &
  pids+=($!)
  for _ in $(seq 1 600); do
    grep -q '^KUBECONFIG=' "$state/up.out" 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$state/up.err" >&2; log "the control plane failed to start"; exit 1; }
    sleep 0.5
  done
  grep -q '^KUBECONFIG=' "$state/up.out" || { cat "$state/up.err" >&2; log "the control plane did not get ready in 5 minutes"; exit 1; }
  admin_kubeconfig=$(sed -n 's/^KUBECONFIG=//p' "$state/up.out")
  vk_args+=(
    --kubeconfig "$(sed -n 's/^NODE_KUBECONFIG=//p' "$state/up.out")"
    --client-ca-file "$(sed -n 's/^CA_FILE=//p' "$state/up.out")"
    --listen-address 127.0.0.1:0 --node-ip 127.0.0.1 --metrics-addr 127.0.0.1:0
  )
fi

log "4/4 starting virtual-kubelet (logs in $state/virtual-kubelet.log)"
node packages/core/dist/cli/main.js "${vk_args[@]}" "$@" 2>"$state/virtual-kubelet.log" &
pids+=($!)
kubectl="$(cat "${VKUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vkubelet}/k8s/current")/kubectl"
for _ in $(seq 1 240); do
  if "$kubectl" --kubeconfig "$admin_kubeconfig" wait --for=condition=Ready "node/$node_name" --timeout=1s >/dev/null 2>&1; then
    log "node $node_name is Ready (Ctrl-C stops everything)"
    echo "KUBECONFIG=$admin_kubeconfig"
    # Keep the agent's log visible while it runs.
    tail -n +1 -f "$state/virtual-kubelet.log" >&2 &
    pids+=($!)
    wait "${pids[1]}"
    exit $?
  fi
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$state/virtual-kubelet.log" >&2; log "virtual-kubelet exited"; exit 1; }
  sleep 0.5
done
cat "$state/virtual-kubelet.log" >&2
log "node $node_name did not become Ready in 2 minutes"
exit 1
