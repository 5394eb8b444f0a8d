// Whether a Service port declares HTTP, the way Istio infers protocols: appProtocol first,
// then the port name's prefix. Such ports are parsed as HTTP even without a VirtualService.
#pragma once

#include "state/model.h"

namespace zmesh::routing {

// appProtocol http / http2 / grpc / grpc-web / kubernetes.io/h2c, or a name `http`, `http-*`,
// `http2`, `http2-*`, `grpc`, `grpc-*` (case-insensitive, as Istio's protocol.Parse).
bool port_declares_http(const state::ServicePort& port);

// The HTTP/2 subset (Istio's Instance.IsHTTP2): appProtocol http2 / grpc / grpc-web /
// kubernetes.io/h2c, or a name `http2`, `http2-*`, `grpc`, `grpc-*`. Envoy speaks HTTP/2 to
// such ports' endpoints.
bool port_declares_http2(const state::ServicePort& port);

}  // namespace zmesh::routing
