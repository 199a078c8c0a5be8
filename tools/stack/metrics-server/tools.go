//go:build tools

// Package tools pins the main package built by build.sh so that `go mod tidy` keeps it.
package tools

import (
	_ "sigs.k8s.io/metrics-server/cmd/metrics-server"
)
