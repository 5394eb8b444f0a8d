// Istio's meshConfig, the part the daemon uses: the `mesh` key of the ConfigMap `istio` in the
// root namespace, with Istio's defaults for what it leaves unset (pkg/config/mesh
// DefaultMeshConfig). Parsed and validated by config/mesh_config_decoder.h; a Snapshot serves
// the current one (Snapshot::mesh_config), defaults when there is no such ConfigMap.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "state/model.h"

namespace zmesh::state {

// Where Istio reads meshConfig from: ConfigMap `istio`, key `mesh`, in the root namespace.
inline constexpr const char* kMeshConfigMapName = "istio";
inline constexpr const char* kMeshConfigKey = "mesh";

// extensionProviders[].envoyExtAuthzHttp: an external authorizer speaking Envoy's ext_authz
// HTTP API (AuthorizationPolicy action CUSTOM).
struct ExtAuthzHttpProvider {
  std::string service;  // "[<namespace>/]<hostname>" (or an IP address)
  uint32_t port = 0;
  std::string path_prefix;  // prepended to the request's path in the check request
  // Header name patterns: "abc" exact, "abc*" prefix, "*abc" suffix. The deprecated
  // includeHeadersInCheck is read into include_request_headers_in_check when that is unset.
  std::vector<std::string> include_request_headers_in_check;
  std::vector<std::string> headers_to_upstream_on_allow;
  std::vector<std::string> headers_to_downstream_on_deny;
  std::map<std::string, std::string> include_additional_headers_in_check;
  std::chrono::milliseconds timeout{std::chrono::seconds(600)};
  bool fail_open = false;
  std::string status_on_error = "403";  // an HTTP status Envoy knows, as written
  bool operator==(const ExtAuthzHttpProvider&) const = default;
};

struct HttpHeaderValue {
  std::string name;
  std::string value;
  bool operator==(const HttpHeaderValue&) const = default;
};

// extensionProviders[].opentelemetry.http: OTLP over HTTP instead of gRPC.
struct OtlpHttpService {
  std::string path;
  std::chrono::milliseconds timeout{std::chrono::seconds(3)};
  std::vector<HttpHeaderValue> headers;
  bool operator==(const OtlpHttpService&) const = default;
};

// extensionProviders[].opentelemetry: a tracing backend receiving OTLP.
struct OpenTelemetryProvider {
  std::string service;
  uint32_t port = 0;
  uint32_t max_tag_length = 0;          // 0: unset (the proxy's default)
  std::optional<OtlpHttpService> http;  // nullopt: gRPC
  bool operator==(const OpenTelemetryProvider&) const = default;
};

// extensionProviders[].zipkin.
struct ZipkinProvider {
  std::string service;
  uint32_t port = 0;
  uint32_t max_tag_length = 0;  // 0: unset (the proxy's default)
  bool operator==(const ZipkinProvider&) const = default;
};

// Any other provider kind (envoyExtAuthzGrpc, prometheus, envoyFileAccessLog, a kind newer than
// this code, ...): kept by name so that a reference to it can be reported as unsupported.
struct UnsupportedProvider {
  std::string istio_kind;  // the key as written: "envoyExtAuthzGrpc"
  bool operator==(const UnsupportedProvider&) const = default;
};

struct ExtensionProvider {
  std::string name;
  std::variant<ExtAuthzHttpProvider, OpenTelemetryProvider, ZipkinProvider, UnsupportedProvider>
      provider;

  // "envoyExtAuthzHttp", "opentelemetry", "zipkin" or "unsupported".
  std::string_view kind() const;
  const ExtAuthzHttpProvider* ext_authz_http() const {
    return std::get_if<ExtAuthzHttpProvider>(&provider);
  }
  const OpenTelemetryProvider* opentelemetry() const {
    return std::get_if<OpenTelemetryProvider>(&provider);
  }
  const ZipkinProvider* zipkin() const { return std::get_if<ZipkinProvider>(&provider); }
  bool operator==(const ExtensionProvider&) const = default;
};

// defaultProviders: provider names used where a Telemetry resource names none.
struct DefaultProviders {
  std::vector<std::string> tracing;
  std::vector<std::string> metrics;
  std::vector<std::string> access_logging;
  bool operator==(const DefaultProviders&) const = default;
};

// defaultConfig (ProxyConfig), the fields used here.
struct ProxyTracing {
  double sampling = 1.0;  // percent of requests traced; 0 reads as unset (Istio's 1.0)
  bool operator==(const ProxyTracing&) const = default;
};
struct GatewayTopology {
  uint32_t num_trusted_proxies = 0;  // X-Forwarded-For hops trusted
  bool operator==(const GatewayTopology&) const = default;
};
struct ProxyConfigDefaults {
  ProxyTracing tracing;
  GatewayTopology gateway_topology;
  bool operator==(const ProxyConfigDefaults&) const = default;
};

enum class OutboundTrafficMode { kAllowAny, kRegistryOnly };
const char* to_string(OutboundTrafficMode mode);  // "ALLOW_ANY", "REGISTRY_ONLY"

struct OutboundTrafficPolicy {
  OutboundTrafficMode mode = OutboundTrafficMode::kAllowAny;
  bool operator==(const OutboundTrafficPolicy&) const = default;
};

// Istio's built-in providers (DefaultMeshConfig): prometheus, stackdriver and envoy (file access
// log to /dev/stdout). A provider of the same name in meshConfig replaces one of these.
std::vector<ExtensionProvider> builtin_extension_providers();

struct MeshConfig {
  std::vector<ExtensionProvider> extension_providers = builtin_extension_providers();
  DefaultProviders default_providers;
  bool enable_tracing = true;
  ProxyConfigDefaults default_config;
  OutboundTrafficPolicy outbound_traffic_policy;
  std::string trust_domain = "cluster.local";
  std::optional<std::string> root_namespace;  // as written; nullopt when unset

  // The provider with this name, or null.
  const ExtensionProvider* find_provider(std::string_view name) const;
  bool operator==(const MeshConfig&) const = default;
};

// As config_dump shows it (camelCase field names, durations as "600s").
void to_json(nlohmann::json& j, const MeshConfig& mesh);

// A ConfigMap the mesh reads: only `istio` in the root namespace is kept (others are dropped
// when decoded), and of it only the parsed `mesh` key, not the text.
struct ConfigMap {
  ObjectMeta meta;
  std::shared_ptr<const MeshConfig> mesh;  // never null; defaults when the key is absent
};

}  // namespace zmesh::state
