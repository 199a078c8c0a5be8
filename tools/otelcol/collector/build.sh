#!/usr/bin/env bash
# Builds otelcol-vkubelet (main.go: the OTLP receiver and the file exporter from the published
# OpenTelemetry Collector modules pinned in go.mod) into the cache outside the repository
# ($VKUBELET_CACHE, else ~/.cache/vkubelet: otelcol/<version>/otelcol-vkubelet), like the control
# plane (tools/testenv/k8s/build.sh). A cached binary is reused, so a warm machine does nothing here
# (VKUBELET_OTELCOL_FORCE_REBUILD=1 rebuilds). Prints each step with its time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

command -v go >/dev/null || { echo "build.sh: Go is not installed (need go >= 1.26 on PATH)" >&2; exit 3; }
version=$(awk '$1=="go.opentelemetry.io/collector/otelcol" {print $2; exit}' go.mod)
[ -n "$version" ] || { echo "build.sh: no go.opentelemetry.io/collector/otelcol line in go.mod" >&2; exit 3; }
cache=${VKUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vkubelet}
# The binary's name carries a digest of the sources, so a change to main.go or go.mod rebuilds.
digest=$(cat go.mod go.sum main.go | sha256sum | cut -c1-12)
out="$cache/otelcol/$version-$digest"
if [ -x "$out/otelcol-vkubelet" ] && [ -z "${VKUBELET_OTELCOL_FORCE_REBUILD:-}" ]; then
  echo "[otelcol] $version: cached"
  exit 0
fi
mkdir -p "$out"
t0=$SECONDS
if ! GOPROXY=off go list -deps . >/dev/null 2>&1; then
  echo "[otelcol] downloading the collector modules $version into $(go env GOMODCACHE)..."
  go mod download
  echo "[otelcol] downloaded in $((SECONDS - t0))s"
fi
t1=$SECONDS
echo "[otelcol] building otelcol-vkubelet $version (a cold build takes a few minutes on 2 cores)..."
go build -trimpath -ldflags "-s -w" -o "$out/otelcol-vkubelet.tmp" .
mv "$out/otelcol-vkubelet.tmp" "$out/otelcol-vkubelet"
echo "[otelcol] built in $((SECONDS - t1))s ($((SECONDS - t0))s in all): $out/otelcol-vkubelet"
