// parse_mesh_config: Istio's defaults, each provider kind and field, and errors at field paths.
#include <gtest/gtest.h>

#include "config/mesh_config_decoder.h"

namespace zmesh::config {
namespace {

using namespace std::chrono_literals;
using state::MeshConfig;

MeshConfig parse_ok(const std::string& yaml) {
  auto parsed = parse_mesh_config(yaml, "meshConfig");
  EXPECT_TRUE(parsed.ok()) << yaml << "\n-> " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : MeshConfig{};
}

std::vector<std::string> provider_names(const MeshConfig& mesh) {
  std::vector<std::string> out;
  for (const auto& p : mesh.extension_providers) out.push_back(p.name);
  return out;
}

TEST(MeshConfig, DefaultsAreIstios) {
  MeshConfig d;
  EXPECT_TRUE(d.enable_tracing);
  EXPECT_EQ(d.default_config.tracing.sampling, 1.0);
  EXPECT_EQ(d.default_config.gateway_topology.num_trusted_proxies, 0u);
  EXPECT_EQ(d.outbound_traffic_policy.mode, state::OutboundTrafficMode::kAllowAny);
  EXPECT_EQ(d.trust_domain, "cluster.local");
  EXPECT_FALSE(d.root_namespace);
  EXPECT_TRUE(d.default_providers.tracing.empty());
  EXPECT_EQ(provider_names(d), (std::vector<std::string>{"prometheus", "stackdriver", "envoy"}));
  ASSERT_NE(d.find_provider("envoy"), nullptr);
  EXPECT_EQ(d.find_provider("envoy")->kind(), "unsupported");
  EXPECT_EQ(std::get<state::UnsupportedProvider>(d.find_provider("envoy")->provider).istio_kind,
            "envoyFileAccessLog");
  EXPECT_EQ(d.find_provider("nope"), nullptr);

  // Empty, comments only, {} and unknown fields all read as the defaults.
  for (const char* yaml :
       {"", "# nothing\n", "{}", "accessLogFile: /dev/stdout\nnewField: {a: 1}\n",
        "defaultConfig:\n  discoveryAddress: istiod:15012\n  tracing: {}\n"}) {
    EXPECT_EQ(parse_ok(yaml), d) << yaml;
  }
}

TEST(MeshConfig, ExtAuthzHttpProvider) {
  auto mesh = parse_ok(R"(
extensionProviders:
- name: authz
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: 8000
    pathPrefix: /check
    includeRequestHeadersInCheck: [x-ext-authz, "x-b3-*"]
    headersToUpstreamOnAllow: [x-user]
    headersToDownstreamOnDeny: [x-reason]
    includeAdditionalHeadersInCheck: {x-mesh: zmesh, x-empty: ""}
    timeout: 0.5s
    failOpen: true
    statusOnError: "503"
    unknownField: ignored
)");
  ASSERT_EQ(mesh.extension_providers.size(), 4u);  // after the built-in ones
  const auto& p = mesh.extension_providers[3];
  EXPECT_EQ(p.name, "authz");
  EXPECT_EQ(p.kind(), "envoyExtAuthzHttp");
  ASSERT_NE(p.ext_authz_http(), nullptr);
  const auto& a = *p.ext_authz_http();
  EXPECT_EQ(a.service, "ext-authz.foo.svc.cluster.local");
  EXPECT_EQ(a.port, 8000u);
  EXPECT_EQ(a.path_prefix, "/check");
  EXPECT_EQ(a.include_request_headers_in_check,
            (std::vector<std::string>{"x-ext-authz", "x-b3-*"}));
  EXPECT_EQ(a.headers_to_upstream_on_allow, (std::vector<std::string>{"x-user"}));
  EXPECT_EQ(a.headers_to_downstream_on_deny, (std::vector<std::string>{"x-reason"}));
  EXPECT_EQ(a.include_additional_headers_in_check,
            (std::map<std::string, std::string>{{"x-mesh", "zmesh"}, {"x-empty", ""}}));
  EXPECT_EQ(a.timeout, 500ms);
  EXPECT_TRUE(a.fail_open);
  EXPECT_EQ(a.status_on_error, "503");

  // Defaults; proto field names and a quoted port (proto JSON); the deprecated header list.
  auto d = parse_ok(R"(
extension_providers:
- name: authz
  envoy_ext_authz_http:
    service: foo/ext-authz.example.com
    port: "9000"
    include_headers_in_check: [cookie]
)");
  const auto* b = d.find_provider("authz")->ext_authz_http();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->service, "foo/ext-authz.example.com");
  EXPECT_EQ(b->port, 9000u);
  EXPECT_EQ(b->timeout, 600s);
  EXPECT_FALSE(b->fail_open);
  EXPECT_EQ(b->status_on_error, "403");
  EXPECT_EQ(b->path_prefix, "");
  EXPECT_EQ(b->include_request_headers_in_check, (std::vector<std::string>{"cookie"}));
}

TEST(MeshConfig, TracingProvidersAndUnsupportedKinds) {
  auto mesh = parse_ok(R"(
extensionProviders:
- name: otel
  opentelemetry:
    service: opentelemetry-collector.observability.svc.cluster.local
    port: 4317
    maxTagLength: 99
- name: otel-http
  opentelemetry:
    service: otlp.example.com
    port: 443
    http:
      path: /api/otlp/traces
      timeout: 2m
      headers:
      - {name: x-api-key, value: secret}
- name: zipkin
  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411, maxTagLength: 256}
- name: grpc-authz
  envoyExtAuthzGrpc: {service: authz.foo.svc.cluster.local, port: 9000}
- name: future
  someNewKind: {}
- name: prometheus
  zipkin: {service: 10.0.0.9, port: 9411}
)");
  EXPECT_EQ(provider_names(mesh),
            (std::vector<std::string>{"prometheus", "stackdriver", "envoy", "otel", "otel-http",
                                      "zipkin", "grpc-authz", "future"}));
  const auto* otel = mesh.find_provider("otel")->opentelemetry();
  ASSERT_NE(otel, nullptr);
  EXPECT_EQ(otel->service, "opentelemetry-collector.observability.svc.cluster.local");
  EXPECT_EQ(otel->port, 4317u);
  EXPECT_EQ(otel->max_tag_length, 99u);
  EXPECT_FALSE(otel->http);

