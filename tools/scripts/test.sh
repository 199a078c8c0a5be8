#!/usr/bin/env bash
# The one test command (README, .ci/run): sets everything up, then lint, typecheck and every test
# (unit, integration against the real control plane, e2e with kubectl). Ends with the runner's summary.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
bash tools/scripts/setup.sh
export PATH="$repo/node_modules/.bin:$PATH" NX_DAEMON=false
source tools/scripts/ensure-go.sh >/dev/null
echo "[test] lint"
npm run --silent lint
echo "[test] typecheck (tsc --build)"
tsc -b tsconfig.json
echo "[test] public API reports (core, provider-kit) match review/*.api.md"
npm run --silent api:check >/dev/null || { echo "[test] the public API changed: run 'npm run api:update' and commit review/*.api.md" >&2; exit 1; }
echo "[test] vitest"
mkdir -p "${VKUBELET_CACHE:-$HOME/.cache/vkubelet}"
report="${VKUBELET_CACHE:-$HOME/.cache/vkubelet}/vitest-report.json"
status=0
vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node tools/scripts/summarize-vitest.mjs "$report"
exit $status
