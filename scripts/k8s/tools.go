//go:build tools

// Package tools pins the commands scripts/setup-k8s builds, so `go mod tidy` keeps them in go.sum.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
