#!/usr/bin/env bash
# Installs moto's server (an AWS API emulator, used to test the Fargate provider against ECS and
# CloudWatch Logs) into a virtualenv in the cache, outside the repository. Quick when present.
# Needs Debian's python3 and python3-venv (the venv module and ensurepip).
set -euo pipefail
MOTO_VERSION=${MOTO_VERSION:-5.2.5}
venv="${VKUBELET_CACHE:-$HOME/.cache/vkubelet}/venv-moto"
log() { printf '[setup moto] %s\n' "$*"; }

if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  exit 0
fi
log "installing moto[server]==$MOTO_VERSION into $venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
"$venv/bin/moto_server" --help >/dev/null
log "moto_server ready: $venv/bin/moto_server"
