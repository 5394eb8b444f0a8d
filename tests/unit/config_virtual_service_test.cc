// networking.istio.io VirtualService: every field decoded into the typed model, Istio's
// validation with exact field-path errors, and the config_dump form.
#include <gtest/gtest.h>

#include "config/istio_fields.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

using namespace std::chrono_literals;
using state::StringMatch;

std::vector<DecodedObject> parse(const std::string& yaml) {
  auto parsed = parse_yaml(yaml, "vs.yaml", "/cfg/vs.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : std::vector<DecodedObject>{};
}

// A VirtualService shop/web with `spec` (indented two spaces).
std::string vs(const std::string& spec, const std::string& version = "v1") {
  return "apiVersion: networking.istio.io/" + version +
         "\nkind: VirtualService\nmetadata:\n  name: web\n  namespace: shop\nspec:\n" + spec;
}

state::VirtualService only(const std::vector<DecodedObject>& objects) {
  if (objects.size() != 1 || !objects[0].object) {
    ADD_FAILURE() << (objects.empty() ? "no object" : objects[0].error);
    return {};
  }
  return std::get<state::VirtualService>(*objects[0].object);
}

const std::string kFull = R"yaml(  hosts: [reviews, "*.example.com"]
  gateways: [mesh, istio-system/ingress]
  exportTo: [".", other]
  http:
  - name: main
    match:
    - name: m1
      uri: {prefix: /api}
      scheme: {exact: https}
      method: {regex: "GET|POST"}
      authority: {exact: reviews}
      headers:
        x-user: {exact: jason}
        x-present: {}
      withoutHeaders: {x-debug: {prefix: "1"}}
      queryParams: {v: {regex: "^[0-9]+$"}, flag: {exact: ""}}
      port: 9080
      sourceLabels: {app: productpage}
      gateways: [mesh]
      sourceNamespace: frontend
      ignoreUriCase: true
      statPrefix: api
    route:
    - destination: {host: reviews, subset: v1, port: {number: 9080}}
      weight: 75
      headers:
        request: {set: {x-a: "1"}, add: {x-b: "2"}, remove: [x-c]}
        response: {set: {x-d: "3"}}
    - destination: {host: reviews, subset: v2}
      weight: 25
    rewrite: {authority: internal, uriRegexRewrite: {match: "^/api/(.*)", rewrite: "/\\1"}}
    timeout: 2.5s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure,503",
              retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoff: 25ms}
    fault:
      delay: {fixedDelay: 7s, percentage: {value: 0.5}, percent: 10}
      abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}
    mirror: {host: shadow, subset: v2}
    mirrorPercentage: {value: 12.5}
    mirrorPercent: 40
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}, {prefix: "https://dev."}]
      allowOrigin: ["https://old.example.com"]
      allowMethods: [GET, POST]
      allowHeaders: [x-custom]
      exposeHeaders: [x-trace]
      maxAge: 24h
      allowCredentials: true
      unmatchedPreflights: IGNORE
    headers:
      request: {remove: [x-internal]}
      response: {add: {x-served-by: zmesh}}
  tls:
  - match:
    - sniHosts: [login.example.com]
      destinationSubnets: [10.0.0.0/8]
      port: 443
      sourceLabels: {app: client}
      gateways: [mesh]
      sourceNamespace: frontend
    route:
    - destination: {host: login, port: {number: 443}}
  tcp:
  - match:
    - destinationSubnets: ["10.1.2.3"]
      port: 27017
      sourceSubnet: 10.9.0.0/16
    route:
    - destination: {host: mongo}
      weight: 50
    - destination: {host: mongo-backup}
      weight: 50
)yaml";

