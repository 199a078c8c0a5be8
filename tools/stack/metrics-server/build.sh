#!/usr/bin/env bash
# Builds metrics-server from the module version pinned in go.mod into the cache outside the repository
# ($VKUBELET_CACHE, else ~/.cache/vkubelet: metrics-server/<version>/metrics-server), like the control
# plane (tools/testenv/k8s/build.sh). A cached binary is reused, so a warm machine does nothing here.
# Prints what it does and how long it took.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

command -v go >/dev/null || { echo "build.sh: Go is not installed (need go >= 1.26 on PATH)" >&2; exit 3; }
version=$(awk '$1=="require" && $2=="sigs.k8s.io/metrics-server" {print $3; exit}' go.mod)
[ -n "$version" ] || { echo "build.sh: no 'require sigs.k8s.io/metrics-server' line in go.mod" >&2; exit 3; }
cache=${VKUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vkubelet}
out="$cache/metrics-server/$version"
if [ -x "$out/metrics-server" ] && [ -z "${VKUBELET_METRICS_SERVER_FORCE_REBUILD:-}" ]; then
  echo "[metrics-server] $version: cached"
  exit 0
fi
mkdir -p "$out"
echo "[metrics-server] building $version (a cold build takes a few minutes on 2 cores)..."
t0=$SECONDS
# The version stamp of upstream's Makefile, so `metrics-server --version` names the release.
ldflags="-s -w -X k8s.io/client-go/pkg/version.gitVersion=$version"
go build -trimpath -ldflags "$ldflags" -o "$out/metrics-server.tmp" sigs.k8s.io/metrics-server/cmd/metrics-server
mv "$out/metrics-server.tmp" "$out/metrics-server"
echo "[metrics-server] built $version in $((SECONDS - t0))s: $out/metrics-server"
