// meshConfig decoding (mesh_config_decoder.h) and the ConfigMap kind that carries it.
#include "config/mesh_config_decoder.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "config/istio_fields.h"
#include "config/kind_decoders.h"
#include "config/utf8.h"
#include "config/validation.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

using state::MeshConfig;

// "envoyExtAuthzHttp" -> "envoy_ext_authz_http": the proto field name, which proto JSON
// accepts as well as the camelCase one.
std::string snake_case(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

// "envoy_ext_authz_http" -> "envoyExtAuthzHttp".
std::string camel_case(std::string_view name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
    } else {
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
  }
  return out;
}

// The field by its JSON name, else by its proto name.
FieldReader pb_field(const FieldReader& parent, std::string_view json_name) {
  FieldReader field = parent.field(json_name);
  if (field.node().IsDefined()) return field;
  std::string proto_name = snake_case(json_name);
  if (proto_name != json_name) {
    FieldReader alt = parent.field(proto_name);
    if (alt.node().IsDefined()) return alt;
  }
  return field;
}

// A quoted scalar (proto JSON writes 64-bit integers, and accepts any number, as a string).
std::optional<std::string> quoted_scalar(const FieldReader& field) {
  const YAML::Node& node = field.node();
  bool quoted = node.IsScalar() && (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str");
  return quoted ? std::optional<std::string>(node.Scalar()) : std::nullopt;
}

// An integer: a YAML integer or a quoted decimal (nullopt when absent or recorded as wrong).
std::optional<int64_t> read_integer(const FieldReader& field) {
  if (!field.present()) return std::nullopt;
  auto text = quoted_scalar(field);
  if (!text) return field.integer();  // records a wrong type itself
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) {
    field.error("must be an integer, got " + field.type_name());
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> read_u32(const FieldReader& field) {
  auto v = read_integer(field);
  if (!v) return std::nullopt;
  if (*v < 0 || *v > UINT32_MAX) {
    field.error("must be 0-" + std::to_string(UINT32_MAX) + ", got " + std::to_string(*v));
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

// A required port: Istio's ValidatePort (1-65535).
uint32_t read_port(const FieldReader& field) {
  if (!field.present()) {
    field.error("required (a port number 1-65535)");
    return 0;
  }
  auto v = read_integer(field);
  if (!v) return 0;
  if (*v < 1 || *v > 65535) {
    field.error("must be 1-65535, got " + std::to_string(*v));
    return 0;
  }
  return static_cast<uint32_t>(*v);
}

// A string that must not be empty; "" when absent (recorded as required) or of a wrong type.
std::string required_string(const FieldReader& field) {
  auto text = field.string();  // records a wrong type itself
  if (text ? text->empty() : !field.present()) field.error("required");
  return text.value_or("");
}

// A double: a YAML number or a quoted one.
std::optional<double> read_number(const FieldReader& field) {
  if (auto text = quoted_scalar(field)) {
    double value = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (!text->empty() && ec == std::errc() && ptr == text->data() + text->size() &&
        std::isfinite(value)) {
      return value;
    }
    field.error("must be a number, got " + field.type_name());
    return std::nullopt;
  }
  return read_double(field);
}

// Istio's validateExtensionProviderService: "<fqdn>", "<ip>" or "<namespace>/<hostname>".
std::string service_error(const std::string& service) {
  if (service.empty()) return "required";
  auto slash = service.find('/');
  if (slash == std::string::npos) {
    if (fqdn_error(service).empty() || parse_ip(service)) return "";
    return quote(service) + " is not a hostname or an IP address";
  }
  std::string ns = service.substr(0, slash);
  std::string host = service.substr(slash + 1);
  if (ns.empty() || host.empty()) {
    return quote(service) + ": config namespace and dnsName in host entry cannot be empty";
  }
  if (ns != "*" && ns != "." && ns != "~" && !istio_dns1123_label(ns)) {
    return quote(service) + ": invalid namespace value " + quote(ns);
  }
  if (host != "*" && host.find('.') == std::string::npos) {
    return quote(service) + ": short names (non FQDN) are not allowed";
  }
  if (auto err = wildcard_domain_error(host); !err.empty()) return quote(service) + ": " + err;
  if (host.find('*') != std::string::npos && host.size() != 1 && !host.starts_with("*.")) {
    return quote(service) + ": partial wildcard " + quote(host) + " not allowed";
  }
  return "";
}

std::string read_service(const FieldReader& field) {
  auto service = field.string();  // records a wrong type itself
  if (!service && field.present()) return "";
  if (auto err = service_error(service.value_or("")); !err.empty()) field.error(err);
  return service.value_or("");
}

// Envoy's envoy.type.v3.StatusCode values (what Istio accepts for statusOnError).
bool envoy_status_code(int64_t code) {
  static constexpr int kCodes[] = {
      100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
      400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421,
      422, 423, 424, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511};
  return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

std::chrono::milliseconds read_timeout(const FieldReader& field, std::chrono::milliseconds dflt) {
  return read_duration(field, DurationMin::kOneMs).value_or(dflt);
}

state::ExtAuthzHttpProvider decode_ext_authz_http(const FieldReader& f) {
  state::ExtAuthzHttpProvider p;
  p.service = read_service(pb_field(f, "service"));
  p.port = read_port(pb_field(f, "port"));
  p.timeout = read_timeout(pb_field(f, "timeout"), p.timeout);
  FieldReader prefix = pb_field(f, "pathPrefix");
  p.path_prefix = prefix.string().value_or("");
  if (!p.path_prefix.empty() && !p.path_prefix.starts_with("/")) {
    prefix.error("must begin with \"/\", got " + quote(p.path_prefix));
  }
  p.fail_open = pb_field(f, "failOpen").boolean().value_or(false);
  FieldReader status = pb_field(f, "statusOnError");
  if (auto text = status.string(); text && !text->empty()) {
    int64_t code = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), code);
    if (ec != std::errc() || ptr != text->data() + text->size() || !envoy_status_code(code)) {
      status.error(quote(*text) + " is not an HTTP status code Envoy supports (like \"403\")");
    } else {
      p.status_on_error = *text;
    }
  }
  p.include_request_headers_in_check =
      read_string_list(pb_field(f, "includeRequestHeadersInCheck"));
  if (p.include_request_headers_in_check.empty()) {  // the deprecated name
    p.include_request_headers_in_check = read_string_list(pb_field(f, "includeHeadersInCheck"));
  }
  p.headers_to_upstream_on_allow = read_string_list(pb_field(f, "headersToUpstreamOnAllow"));
  p.headers_to_downstream_on_deny = read_string_list(pb_field(f, "headersToDownstreamOnDeny"));
  p.include_additional_headers_in_check =
      pb_field(f, "includeAdditionalHeadersInCheck").string_map();
  return p;
}

state::OpenTelemetryProvider decode_opentelemetry(const FieldReader& f) {
  state::OpenTelemetryProvider p;
  p.service = read_service(pb_field(f, "service"));
  p.port = read_port(pb_field(f, "port"));
  p.max_tag_length = read_u32(pb_field(f, "maxTagLength")).value_or(0);
  FieldReader http = pb_field(f, "http");
  if (http.is_map()) {
    state::OtlpHttpService service;
    service.path = pb_field(http, "path").string().value_or("");
    service.timeout = read_timeout(pb_field(http, "timeout"), service.timeout);
    pb_field(http, "headers").each([&](const FieldReader& item) {
      if (!item.is_map()) return;
      state::HttpHeaderValue header;
      header.name = required_string(pb_field(item, "name"));
      header.value = pb_field(item, "value").string().value_or("");
      service.headers.push_back(std::move(header));
    });
    p.http = std::move(service);
  }
  if (p.http && pb_field(f, "grpc").present()) {
    f.error("cannot specify both grpc and http");
  }
  return p;
}

state::ZipkinProvider decode_zipkin(const FieldReader& f) {
  state::ZipkinProvider p;
  p.service = read_service(pb_field(f, "service"));
  p.port = read_port(pb_field(f, "port"));
  p.max_tag_length = read_u32(pb_field(f, "maxTagLength")).value_or(0);
  return p;
}

// One extensionProviders[] item: its name and the one provider kind it sets.
std::optional<state::ExtensionProvider> decode_provider(const FieldReader& item) {
  if (!item.present()) {
    item.error("must be an object with a name and a provider");
    return std::nullopt;
  }
  if (!item.is_map()) return std::nullopt;
  state::ExtensionProvider provider;
  provider.name = required_string(item.field("name"));

  std::vector<std::string> kinds;  // keys as written, null values left out (unset)
  for (const auto& entry : item.node()) {
    if (!entry.first.IsScalar()) {
      item.error("keys must be strings");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    if (key == "name" || entry.second.IsNull()) continue;
    kinds.push_back(key);
  }
  if (kinds.empty()) {
    item.error("must set a provider (envoyExtAuthzHttp, opentelemetry, zipkin, ...)");
    return std::nullopt;
  }
  if (kinds.size() > 1) {
    std::string list;
    for (const auto& k : kinds) list += (list.empty() ? "" : ", ") + k;
    item.error("must set only one provider, got " + list);
    return std::nullopt;
  }
  FieldReader config = item.field(kinds[0]);
  if (!config.is_map()) return std::nullopt;
  std::string kind = camel_case(kinds[0]);
  if (kind == "envoyExtAuthzHttp") {
    provider.provider = decode_ext_authz_http(config);
  } else if (kind == "opentelemetry") {
    provider.provider = decode_opentelemetry(config);
  } else if (kind == "zipkin") {
    provider.provider = decode_zipkin(config);
  } else {
    provider.provider = state::UnsupportedProvider{kind};
  }
  return provider;
}

// extensionProviders: merged into Istio's built-in providers by name (ApplyMeshConfig).
std::vector<state::ExtensionProvider> decode_providers(const FieldReader& field) {
  std::vector<state::ExtensionProvider> out = state::builtin_extension_providers();
  std::set<std::string> names;
  field.each([&](const FieldReader& item) {
    auto provider = decode_provider(item);
    if (!provider || provider->name.empty()) return;
    if (!names.insert(provider->name).second) {
      item.field("name").error("duplicate extension provider name " + quote(provider->name));
      return;
    }
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const auto& p) { return p.name == provider->name; });
    if (same != out.end()) {
      *same = std::move(*provider);
    } else {
      out.push_back(std::move(*provider));
    }
  });
  return out;
}

// Istio's ValidateTrustDomain: DNS-1123 labels (either case), a trailing dot allowed.
std::string trust_domain_error(const std::string& domain) {
  if (domain.empty()) return "empty domain name not allowed";
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string label = domain.substr(start, dot == std::string::npos ? dot : dot - start);
    if (dot == std::string::npos && label.empty() && start > 0) return "";  // "cluster.local."
    if (!istio_dns1123_label(label)) return "trust domain name " + quote(domain) + " invalid";
    if (dot == std::string::npos) return "";
    start = dot + 1;
  }
}

void decode_default_config(const FieldReader& field, state::ProxyConfigDefaults& out) {
  if (!field.is_map()) return;
  FieldReader tracing = pb_field(field, "tracing");
  if (tracing.is_map()) {
    FieldReader sampling = pb_field(tracing, "sampling");
    if (auto v = read_number(sampling)) {
      if (*v < 0 || *v > 100) {
        sampling.error("must be 0-100 (percent), got " + sampling.node().Scalar());
      } else if (*v != 0) {  // 0 is unset in proto3: Istio then samples its default 1%
        out.tracing.sampling = *v;
      }
    }
  }
  FieldReader topology = pb_field(field, "gatewayTopology");
  if (topology.is_map()) {
    if (auto n = read_u32(pb_field(topology, "numTrustedProxies"))) {
      out.gateway_topology.num_trusted_proxies = *n;
    }
  }
}

void decode_outbound_traffic_policy(const FieldReader& field, state::OutboundTrafficPolicy& out) {
  if (!field.is_map()) return;
  FieldReader mode = pb_field(field, "mode");
  if (!mode.present()) return;
  // Proto enums: by name, or by number (REGISTRY_ONLY = 0, ALLOW_ANY = 1).
  if (mode.is_integer()) {
    auto n = mode.integer();
    if (n == 0) {
      out.mode = state::OutboundTrafficMode::kRegistryOnly;
    } else if (n == 1) {
      out.mode = state::OutboundTrafficMode::kAllowAny;
    } else {
      mode.error("must be ALLOW_ANY or REGISTRY_ONLY, got " + mode.node().Scalar());
    }
    return;
  }
  auto text = mode.string();
  if (!text) return;
  if (*text == "ALLOW_ANY") {
    out.mode = state::OutboundTrafficMode::kAllowAny;
  } else if (*text == "REGISTRY_ONLY") {
    out.mode = state::OutboundTrafficMode::kRegistryOnly;
  } else {
    mode.error("must be ALLOW_ANY or REGISTRY_ONLY, got " + quote(*text));
  }
}

}  // namespace

