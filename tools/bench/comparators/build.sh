#!/usr/bin/env bash
# Builds the benchmark's comparators from the Go module proxy with `go install <module>@<version>`
# into the vkubelet cache (never into the repository): upstream Virtual Kubelet v1.14.1 (its mock
# provider is built in) and kwok v0.8.0, plus kwok's stock stages (the kwok binary runs none by
# itself; these are the ones kwokctl configures by default), copied from the module's source. What is
# already cached is reused, so a warm machine does nothing here. Prints `name=path` lines.
set -euo pipefail
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
command -v go >/dev/null || { echo "comparators/build.sh: Go is not installed (need go >= 1.26 on PATH; source tools/scripts/ensure-go.sh)" >&2; exit 3; }

cache=${VKUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vkubelet}

build() { # name module-path version
  local name=$1 pkg=$2 version=$3
  local dir="$cache/comparators/$name-$version"
  local bin="$dir/$(basename "$pkg")"
  if [ ! -x "$bin" ]; then
    echo "[comparators] building $name $version with go install (minutes on 2 cores)..." >&2
    local t0=$SECONDS
    mkdir -p "$dir"
    GOBIN="$dir" nice -n 10 go install -trimpath -ldflags "-s -w" "$pkg@$version" >&2
    echo "[comparators] built $name $version in $((SECONDS - t0))s" >&2
  fi
  echo "$name=$bin"
}

build upstream-vk github.com/virtual-kubelet/virtual-kubelet/cmd/virtual-kubelet v1.14.1
build kwok sigs.k8s.io/kwok/cmd/kwok v0.8.0

stages="$cache/comparators/kwok-v0.8.0/stages.yaml"
if [ ! -s "$stages" ]; then
  src=$(go mod download -json sigs.k8s.io/kwok@v0.8.0 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "comparators/build.sh: kwok's module source not found" >&2; exit 3; }
  for f in node/fast/node-initialize node/heartbeat/node-heartbeat \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo '---'
    cat "$src/kustomize/stage/$f.yaml"
  done > "$stages.tmp"
  mv "$stages.tmp" "$stages"
fi
echo "kwok-stages=$stages"