  const auto* http = mesh.find_provider("otel-http")->opentelemetry();
  ASSERT_NE(http, nullptr);
  ASSERT_TRUE(http->http);
  EXPECT_EQ(http->http->path, "/api/otlp/traces");
  EXPECT_EQ(http->http->timeout, 2min);
  EXPECT_EQ(http->http->headers, (std::vector<state::HttpHeaderValue>{{"x-api-key", "secret"}}));
  EXPECT_EQ(parse_ok("extensionProviders: [{name: o, opentelemetry: {service: a.b, port: 1, "
                     "http: {path: /v1/traces}}}]")
                .find_provider("o")
                ->opentelemetry()
                ->http->timeout,
            3s);  // HttpService's default

  const auto* zipkin = mesh.find_provider("zipkin")->zipkin();
  ASSERT_NE(zipkin, nullptr);
  EXPECT_EQ(zipkin->service, "zipkin.istio-system.svc.cluster.local");
  EXPECT_EQ(zipkin->port, 9411u);
  EXPECT_EQ(zipkin->max_tag_length, 256u);

  const auto& grpc = *mesh.find_provider("grpc-authz");
  EXPECT_EQ(grpc.kind(), "unsupported");
  EXPECT_EQ(std::get<state::UnsupportedProvider>(grpc.provider).istio_kind, "envoyExtAuthzGrpc");
  EXPECT_EQ(std::get<state::UnsupportedProvider>(mesh.find_provider("future")->provider).istio_kind,
            "someNewKind");
  // A provider named like a built-in one replaces it, in place.
  EXPECT_EQ(mesh.extension_providers[0].kind(), "zipkin");
  EXPECT_EQ(mesh.extension_providers[0].zipkin()->service, "10.0.0.9");
}

