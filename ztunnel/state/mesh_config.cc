#include "state/mesh_config.h"

#include "state/virtual_service.h"

namespace zmesh::state {
namespace {

struct KindName {
  std::string_view operator()(const ExtAuthzHttpProvider&) const { return "envoyExtAuthzHttp"; }
  std::string_view operator()(const OpenTelemetryProvider&) const { return "opentelemetry"; }
  std::string_view operator()(const ZipkinProvider&) const { return "zipkin"; }
  std::string_view operator()(const UnsupportedProvider&) const { return "unsupported"; }
};

void put_list(nlohmann::json& out, const char* key, const std::vector<std::string>& values) {
  if (!values.empty()) out[key] = values;
}

nlohmann::json provider_json(const ExtAuthzHttpProvider& p) {
  nlohmann::json out = {{"service", p.service},
                        {"port", p.port},
                        {"timeout", duration_json(p.timeout)},
                        {"failOpen", p.fail_open},
                        {"statusOnError", p.status_on_error}};
  if (!p.path_prefix.empty()) out["pathPrefix"] = p.path_prefix;
  put_list(out, "includeRequestHeadersInCheck", p.include_request_headers_in_check);
  put_list(out, "headersToUpstreamOnAllow", p.headers_to_upstream_on_allow);
  put_list(out, "headersToDownstreamOnDeny", p.headers_to_downstream_on_deny);
  if (!p.include_additional_headers_in_check.empty()) {
    out["includeAdditionalHeadersInCheck"] = p.include_additional_headers_in_check;
  }
  return out;
}

nlohmann::json provider_json(const OpenTelemetryProvider& p) {
  nlohmann::json out = {{"service", p.service}, {"port", p.port}};
  if (p.max_tag_length != 0) out["maxTagLength"] = p.max_tag_length;
  if (p.http) {
    auto headers = nlohmann::json::array();
    for (const auto& h : p.http->headers) headers.push_back({{"name", h.name}, {"value", h.value}});
    out["http"] = {{"path", p.http->path},
                   {"timeout", duration_json(p.http->timeout)},
                   {"headers", std::move(headers)}};
  }
  return out;
}

nlohmann::json provider_json(const ZipkinProvider& p) {
  nlohmann::json out = {{"service", p.service}, {"port", p.port}};
  if (p.max_tag_length != 0) out["maxTagLength"] = p.max_tag_length;
  return out;
}

nlohmann::json provider_json(const UnsupportedProvider& p) {
  return {{"kind", p.istio_kind}};
}

}  // namespace

std::string_view ExtensionProvider::kind() const {
  return std::visit(KindName{}, provider);
}

const char* to_string(OutboundTrafficMode mode) {
  switch (mode) {
    case OutboundTrafficMode::kAllowAny:
      return "ALLOW_ANY";
    case OutboundTrafficMode::kRegistryOnly:
      return "REGISTRY_ONLY";
  }
  return "";
}

std::vector<ExtensionProvider> builtin_extension_providers() {
  return {{"prometheus", UnsupportedProvider{"prometheus"}},
          {"stackdriver", UnsupportedProvider{"stackdriver"}},
          {"envoy", UnsupportedProvider{"envoyFileAccessLog"}}};
}

const ExtensionProvider* MeshConfig::find_provider(std::string_view name) const {
  for (const auto& p : extension_providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void to_json(nlohmann::json& j, const MeshConfig& mesh) {
  auto providers = nlohmann::json::array();
  for (const auto& p : mesh.extension_providers) {
    nlohmann::json entry = {{"name", p.name}};
    entry[std::string(p.kind())] =
        std::visit([](const auto& config) { return provider_json(config); }, p.provider);
    providers.push_back(std::move(entry));
  }
  const auto& dp = mesh.default_providers;
  j = {{"extensionProviders", std::move(providers)},
       {"defaultProviders",
        {{"tracing", dp.tracing}, {"metrics", dp.metrics}, {"accessLogging", dp.access_logging}}},
       {"enableTracing", mesh.enable_tracing},
       {"defaultConfig",
        {{"tracing", {{"sampling", mesh.default_config.tracing.sampling}}},
         {"gatewayTopology",
          {{"numTrustedProxies", mesh.default_config.gateway_topology.num_trusted_proxies}}}}},
       {"outboundTrafficPolicy", {{"mode", to_string(mesh.outbound_traffic_policy.mode)}}},
       {"trustDomain", mesh.trust_domain}};
  if (mesh.root_namespace) j["rootNamespace"] = *mesh.root_namespace;
}

}  // namespace zmesh::state
