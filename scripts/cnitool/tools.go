//go:build tools

// Package tools pins the command scripts/setup-cni builds (cnitool), so `go mod tidy` keeps it in go.sum.
package tools

import (
	_ "github.com/containernetworking/cni/cnitool"
)
