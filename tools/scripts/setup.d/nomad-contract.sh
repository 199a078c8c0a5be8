#!/usr/bin/env bash
# Prepares the Nomad emulator's Go contract test (tools/nomad-emulator/contract): downloads the
# official client module (github.com/hashicorp/nomad/api, MPL-2.0) into Go's module cache and builds
# the test once into Go's build cache, both outside the repository, so the test itself neither
# downloads nor compiles from scratch. Quick when both caches are warm.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
command -v go >/dev/null || source "$repo/tools/scripts/ensure-go.sh" >/dev/null
log() { printf '[setup nomad-contract] %s\n' "$*"; }
cd "$repo/tools/nomad-emulator/contract"
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local
if ! go list -deps -test . >/dev/null 2>&1; then
  log "downloading github.com/hashicorp/nomad/api and its dependencies into $(go env GOMODCACHE)"
  go mod download
fi
t0=$SECONDS
go test -c -o /dev/null .
[ $((SECONDS - t0)) -lt 3 ] || log "built the contract test in $((SECONDS - t0))s (Go build cache)"