MeshConfig decode_mesh_config(const FieldReader& root) {
  MeshConfig mesh;
  if (!root.present() || !root.is_map()) return mesh;  // empty: every default

  mesh.extension_providers = decode_providers(pb_field(root, "extensionProviders"));

  FieldReader defaults = pb_field(root, "defaultProviders");
  if (defaults.is_map()) {
    mesh.default_providers.tracing = read_string_list(pb_field(defaults, "tracing"));
    mesh.default_providers.metrics = read_string_list(pb_field(defaults, "metrics"));
    mesh.default_providers.access_logging = read_string_list(pb_field(defaults, "accessLogging"));
  }

  if (auto enabled = pb_field(root, "enableTracing").boolean()) mesh.enable_tracing = *enabled;
  decode_default_config(pb_field(root, "defaultConfig"), mesh.default_config);
  decode_outbound_traffic_policy(pb_field(root, "outboundTrafficPolicy"),
                                 mesh.outbound_traffic_policy);

  FieldReader trust_domain = pb_field(root, "trustDomain");
  if (auto text = trust_domain.string()) {
    if (auto err = trust_domain_error(*text); !err.empty()) {
      trust_domain.error(err);
    } else {
      mesh.trust_domain = *text;
    }
  }
  if (auto ns = pb_field(root, "rootNamespace").string(); ns && !ns->empty()) {
    mesh.root_namespace = *ns;
  }
  return mesh;
}