TEST(MeshConfig, EveryOtherField) {
  auto mesh = parse_ok(R"(
defaultProviders:
  tracing: [otel]
  metrics: [prometheus]
  accessLogging: [envoy, otel-als]
enableTracing: false
defaultConfig:
  tracing: {sampling: 10.5}
  gatewayTopology: {numTrustedProxies: 2}
outboundTrafficPolicy: {mode: REGISTRY_ONLY}
trustDomain: example.org
rootNamespace: mesh-root
)");
  EXPECT_EQ(mesh.default_providers.tracing, (std::vector<std::string>{"otel"}));
  EXPECT_EQ(mesh.default_providers.metrics, (std::vector<std::string>{"prometheus"}));
  EXPECT_EQ(mesh.default_providers.access_logging, (std::vector<std::string>{"envoy", "otel-als"}));
  EXPECT_FALSE(mesh.enable_tracing);
  EXPECT_EQ(mesh.default_config.tracing.sampling, 10.5);
  EXPECT_EQ(mesh.default_config.gateway_topology.num_trusted_proxies, 2u);
  EXPECT_EQ(mesh.outbound_traffic_policy.mode, state::OutboundTrafficMode::kRegistryOnly);
  EXPECT_EQ(mesh.trust_domain, "example.org");
  EXPECT_EQ(mesh.root_namespace, "mesh-root");

  // Proto forms: an enum by number, a quoted number; sampling 0 is unset (Istio's 1%).
  auto alt = parse_ok(
      "outboundTrafficPolicy: {mode: 0}\ndefaultConfig: {tracing: {sampling: 0}, "
      "gateway_topology: {num_trusted_proxies: \"3\"}}\ntrustDomain: cluster.local.\n");
  EXPECT_EQ(alt.outbound_traffic_policy.mode, state::OutboundTrafficMode::kRegistryOnly);
  EXPECT_EQ(alt.default_config.tracing.sampling, 1.0);
  EXPECT_EQ(alt.default_config.gateway_topology.num_trusted_proxies, 3u);
  EXPECT_EQ(parse_ok("outboundTrafficPolicy: {}\n").outbound_traffic_policy.mode,
            state::OutboundTrafficMode::kAllowAny);
}

