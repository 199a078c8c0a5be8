#!/usr/bin/env bash
# Installs everything vkubelet needs on a Debian machine, from nothing, and is quick when all is there:
# Debian packages, Go (>= 1.26, from the Go module proxy when missing), npm dependencies (which bring
# Node 24 as node_modules/.bin/node), and the control-plane binaries built from Go modules.
# Caches live outside the repository: ~/.cache/vkubelet (override with VKUBELET_CACHE), ~/.npm, Go's.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
log() { printf '[setup] %s\n' "$*"; }
t0=$SECONDS

# 1. Debian packages listed in tools/scripts/apt-packages.txt (comments allowed).
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^\s*$/d' tools/scripts/apt-packages.txt)
missing=()
for p in "${wanted[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Go >= 1.26 (the control plane's go.mod needs it).
source tools/scripts/ensure-go.sh

# 3. npm dependencies, with the system npm; the `node` devDependency brings Node 24.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "node for project scripts: $(node_modules/.bin/node --version)"

# 4. The control plane: built once per machine into the cache.
tools/testenv/k8s/build.sh

# 5. Provider backends that need their own installs (each script is quick when done).
for extra in tools/scripts/setup.d/*.sh; do
  [ -e "$extra" ] || continue
  bash "$extra"
done
log "ready in $((SECONDS - t0))s"
