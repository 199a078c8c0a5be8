#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd from the
# published modules pinned in go.mod, into a cache outside the repository. A binary already in
# the cache is reused, so a warm machine does nothing here (VKUBELET_K8S_FORCE_REBUILD=1 rebuilds,
# through Go's build cache). Prints one line per step with its time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

command -v go >/dev/null || { echo "build.sh: Go is not installed (need go >= 1.26 on PATH)" >&2; exit 3; }

kv=$(awk '($1=="k8s.io/kubernetes" && $3!="=>") {print $2; exit} ($1=="require" && $2=="k8s.io/kubernetes") {print $3; exit}' go.mod)
[ -n "$kv" ] || { echo "build.sh: no 'require k8s.io/kubernetes' line in go.mod" >&2; exit 3; }
minor=$(echo "$kv" | cut -d. -f2)
cache=${VKUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vkubelet}
out="$cache/k8s/$kv"
mkdir -p "$out"

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$kv -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$kv -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

step() { # name package [ldflags]
  local name=$1 pkg=$2 flags=$3
  if [ -x "$out/$name" ] && [ -z "${VKUBELET_K8S_FORCE_REBUILD:-}" ]; then echo "[control-plane] $name $kv: cached"; return; fi
  echo "[control-plane] building $name $kv (a cold build takes minutes on 2 cores)..."
  local t0=$SECONDS
  go build -trimpath -ldflags "$flags" -o "$out/$name.tmp" "$pkg"
  mv "$out/$name.tmp" "$out/$name"
  echo "[control-plane] built $name in $((SECONDS - t0))s"
}

total=$SECONDS
step etcd go.etcd.io/etcd/server/v3 "-s -w"
step kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
step kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ldflags"
step kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$ldflags"
step kubectl k8s.io/kubernetes/cmd/kubectl "$ldflags"
echo "[control-plane] binaries ready in $out ($((SECONDS - total))s)"
echo "$out" > "$cache/k8s/current"