Result<MeshConfig> parse_mesh_config(const std::string& yaml_text, const std::string& where) {
  if (yaml_text.size() > kMaxYamlBytes) {
    return make_error(where + ": larger than " + std::to_string(kMaxYamlBytes >> 20) + " MiB");
  }
  if (auto at = first_invalid_utf8(yaml_text)) {
    return make_error(where + ": not UTF-8 (byte " + std::to_string(*at + 1) + ")");
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::string at = e.mark.is_null() ? ""
                                      : "line " + std::to_string(e.mark.line + 1) + ", column " +
                                            std::to_string(e.mark.column + 1) + ": ";
    return make_error(where + ": " + at + "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return make_error(where + ": invalid YAML: " + e.what());
  }
  FieldErrors errors;
  MeshConfig mesh = decode_mesh_config(FieldReader(doc, "", errors));
  if (errors.empty()) return mesh;
  std::string message;
  for (const auto& e : errors.all()) {
    if (!message.empty()) message += "; ";
    message += where + (e.path.empty() ? "" : " " + e.path) + ": " + e.message;
  }
  return make_error(std::move(message));
}

Object decode_config_map(const FieldReader& root, state::ObjectMeta meta) {
  state::ConfigMap config_map;
  config_map.meta = std::move(meta);
  FieldReader data = root.field("data");
  data.is_map();  // records a wrong type
  FieldReader mesh = data.field(state::kMeshConfigKey);
  if (auto text = mesh.string()) {
    auto parsed = parse_mesh_config(*text, "meshConfig");
    if (parsed) {
      config_map.mesh = std::make_shared<const MeshConfig>(std::move(parsed).value());
    } else {
      mesh.error(parsed.error().message);
    }
  }
  if (!config_map.mesh) config_map.mesh = std::make_shared<const MeshConfig>();
  return config_map;
}

}  // namespace zmesh::config
