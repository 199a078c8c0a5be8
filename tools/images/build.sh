#!/usr/bin/env bash
# Builds provider images with buildah (no Docker engine): bash tools/images/build.sh providers/cri [...]
# Options: --base <image> (a public base instead of the local Node base), --budget-mb <n> (default 200),
# --out <dir> (default dist/images). Prints each image's size and build time; fails over budget.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$repo/node_modules/.bin:$PATH"
tsc -b "$repo/tools/images/tsconfig.lib.json"
exec node "$repo/tools/images/dist/cli.js" build "$@"
