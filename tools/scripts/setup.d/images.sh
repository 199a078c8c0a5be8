#!/usr/bin/env bash
# Debian's docker-registry package starts a registry service on :5000 where systemd runs; the image
# tests start their own on loopback, so the service is stopped and disabled. Quick when done.
set -euo pipefail
if [ -d /run/systemd/system ] && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  printf '[setup images] %s\n' "disabling the docker-registry service (tests start their own registry)"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
