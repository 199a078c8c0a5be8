# Sourced by setup.sh: puts a Go >= 1.26 on PATH. Uses the installed one when new enough, otherwise
# fetches the official toolchain module from the Go module proxy into the cache.
need_minor=26
go_ok() { command -v go >/dev/null && [ "$(go env GOVERSION | sed -E 's/go1\.([0-9]+).*/\1/')" -ge $need_minor ]; }
for d in /usr/local/go/bin "$HOME/go/bin"; do [ -d "$d" ] && PATH="$PATH:$d"; done
if ! go_ok; then
  ver=1.26.8
  dest="${VKUBELET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vkubelet}/go-$ver"
  if [ ! -x "$dest/bin/go" ]; then
    echo "[setup] fetching Go $ver from the Go module proxy"
    tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$ver.linux-amd64.zip"
    (cd "$tmp" && python3 -m zipfile -e go.zip .)
    mkdir -p "$(dirname "$dest")" && mv "$tmp/golang.org/toolchain@v0.0.1-go$ver.linux-amd64" "$dest"
    chmod +x "$dest"/bin/* "$dest"/pkg/tool/*/* 2>/dev/null || true
    rm -rf "$tmp"
  fi
  PATH="$dest/bin:$PATH"
fi
export PATH GOTOOLCHAIN=local
echo "[setup] $(go version)"
