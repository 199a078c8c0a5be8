#!/usr/bin/env bash
# Builds the OpenTelemetry Collector the tracing tests export to (tools/otelcol/collector/build.sh:
# the OTLP receiver and the file exporter from the collector's Go modules) into the cache outside the
# repository. Quick when cached; a cold build took 4 minutes on 2 shared cores.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
command -v go >/dev/null || source "$repo/tools/scripts/ensure-go.sh" >/dev/null
bash "$repo/tools/otelcol/collector/build.sh"