TEST(VirtualServiceDecode, TopLevelAndL4Routes) {
  auto v = only(parse(vs(kFull)));
  EXPECT_EQ(v.meta.name, "web");
  EXPECT_EQ(v.hosts, (std::vector<std::string>{"reviews", "*.example.com"}));
  EXPECT_EQ(v.gateways, (std::vector<std::string>{"mesh", "istio-system/ingress"}));
  EXPECT_EQ(v.export_to, (std::vector<std::string>{".", "other"}));
  ASSERT_EQ(v.tls.size(), 1u);
  const auto& tm = v.tls[0].match.at(0);
  EXPECT_EQ(tm.sni_hosts, std::vector<std::string>{"login.example.com"});
  EXPECT_EQ(tm.destination_subnets, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(tm.port, 443u);
  EXPECT_EQ(tm.source_labels, (state::Labels{{"app", "client"}}));
  EXPECT_EQ(tm.gateways, std::vector<std::string>{"mesh"});
  EXPECT_EQ(tm.source_namespace, "frontend");
  EXPECT_EQ(v.tls[0].route.at(0).destination.host, "login");
  EXPECT_EQ(v.tls[0].route.at(0).destination.port, 443u);
  ASSERT_EQ(v.tcp.size(), 1u);
  EXPECT_EQ(v.tcp[0].match.at(0).port, 27017u);
  EXPECT_EQ(v.tcp[0].match.at(0).source_subnet, "10.9.0.0/16");
  ASSERT_EQ(v.tcp[0].route.size(), 2u);
  EXPECT_EQ(v.tcp[0].route[1].destination.host, "mongo-backup");
  EXPECT_EQ(v.tcp[0].route[1].weight, 50);
}

TEST(VirtualServiceDecode, HttpMatch) {
  auto v = only(parse(vs(kFull)));
  ASSERT_EQ(v.http.size(), 1u);
  const auto& r = v.http[0];
  EXPECT_EQ(r.name, "main");
  ASSERT_EQ(r.match.size(), 1u);
  const auto& m = r.match[0];
  EXPECT_EQ(m.name, "m1");
  ASSERT_TRUE(m.uri && m.scheme && m.method && m.authority);
  EXPECT_EQ(m.uri->kind, StringMatch::Kind::kPrefix);
  EXPECT_EQ(m.uri->value, "/api");
  EXPECT_EQ(m.scheme->kind, StringMatch::Kind::kExact);
  EXPECT_EQ(m.method->kind, StringMatch::Kind::kRegex);
  EXPECT_EQ(m.method->value, "GET|POST");
  EXPECT_EQ(m.authority->value, "reviews");
  ASSERT_EQ(m.headers.size(), 2u);
  EXPECT_EQ(m.headers.at("x-user")->value, "jason");
  EXPECT_FALSE(m.headers.at("x-present").has_value());  // {}: presence
  EXPECT_EQ(m.without_headers.at("x-debug")->kind, StringMatch::Kind::kPrefix);
  EXPECT_EQ(m.query_params.at("v")->kind, StringMatch::Kind::kRegex);
  ASSERT_TRUE(m.query_params.at("flag").has_value());  // exact "": "?flag"
  EXPECT_EQ(m.query_params.at("flag")->value, "");
  EXPECT_EQ(m.port, 9080u);
  EXPECT_EQ(m.source_labels, (state::Labels{{"app", "productpage"}}));
  EXPECT_EQ(m.gateways, std::vector<std::string>{"mesh"});
  EXPECT_EQ(m.source_namespace, "frontend");
  EXPECT_TRUE(m.ignore_uri_case);
  EXPECT_EQ(m.stat_prefix, "api");
}

TEST(VirtualServiceDecode, HttpActions) {
  auto v = only(parse(vs(kFull)));
  const auto& r = v.http.at(0);
  ASSERT_EQ(r.route.size(), 2u);
  EXPECT_EQ(r.route[0].destination.host, "reviews");
  EXPECT_EQ(r.route[0].destination.subset, "v1");
  EXPECT_EQ(r.route[0].destination.port, 9080u);
  EXPECT_EQ(r.route[0].weight, 75);
  EXPECT_EQ(r.route[0].headers.request.set, (std::map<std::string, std::string>{{"x-a", "1"}}));
  EXPECT_EQ(r.route[0].headers.request.add, (std::map<std::string, std::string>{{"x-b", "2"}}));
  EXPECT_EQ(r.route[0].headers.request.remove, std::vector<std::string>{"x-c"});
  EXPECT_EQ(r.route[0].headers.response.set, (std::map<std::string, std::string>{{"x-d", "3"}}));
  EXPECT_EQ(r.route[1].weight, 25);
  EXPECT_FALSE(r.route[1].destination.port.has_value());
  ASSERT_TRUE(r.rewrite && r.rewrite->uri_regex_rewrite);
  EXPECT_EQ(r.rewrite->authority, "internal");
  EXPECT_EQ(r.rewrite->uri_regex_rewrite->match, "^/api/(.*)");
  EXPECT_EQ(r.rewrite->uri_regex_rewrite->rewrite, "/\\1");
  EXPECT_EQ(r.timeout, 2500ms);
  ASSERT_TRUE(r.retries);
  EXPECT_EQ(r.retries->attempts, 3);
  EXPECT_EQ(r.retries->per_try_timeout, 500ms);
  EXPECT_EQ(r.retries->retry_on, "5xx,connect-failure,503");
  EXPECT_EQ(r.retries->retry_remote_localities, true);
  EXPECT_EQ(r.retries->retry_ignore_previous_hosts, false);
  EXPECT_EQ(r.retries->backoff, 25ms);
  ASSERT_TRUE(r.fault && r.fault->delay && r.fault->abort);
  EXPECT_EQ(r.fault->delay->fixed_delay, 7s);
  EXPECT_EQ(r.fault->delay->percentage, 0.5);
  EXPECT_EQ(r.fault->delay->percent, 10);
  EXPECT_EQ(r.fault->abort->kind, state::HttpFaultInjection::Abort::Kind::kGrpcStatus);
  EXPECT_EQ(r.fault->abort->grpc_status, "UNAVAILABLE");
  EXPECT_EQ(r.fault->abort->percentage, 100.0);
  ASSERT_TRUE(r.mirror);
  EXPECT_EQ(r.mirror->host, "shadow");
  EXPECT_EQ(r.mirror->subset, "v2");
  EXPECT_EQ(r.mirror_percentage, 12.5);
  EXPECT_EQ(r.mirror_percent, 40u);
  ASSERT_TRUE(r.cors_policy);
  const auto& c = *r.cors_policy;
  ASSERT_EQ(c.allow_origins.size(), 2u);
  EXPECT_EQ(c.allow_origins[1].kind, StringMatch::Kind::kPrefix);
  EXPECT_EQ(c.allow_origin, std::vector<std::string>{"https://old.example.com"});
  EXPECT_EQ(c.allow_methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(c.allow_headers, std::vector<std::string>{"x-custom"});
  EXPECT_EQ(c.expose_headers, std::vector<std::string>{"x-trace"});
  EXPECT_EQ(c.max_age, 24h);
  EXPECT_EQ(c.allow_credentials, true);
  EXPECT_EQ(c.unmatched_preflights, state::UnmatchedPreflights::kIgnore);
  EXPECT_EQ(r.headers.request.remove, std::vector<std::string>{"x-internal"});
  EXPECT_EQ(r.headers.response.add, (std::map<std::string, std::string>{{"x-served-by", "zmesh"}}));
}

TEST(VirtualServiceDecode, RedirectDirectResponseDelegateMirrors) {
  auto v = only(parse(vs(R"yaml(  hosts: [web]
  http:
  - redirect: {uri: /new, authority: b.example.com, port: 8443, scheme: https, redirectCode: 302}
  - redirect: {prefixRewrite: /v2, derivePort: FROM_PROTOCOL_DEFAULT}
  - directResponse: {status: 503, body: {bytes: aGVsbG8=}}
  - directResponse: {status: 200, body: {string: ok}}
  - delegate: {name: shop-routes, namespace: shop}
  - route: [{destination: {host: web}}]
    mirrors:
    - destination: {host: shadow-a}
      percentage: {value: 5}
    - destination: {host: shadow-b}
)yaml")));
  ASSERT_EQ(v.http.size(), 6u);
  const auto& r0 = *v.http[0].redirect;
  EXPECT_EQ(r0.uri, "/new");
  EXPECT_EQ(r0.authority, "b.example.com");
  EXPECT_EQ(r0.port_kind, state::RedirectPortKind::kPort);
  EXPECT_EQ(r0.port, 8443u);
  EXPECT_EQ(r0.scheme, "https");
  EXPECT_EQ(r0.redirect_code, 302u);
  EXPECT_EQ(v.http[1].redirect->prefix_rewrite, "/v2");
  EXPECT_EQ(v.http[1].redirect->port_kind, state::RedirectPortKind::kFromProtocolDefault);
  EXPECT_EQ(v.http[1].redirect->redirect_code, 0u);  // unset: Envoy's 301
  EXPECT_EQ(v.http[2].direct_response->status, 503u);
  EXPECT_EQ(v.http[2].direct_response->body, "hello");
  EXPECT_TRUE(v.http[2].direct_response->body_is_bytes);
  EXPECT_EQ(v.http[3].direct_response->body, "ok");
  EXPECT_FALSE(v.http[3].direct_response->body_is_bytes);
  EXPECT_EQ(v.http[4].delegate->name, "shop-routes");
  EXPECT_EQ(v.http[4].delegate->namespace_, "shop");
  ASSERT_EQ(v.http[5].mirrors.size(), 2u);
  EXPECT_EQ(v.http[5].mirrors[0].percentage, 5.0);
  EXPECT_FALSE(v.http[5].mirrors[1].percentage.has_value());  // absent: 100%
}

TEST(VirtualServiceDecode, DefaultsStayUnset) {
  auto v = only(
      parse(vs("  hosts: [web]\n  http:\n  - route: [{destination: {host: web}}]\n", "v1alpha3")));
  const auto& r = v.http.at(0);
  EXPECT_TRUE(v.gateways.empty());  // "mesh"
  EXPECT_TRUE(r.match.empty());     // catch-all
  EXPECT_EQ(r.route.at(0).weight, 0);
  EXPECT_FALSE(r.timeout || r.retries || r.fault || r.mirror || r.cors_policy || r.redirect);
  EXPECT_FALSE(r.mirror_percentage.has_value());
  EXPECT_TRUE(r.headers.empty());
}

TEST(VirtualServiceDecode, DelegateHasNoHosts) {
  auto v = only(parse(vs("  http:\n  - route: [{destination: {host: cart}}]\n", "v1beta1")));
  EXPECT_TRUE(v.hosts.empty());
  EXPECT_EQ(v.http.at(0).route.at(0).destination.host, "cart");
}

TEST(VirtualServiceDecode, HeaderRegexStarMeansPresence) {
  auto v =
      only(parse(vs("  hosts: [web]\n  http:\n  - match: [{headers: {x-a: {regex: \"*\"}}}]\n"
                    "    route: [{destination: {host: web}}]\n")));
  EXPECT_FALSE(v.http.at(0).match.at(0).headers.at("x-a").has_value());
}

TEST(VirtualServiceDecode, PercentAcceptsIntegerAndZero) {
  auto v =
      only(parse(vs("  hosts: [web]\n  http:\n  - route: [{destination: {host: web}}]\n"
                    "    fault: {delay: {fixedDelay: 1ms, percentage: {value: 0}},\n"
                    "            abort: {httpStatus: 418, percentage: {value: 100}}}\n")));
  EXPECT_EQ(v.http.at(0).fault->delay->percentage, 0.0);
  EXPECT_EQ(v.http.at(0).fault->delay->fixed_delay, 1ms);
  EXPECT_EQ(v.http.at(0).fault->abort->http_status, 418);
}

struct BadCase {
  const char* name;
  std::string spec;
  std::string error;  // the errors after "vs.yaml: VirtualService shop/web: "
};

const std::string kRoute = "  - route: [{destination: {host: web}}]\n";

std::vector<BadCase> bad_cases() {
  return {
      {"NegativeWeight",
       "  hosts: [web]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: 1\n"
       "    - destination: {host: b}\n      weight: -5\n",
       "spec.http[0].route[1].weight: must be >= 0, got -5"},
      {"WeightsAllZero",
       "  hosts: [web]\n  http:\n  - route: [{destination: {host: a}}, {destination: {host: b}}]\n",
       "spec.http[0].route: total destination weight = 0"},
      {"WeightTooLarge",
       "  hosts: [web]\n  http:\n  - route: [{destination: {host: a}, weight: 2147483648}]\n",
       "spec.http[0].route[0].weight: must be <= 2147483647, got 2147483648"},
      {"FixedDelayZero",
       "  hosts: [web]\n  http:\n" + kRoute + "    fault: {delay: {fixedDelay: 0s}}\n",
       "spec.http[0].fault.delay.fixedDelay: must be >= 1ms, got \"0s\""},
      {"ExponentialDelay",
       "  hosts: [web]\n  http:\n" + kRoute + "    fault: {delay: {exponentialDelay: 1s}}\n",
       "spec.http[0].fault.delay.exponentialDelay: exponentialDelay not supported yet"},
      {"Http2ErrorAbort",
       "  hosts: [web]\n  http:\n" + kRoute + "    fault: {abort: {http2Error: x}}\n",
       "spec.http[0].fault.abort.http2Error: HTTP/2 abort fault injection not supported yet"},
      {"DelayPercentNegative",
       "  hosts: [web]\n  http:\n" + kRoute + "    fault: {delay: {fixedDelay: 1s, percent: -1}}\n",
       "spec.http[0].fault.delay.percent: must be >= 0, got -1"},
      {"PercentageNotANumber",
       "  hosts: [web]\n  http:\n" + kRoute +
           "    fault: {abort: {httpStatus: 500, percentage: {value: \"50\"}}}\n",
       "spec.http[0].fault.abort.percentage.value: must be a number, got a string \"50\""},
      {"MirrorPercentOver100",
       "  hosts: [web]\n  http:\n" + kRoute + "    mirror: {host: s}\n    mirror_percent: 101\n",
       "spec.http[0].mirror_percent: must be <= 100, got 101"},
      {"MirrorAndMirrors",
       "  hosts: [web]\n  http:\n" + kRoute +
           "    mirror: {host: s}\n    mirrors: [{destination: {host: t}}]\n",
       "spec.http[0]: HTTP route cannot contain both mirror and mirrors"},
      {"MirrorsWithoutDestination",
       "  hosts: [web]\n  http:\n" + kRoute + "    mirrors: [{percentage: {value: 5}}]\n",
       "spec.http[0].mirrors[0].destination: required"},
      {"RegexEmpty",
       "  hosts: [web]\n  http:\n  - match: [{uri: {regex: \"\"}}]\n    route: [{destination: "
       "{host: web}}]\n",
       "spec.http[0].match[0].uri.regex: regex string match should not be empty"},
      {"RegexBackreference",
       "  hosts: [web]\n  http:\n  - match: [{authority: {regex: \"(a)\\\\1\"}}]\n    route: "
       "[{destination: {host: web}}]\n",
       "spec.http[0].match[0].authority.regex: \"(a)\\\\1\" is not a valid RE2 regex: invalid "
       "escape sequence: \\1"},
      {"HeaderNameInvalid",
       "  hosts: [web]\n  http:\n  - match: [{headers: {\"x user\": {exact: a}}}]\n    route: "
       "[{destination: {host: web}}]\n",
       "spec.http[0].match[0].headers[x user]: header name \"x user\" is not a valid header "
       "name"},
      {"HeaderMatchNull",
       "  hosts: [web]\n  http:\n  - match: [{withoutHeaders: {x-a: }}]\n    route: "
       "[{destination: {host: web}}]\n",
       "spec.http[0].match[0].withoutHeaders[x-a]: must be an object, got null"},
      {"SourceNamespaceInvalid",
       "  hosts: [web]\n  http:\n  - match: [{sourceNamespace: Front_End}]\n    route: "
       "[{destination: {host: web}}]\n",
       "spec.http[0].match[0].sourceNamespace: sourceNamespace match \"Front_End\" is invalid"},
      {"MatchPortZeroIsUnsetButNegativeIsNot",
       "  hosts: [web]\n  http:\n  - match: [{port: 0}, {port: -1}]\n    route: [{destination: "
       "{host: web}}]\n",
       "spec.http[0].match[1].port: must be a port number 1-65535, got -1"},
      {"RedirectBadScheme", "  hosts: [web]\n  http:\n  - redirect: {uri: /a, scheme: ftp}\n",
       "spec.http[0].redirect.scheme: invalid redirect scheme, must be \"http\" or \"https\""},
      {"RedirectPortAndDerive",
       "  hosts: [web]\n  http:\n  - redirect: {port: 80, derivePort: FROM_REQUEST_PORT}\n",
       "spec.http[0].redirect: only one of port or derivePort may be set"},
      {"RedirectUriAndPrefixRewrite",
       "  hosts: [web]\n  http:\n  - redirect: {uri: /a, prefixRewrite: /b}\n",
       "spec.http[0].redirect: only one of uri or prefixRewrite may be set"},
      {"RedirectWithFault",
       "  hosts: [web]\n  http:\n  - redirect: {uri: /a}\n    fault: {abort: {httpStatus: 500}}\n",
       "spec.http[0]: HTTP route cannot contain both fault and redirect"},
      {"DirectResponseAndRewrite",
       "  hosts: [web]\n  http:\n  - directResponse: {status: 200}\n    rewrite: {uri: /x}\n",
       "spec.http[0]: HTTP route rule cannot contain both rewrite and direct_response"},
      {"DirectResponseBadBase64",
       "  hosts: [web]\n  http:\n  - directResponse: {status: 200, body: {bytes: \"!!\"}}\n",
       "spec.http[0].directResponse.body.bytes: must be base64"},
      {"DelegateAndRoute",
       "  hosts: [web]\n  http:\n  - delegate: {name: d}\n    route: [{destination: {host: w}}]\n",
       "spec.http[0]: HTTP route cannot contain both route and delegate"},
      {"DelegateWithoutName", "  hosts: [web]\n  http:\n  - delegate: {namespace: shop}\n",
       "spec.http[0].delegate.name: required"},
      {"RewriteEmpty", "  hosts: [web]\n  http:\n" + kRoute + "    rewrite: {}\n",
       "spec.http[0].rewrite: rewrite must specify at least one of URI, UriRegexRewrite, or "
       "authority"},
      {"RegexRewriteWithoutRewrite",
       "  hosts: [web]\n  http:\n" + kRoute + "    rewrite: {uriRegexRewrite: {match: \"^/a\"}}\n",
       "spec.http[0].rewrite.uriRegexRewrite: UriRegexRewrite requires both Rewrite and Match "
       "fields to be specified"},
      {"AuthorityTwice",
       "  hosts: [web]\n  http:\n" + kRoute +
           "    rewrite: {authority: a}\n    headers: {request: {set: {host: b}}}\n",
       "spec.http[0]: authority header cannot be set multiple times"},
      {"RetryOnEmptyToken",
       "  hosts: [web]\n  http:\n" + kRoute + "    retries: {attempts: 1, retryOn: \"5xx,\"}\n",
       "spec.http[0].retries.retryOn: \"\" is not a valid retryOn policy"},
      {"RetryOnUnknownStatus",
       "  hosts: [web]\n  http:\n" + kRoute + "    retries: {attempts: 1, retryOn: \"599\"}\n",
       "spec.http[0].retries.retryOn: \"599\" is not a valid retryOn policy"},
      {"TimeoutSubMillisecond", "  hosts: [web]\n  http:\n" + kRoute + "    timeout: 1500us\n",
       "spec.http[0].timeout: only durations to ms precision are supported, got \"1500us\""},
      {"TimeoutNumber", "  hosts: [web]\n  http:\n" + kRoute + "    timeout: 5\n",
       "spec.http[0].timeout: must be a string, got a number 5 (quote it)"},
      {"CorsMaxAgeFraction",
       "  hosts: [web]\n  http:\n" + kRoute + "    corsPolicy: {maxAge: 1500ms}\n",
       "spec.http[0].corsPolicy.maxAge: max_age duration is accurate only to seconds precision"},
      {"CorsEmptyOrigin",
       "  hosts: [web]\n  http:\n" + kRoute + "    corsPolicy: {allowOrigins: [{exact: \"\"}]}\n",
       "spec.http[0].corsPolicy.allowOrigins[0]: '' is not a valid match type for CORS allow "
       "origins"},
      {"CorsUnmatchedPreflights",
       "  hosts: [web]\n  http:\n" + kRoute + "    corsPolicy: {unmatchedPreflights: DROP}\n",
       "spec.http[0].corsPolicy.unmatchedPreflights: \"DROP\" is not one of UNSPECIFIED, FORWARD "
       "or IGNORE"},
      {"DestinationHostMissing",
       "  hosts: [web]\n  http:\n  - route: [{destination: {subset: v1}}]\n",
       "spec.http[0].route[0].destination.host: required"},
      {"DestinationHostWildcardMiddle",
       "  hosts: [web]\n  http:\n  - route: [{destination: {host: \"a.*.com\"}}]\n",
       "spec.http[0].route[0].destination.host: domain name \"a.*.com\" invalid (label \"*\" "
       "invalid)"},
      {"HostNumericTld", "  hosts: [reviews.123]\n  http:\n" + kRoute,
       "spec.hosts[0]: domain name \"reviews.123\" invalid (top level domain \"123\" cannot be "
       "all-numeric)"},
      {"HostEmpty", "  hosts: [\"\"]\n  http:\n" + kRoute,
       "spec.hosts[0]: empty domain name not allowed"},
      {"TlsWithoutMatch", "  hosts: [a.com]\n  tls:\n  - route: [{destination: {host: a}}]\n",
       "spec.tls[0].match: TLS route must have at least one match condition"},
      {"TlsWithoutRoute", "  hosts: [a.com]\n  tls:\n  - match: [{sniHosts: [a.com]}]\n",
       "spec.tls[0].route: TLS route is required"},
      {"DelegateWithTcp", "  tcp:\n  - route: [{destination: {host: a}}]\n",
       "spec.tcp: delegate virtual service must have no tcp route specified"},
      {"GatewayLegacyBadFqdn", "  hosts: [web]\n  gateways: [\"bad_gw\"]\n  http:\n" + kRoute,
       "spec.gateways[0]: domain name \"bad_gw\" invalid (label \"bad_gw\" invalid)"},
      {"GatewayEmptyName", "  hosts: [web]\n  gateways: [\"ns/\"]\n  http:\n" + kRoute,
       "spec.gateways[0]: config namespace and gateway name cannot be empty"},
      {"ExportToInvalid", "  hosts: [web]\n  exportTo: [Not_A_Namespace]\n  http:\n" + kRoute,
       "spec.exportTo[0]: only ., * or a valid DNS 1123 label is allowed as exportTo entry, got "
       "\"Not_A_Namespace\""},
      {"HttpNotAList", "  hosts: [web]\n  http: {route: []}\n",
       "spec.http: must be a list, got an object; spec: http, tcp or tls must be provided in "
       "virtual service"},
      {"SeveralErrorsInOrder",
       "  hosts: [web]\n  http:\n  - route: [{destination: {host: a}, weight: -1}]\n"
       "    timeout: 0s\n",
       "spec.http[0].route[0].weight: must be >= 0, got -1; spec.http[0].timeout: must be >= "
       "1ms, got \"0s\""},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadVirtualService : public testing::TestWithParam<BadCase> {};

TEST_P(BadVirtualService, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto objects = parse(vs(c.spec));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object, nullptr);
  EXPECT_EQ(objects[0].error, "vs.yaml: VirtualService shop/web: " + c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadVirtualService, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(VirtualServiceDecode, InvalidObjectIsRejectedAlone) {
  auto objects = parse(vs("  hosts: [web]\n  http:\n" + kRoute) + "---\n" +
                       "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                       "metadata: {name: bad, namespace: shop}\n"
                       "spec: {hosts: [web], http: [{route: [{destination: {host: a}, weight: "
                       "-1}]}]}\n");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_NE(objects[0].object, nullptr);
  EXPECT_EQ(objects[1].object, nullptr);
  EXPECT_EQ(objects[1].key, (ObjectKey{"VirtualService", "shop", "bad"}));
}

TEST(VirtualServiceJson, FieldNamesAsInIstioYaml) {
  nlohmann::json j = only(parse(vs(kFull)));
  EXPECT_EQ(j["name"], "web");
  EXPECT_EQ(j["hosts"], nlohmann::json::array({"reviews", "*.example.com"}));
  const auto& http = j["http"][0];
  EXPECT_EQ(http["match"][0]["uri"], nlohmann::json({{"prefix", "/api"}}));
  EXPECT_EQ(http["match"][0]["headers"]["x-present"], nlohmann::json::object());
  EXPECT_EQ(http["match"][0]["ignoreUriCase"], true);
  EXPECT_EQ(http["route"][0]["destination"],
            nlohmann::json({{"host", "reviews"}, {"subset", "v1"}, {"port", {{"number", 9080}}}}));
  EXPECT_EQ(http["route"][0]["weight"], 75);
  EXPECT_EQ(http["route"][0]["headers"]["request"]["remove"], nlohmann::json::array({"x-c"}));
  EXPECT_EQ(http["timeout"], "2.500s");
  EXPECT_EQ(http["retries"]["perTryTimeout"], "0.500s");
  EXPECT_EQ(http["fault"]["delay"]["fixedDelay"], "7s");
  EXPECT_EQ(http["fault"]["delay"]["percentage"]["value"], 0.5);
  EXPECT_EQ(http["fault"]["abort"]["grpcStatus"], "UNAVAILABLE");
  EXPECT_EQ(http["mirrorPercentage"]["value"], 12.5);
  EXPECT_EQ(http["corsPolicy"]["maxAge"], "86400s");
  EXPECT_EQ(http["corsPolicy"]["unmatchedPreflights"], "IGNORE");
  EXPECT_EQ(http["rewrite"]["uriRegexRewrite"]["rewrite"], "/\\1");
  EXPECT_EQ(j["tls"][0]["match"][0]["sniHosts"], nlohmann::json::array({"login.example.com"}));
  EXPECT_EQ(j["tcp"][0]["route"][1]["weight"], 50);
  EXPECT_EQ(j["exportTo"], nlohmann::json::array({".", "other"}));
  EXPECT_FALSE(j.contains("gateways") && j["gateways"].empty());
}

TEST(VirtualServiceJson, BytesBodyStaysBase64) {
  nlohmann::json j =
      only(parse(vs("  hosts: [web]\n  http:\n  - directResponse:\n"
                    "      status: 200\n      body: {bytes: AP8=}\n")));
  EXPECT_EQ(j["http"][0]["directResponse"]["body"]["bytes"], "AP8=");
  EXPECT_NO_THROW((void)j.dump());
}

TEST(IstioDuration, GoAndProtobufForms) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(parse_istio_duration("1.5s"), nanoseconds(1500ms));
  EXPECT_EQ(parse_istio_duration("1h30m"), nanoseconds(90min));
  EXPECT_EQ(parse_istio_duration("100ms"), nanoseconds(100ms));
  EXPECT_EQ(parse_istio_duration("2us"), nanoseconds(2000));
  EXPECT_EQ(parse_istio_duration("\xc2\xb5s"), std::nullopt);
  EXPECT_EQ(parse_istio_duration("3\xc2\xb5s"), nanoseconds(3000));
  EXPECT_EQ(parse_istio_duration("0"), nanoseconds(0));
  EXPECT_EQ(parse_istio_duration("-1s"), nanoseconds(-1s));
  EXPECT_EQ(parse_istio_duration(".5s"), nanoseconds(500ms));
  EXPECT_EQ(parse_istio_duration("5"), std::nullopt);
  EXPECT_EQ(parse_istio_duration("5 s"), std::nullopt);
  EXPECT_EQ(parse_istio_duration("1d"), std::nullopt);
  EXPECT_EQ(parse_istio_duration(""), std::nullopt);
  EXPECT_EQ(parse_istio_duration("s"), std::nullopt);
  EXPECT_EQ(parse_istio_duration("9999999h"), std::nullopt);
}

TEST(IstioHosts, WildcardDomainAndSubset) {
  EXPECT_EQ(wildcard_domain_error("*"), "");
  EXPECT_EQ(wildcard_domain_error("*.example.com"), "");
  EXPECT_EQ(wildcard_domain_error("*foo.example.com"), "");
  EXPECT_EQ(wildcard_domain_error("Reviews.Example.COM"), "");  // Istio allows upper case
  EXPECT_EQ(wildcard_domain_error("istio.io."), "");
  EXPECT_NE(wildcard_domain_error("10.0.0.1"), "");
  EXPECT_NE(wildcard_domain_error("a..b"), "");
  EXPECT_NE(wildcard_domain_error(std::string(64, 'a')), "");
  EXPECT_NE(fqdn_error("*.example.com"), "");
  EXPECT_TRUE(host_subset_of("a.example.com", "*.example.com"));
  EXPECT_TRUE(host_subset_of("*.a.example.com", "*.example.com"));
  EXPECT_TRUE(host_subset_of("anything", "*"));
  EXPECT_FALSE(host_subset_of("*.example.com", "a.example.com"));
  EXPECT_FALSE(host_subset_of("example.com", "*.example.com"));
}

}  // namespace
}  // namespace zmesh::config
