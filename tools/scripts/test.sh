#!/usr/bin/env bash
# The one test command (README, .ci/run): sets everything up from nothing, then runs every check
# through Nx: the workspace's sync and changeset checks; lint, format, typecheck, build, API reports,
# package checks and unit tests (cached, two at a time); then the integration, conformance and e2e
# suites (never cached, one at a time: each starts its own control planes and backends, and two at
# once on 2 cores make start-up timeouts flaky). Ends with `tests: N passed, N failed, N skipped`
# over every suite, cached ones included.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
bash tools/scripts/setup.sh || exit 1
export PATH="$repo/node_modules/.bin:$PATH" NX_DAEMON=false NX_TUI=false
source tools/scripts/ensure-go.sh >/dev/null

t0=$SECONDS
failed=()
# Runs one phase, prints its duration, and remembers it when it fails (the phases after it still run).
phase() {
  local name=$1 start=$SECONDS
  shift
  echo "[test] ${name}"
  "$@" || failed+=("$name")
  echo "[test] ${name}: done in $((SECONDS - start))s"
}

# Reports of an earlier run must not count: each suite target writes (or the cache restores) its own.
for dir in packages/* providers/* tools/* e2e; do rm -rf "$dir/test-results"; done

phase "nx sync:check (tsconfig project references follow the dependency graph)" nx sync:check
phase "changeset status" changeset status
phase "lint, format, typecheck, build, API reports, package checks (publint, attw), unit tests" \
  nx run-many -t lint format-check typecheck build api-report package-check test --parallel=2 --outputStyle=static
phase "integration, conformance and e2e suites, one at a time" \
  nx run-many -t integration conformance e2e --parallel=1 --outputStyle=stream

echo "[test] finished in $((SECONDS - t0))s (setup not counted)"
for name in "${failed[@]}"; do echo "[test] FAILED: ${name}"; done
node tools/workspace/src/test-summary.ts "$repo" || failed+=("tests")
[ ${#failed[@]} -eq 0 ]
