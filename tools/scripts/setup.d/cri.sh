#!/usr/bin/env bash
# Installs what the CRI provider's tests run against: containerd (with its CRI plugin), runc, the
# CNI reference plugins (bridge, host-local, loopback, portmap) and busybox-static, from which the
# test images are built locally (nothing is pulled from a registry). Quick when present.
set -euo pipefail
log() { printf '[setup cri] %s\n' "$*"; }
wanted=(containerd runc containernetworking-plugins busybox-static iptables)
missing=()
for p in "${wanted[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
log "installing Debian packages: ${missing[*]}"
sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's package ships a systemd unit; the tests start their own private containerd, never this one.
log "containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')"
