//go:build tools

// Package tools pins the command scripts/setup-jaeger builds (jaeger, the all-in-one v2 binary), so
// `go mod tidy` keeps it in go.sum.
package tools

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