TEST(MeshConfig, ErrorsNameTheField) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"[1, 2]", "meshConfig: must be an object, got a list"},
      {"a: [unclosed",
       "meshConfig: line 1, column 1: invalid YAML: end of sequence flow not found"},
      {"extensionProviders:\n- name: a\n  zipkin: {service: z.ns.svc, port: 1}\n"
       "- name: b\n  envoyExtAuthzHttp: {service: a.b.svc, port: 0}\n",
       "meshConfig extensionProviders[1].envoyExtAuthzHttp.port: must be 1-65535, got 0"},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b.svc, port: 65536}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.port: must be 1-65535, got 65536"},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b.svc}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.port: required (a port number "
       "1-65535)"},
      {"extensionProviders: [{name: a, zipkin: {service: a.b.svc, port: \"x\"}}]",
       "meshConfig extensionProviders[0].zipkin.port: must be an integer, got a string \"x\""},
      {"extensionProviders: [{name: a, zipkin: {port: 9411}}]",
       "meshConfig extensionProviders[0].zipkin.service: required"},
      {"extensionProviders: [{name: a, zipkin: {service: bad_host, port: 9411}}]",
       "meshConfig extensionProviders[0].zipkin.service: \"bad_host\" is not a hostname or an IP "
       "address"},
      {"extensionProviders: [{name: a, zipkin: {service: ns/zipkin, port: 9411}}]",
       "meshConfig extensionProviders[0].zipkin.service: \"ns/zipkin\": short names (non FQDN) "
       "are not allowed"},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b, port: 1, timeout: 5}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.timeout: must be a string, got a "
       "number 5 (quote it)"},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b, port: 1, timeout: 2x}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.timeout: \"2x\" is not a duration "
       "(like \"1.5s\", \"100ms\" or \"1h\")"},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b, port: 1, "
       "statusOnError: \"999\"}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.statusOnError: \"999\" is not an HTTP "
       "status code Envoy supports (like \"403\")"},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b, port: 1, pathPrefix: "
       "check}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must begin with \"/\", "
       "got \"check\""},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b, port: 1, failOpen: "
       "\"true\"}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.failOpen: must be a boolean, got a "
       "string \"true\""},
      {"extensionProviders: [{name: a, envoyExtAuthzHttp: {service: a.b, port: 1, "
       "headersToUpstreamOnAllow: x-user}}]",
       "meshConfig extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAllow: must be a "
       "list, got a string \"x-user\""},
      {"extensionProviders: [{name: a, opentelemetry: {service: a.b, port: 1, http: {path: /x}, "
       "grpc: {}}}]",
       "meshConfig extensionProviders[0].opentelemetry: cannot specify both grpc and http"},
      {"extensionProviders: [{name: a, opentelemetry: {service: a.b, port: 1, http: {headers: "
       "[{value: v}]}}}]",
       "meshConfig extensionProviders[0].opentelemetry.http.headers[0].name: required"},
      {"extensionProviders: [{zipkin: {service: a.b, port: 1}}]",
       "meshConfig extensionProviders[0].name: required"},
      {"extensionProviders: [{name: a}]",
       "meshConfig extensionProviders[0]: must set a provider (envoyExtAuthzHttp, opentelemetry, "
       "zipkin, ...)"},
      {"extensionProviders: [{name: a, zipkin: {service: a.b, port: 1}, prometheus: {}}]",
       "meshConfig extensionProviders[0]: must set only one provider, got zipkin, prometheus"},
      {"extensionProviders: [{name: a, zipkin: {service: a.b, port: 1}}, {name: a, prometheus: "
       "{}}]",
       "meshConfig extensionProviders[1].name: duplicate extension provider name \"a\""},
      {"extensionProviders: {name: a}",
       "meshConfig extensionProviders: must be a list, got an object"},
      {"defaultProviders: {tracing: otel}",
       "meshConfig defaultProviders.tracing: must be a list, got a string \"otel\""},
      {"enableTracing: \"yes\"",
       "meshConfig enableTracing: must be a boolean, got a string \"yes\""},
      {"defaultConfig: {tracing: {sampling: 101}}",
       "meshConfig defaultConfig.tracing.sampling: must be 0-100 (percent), got 101"},
      {"defaultConfig: {tracing: {sampling: high}}",
       "meshConfig defaultConfig.tracing.sampling: must be a number, got a string \"high\""},
      {"defaultConfig: {gatewayTopology: {numTrustedProxies: -1}}",
       "meshConfig defaultConfig.gatewayTopology.numTrustedProxies: must be 0-4294967295, got -1"},
      {"outboundTrafficPolicy: {mode: DENY}",
       "meshConfig outboundTrafficPolicy.mode: must be ALLOW_ANY or REGISTRY_ONLY, got \"DENY\""},
      {"trustDomain: \"\"", "meshConfig trustDomain: empty domain name not allowed"},
      {"trustDomain: a..b", "meshConfig trustDomain: trust domain name \"a..b\" invalid"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_mesh_config(c.yaml, "meshConfig");
    ASSERT_FALSE(parsed.ok()) << c.yaml;
    EXPECT_EQ(parsed.error().message, c.error) << c.yaml;
  }

  // Every problem is reported, joined.
  auto both = parse_mesh_config("enableTracing: 1\ntrustDomain: \"\"\n", "meshConfig");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message,
            "meshConfig enableTracing: must be a boolean, got a number 1; meshConfig trustDomain: "
            "empty domain name not allowed");
}

}  // namespace
}  // namespace zmesh::config
