// AuthorizationPolicy on HTTP requests (rbac/authorize_request.h, http_policy_match.h) with
// Istio's full semantics, as tables: policies written as Istio YAML (decoded and validated by
// the config module), requests from a few callers. Covers the seed's allow-read and
// notNamespaces cases, allow-nothing vs allow-all, DENY rules: [{}], DENY beating an ALLOW
// prefix with and without a query string, notMethods, principals, hosts, ports, `when` on
// headers, addresses and JWT claims (nested), requestPrincipals, dry-run and AUDIT.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/yaml_parser.h"
#include "rbac/authorize_request.h"
#include "rbac/http_policy_match.h"
#include "rbac/request_path.h"

namespace zmesh::rbac {
namespace {

using state::AuthorizationPolicy;
using state::AuthzAction;

// Policies of namespace "shop" from YAML specs; kept alive for the pointers.
struct Policies {
  std::vector<std::unique_ptr<AuthorizationPolicy>> owned;
  state::ApplicablePolicies applicable;

  void add(const std::string& name, const std::string& spec, const std::string& annotations = "") {
    std::string yaml =
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n"
        "  name: " +
        name + "\n  namespace: shop\n" + annotations + "spec:\n" + spec;
    auto parsed = config::parse_yaml(yaml, "ap.yaml", "ap.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_EQ(parsed->size(), 1u);
    ASSERT_TRUE((*parsed)[0].object) << (*parsed)[0].error;
    owned.push_back(
        std::make_unique<AuthorizationPolicy>(std::get<AuthorizationPolicy>(*(*parsed)[0].object)));
    const auto* p = owned.back().get();
    if (p->dry_run) {
      applicable.dry_run.push_back(p);
    } else if (p->action == AuthzAction::kDeny) {
      applicable.deny.push_back(p);
    } else if (p->action == AuthzAction::kAudit) {
      applicable.audit.push_back(p);
    } else if (p->action == AuthzAction::kAllow) {
      applicable.allow.push_back(p);
    }
  }
};

// A request: caller identity (ns/sa, "" = plaintext), method, path as sent, headers, JWT.
struct Req {
  std::string ns = "shop", sa = "web";
  std::string method = "GET";
  std::string raw_path = "/";
  std::string host = "products.shop.svc.cluster.local";
  uint16_t port = 8080;
  std::map<std::string, std::string> headers;
  std::string src_ip = "10.0.0.1";
  std::optional<std::string> xff_client;  // remote.ip
  std::optional<RequestAuth> jwt;
};

Decision decide(const Policies& ps, const Req& q) {
  RequestView r;
  r.conn.src_ip = boost::asio::ip::make_address(q.src_ip);
  if (!q.ns.empty()) r.conn.source = identity::SpiffeId{"cluster.local", q.ns, q.sa};
  r.conn.dst_ip = boost::asio::ip::make_address("10.0.0.9");
  r.conn.dst_port = q.port;
  r.method = q.method;
  r.host = q.host;
  auto path = normalize_path(q.raw_path);
  EXPECT_TRUE(path) << q.raw_path;
  std::string normalized = path ? *path : "";
  r.path = normalized;
  r.headers = [&](std::string_view name) {
    auto it = q.headers.find(std::string(name));
    return it == q.headers.end() ? std::vector<std::string_view>{}
                                 : std::vector<std::string_view>{it->second};
  };
  if (q.xff_client) r.remote_ip = boost::asio::ip::make_address(*q.xff_client);
  r.auth = q.jwt ? &*q.jwt : nullptr;
  return authorize_request(ps.applicable, r);
}

Req get(std::string path) {
  Req q;
  q.raw_path = std::move(path);
  return q;
}
Req with_method(std::string method, std::string path = "/") {
  Req q = get(std::move(path));
  q.method = std::move(method);
  return q;
}
Req from_ns(std::string ns, std::string sa = "web") {
  Req q;
  q.ns = std::move(ns);
  q.sa = std::move(sa);
  return q;
}
Req with_jwt(nlohmann::json claims) {
  Req q;
  RequestAuth a;
  a.principal = claims.value("iss", "") + "/" + claims.value("sub", "");
  if (claims.contains("aud"))
    a.audiences = claims["aud"].is_array() ? claims["aud"].get<std::vector<std::string>>()
                                           : std::vector<std::string>{claims["aud"]};
  a.presenter = claims.value("azp", "");
  a.claims = std::move(claims);
  q.jwt = std::move(a);
  return q;
}

struct Row {
  const char* name;
  std::vector<std::pair<const char*, const char*>> policies;  // name, spec
  Req request;
  bool allowed;
};

const char* kAllowRead =
    "  action: ALLOW\n  rules:\n  - to:\n    - operation:\n        methods: [GET, HEAD]\n";

TEST(AuthorizeRequest, Table) {
  nlohmann::json nested = {{"iss", "https://idp"},
                           {"sub", "alice"},
                           {"groups", {"dev", "ops"}},
                           {"realm", {{"role", "admin"}}},
                           {"aud", "shop"}};
  const Row rows[] = {
      // the seed's allow-read: GET and HEAD pass, POST does not
      {"allow-read GET", {{"allow-read", kAllowRead}}, with_method("GET"), true},
      {"allow-read HEAD", {{"allow-read", kAllowRead}}, with_method("HEAD"), true},
      {"allow-read POST", {{"allow-read", kAllowRead}}, with_method("POST"), false},
      // DENY from everywhere but namespace shop
      {"notNamespaces, same namespace",
       {{"deny-foreign",
         "  action: DENY\n  rules:\n  - from:\n    - source:\n        notNamespaces: [shop]\n"}},
       from_ns("shop"),
       true},
      {"notNamespaces, other namespace",
       {{"deny-foreign",
         "  action: DENY\n  rules:\n  - from:\n    - source:\n        notNamespaces: [shop]\n"}},
       from_ns("bank"),
       false},
      {"notNamespaces, plaintext has no namespace",
       {{"deny-foreign",
         "  action: DENY\n  rules:\n  - from:\n    - source:\n        notNamespaces: [shop]\n"}},
       from_ns(""),
       false},
      // allow-nothing vs allow-all
      {"allow-nothing (empty spec)", {{"nothing", "  {}\n"}}, get("/"), false},
      {"allow-all (rules: [{}])", {{"all", "  rules:\n  - {}\n"}}, get("/"), true},
      {"deny-all (DENY rules: [{}])",
       {{"all", "  rules:\n  - {}\n"}, {"deny", "  action: DENY\n  rules:\n  - {}\n"}},
       get("/"),
       false},
      {"no policy", {}, get("/anything"), true},
      // DENY beats an ALLOW prefix, with and without a query string, and after normalisation
      {"DENY exact beats ALLOW prefix",
       {{"allow-api", "  rules:\n  - to:\n    - operation:\n        paths: [\"/api/*\"]\n"},
        {"deny-admin",
         "  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [/api/admin]\n"}},
       get("/api/admin"),
       false},
      {"... with a query string",
       {{"allow-api", "  rules:\n  - to:\n    - operation:\n        paths: [\"/api/*\"]\n"},
        {"deny-admin",
         "  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [/api/admin]\n"}},
       get("/api/admin?debug=1"),
       false},
      {"... through dot segments and escapes",
       {{"allow-api", "  rules:\n  - to:\n    - operation:\n        paths: [\"/api/*\"]\n"},
        {"deny-admin",
         "  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [/api/admin]\n"}},
       get("/api/public/%2e%2e/%61dmin"),
       false},
      {"... another path of the prefix passes",
       {{"allow-api", "  rules:\n  - to:\n    - operation:\n        paths: [\"/api/*\"]\n"},
        {"deny-admin",
         "  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [/api/admin]\n"}},
       get("/api/items?admin"),
       true},
      {"path template",
       {{"items", "  rules:\n  - to:\n    - operation:\n        paths: [\"/store/{*}/items\"]\n"}},
       get("/store/7/items"),
       true},
      // notMethods
      {"notMethods DELETE denied",
       {{"no-delete", "  rules:\n  - to:\n    - operation:\n        notMethods: [DELETE]\n"}},
       with_method("DELETE"),
       false},
      {"notMethods PUT allowed",
       {{"no-delete", "  rules:\n  - to:\n    - operation:\n        notMethods: [DELETE]\n"}},
       with_method("PUT"),
       true},
      // principals
      {"principal from another namespace refused",
       {{"web-only",
         "  rules:\n  - from:\n    - source:\n        principals: "
         "[cluster.local/ns/shop/sa/web]\n"}},
       from_ns("bank", "web"),
       false},
      {"principal matches",
       {{"web-only",
         "  rules:\n  - from:\n    - source:\n        principals: "
         "[cluster.local/ns/shop/sa/web]\n"}},
       from_ns("shop", "web"),
       true},
      // hosts and ports
      {"host case-insensitive, with a port",
       {{"host",
         "  rules:\n  - to:\n    - operation:\n        hosts: "
         "[Products.shop.svc.cluster.local]\n"}},
       [] {
         Req q;
         q.host = "products.shop.svc.cluster.local:8080";
         return q;
       }(),
       true},
      {"other host",
       {{"host", "  rules:\n  - to:\n    - operation:\n        hosts: [\"reviews.*\"]\n"}},
       get("/"),
       false},
      {"port",
       {{"port", "  rules:\n  - to:\n    - operation:\n        ports: [\"9090\"]\n"}},
       get("/"),
       false},
      // when: headers
      {"when header present",
       {{"hdr",
         "  rules:\n  - when:\n    - key: request.headers[x-token]\n      values: [\"tok-*\"]\n"}},
       [] {
         Req q;
         q.headers["x-token"] = "tok-42";
         return q;
       }(),
       true},
      {"when header absent",
       {{"hdr",
         "  rules:\n  - when:\n    - key: request.headers[x-token]\n      values: [\"tok-*\"]\n"}},
       get("/"),
       false},
      {"when header notValues, absent header passes",
       {{"hdr",
         "  rules:\n  - when:\n    - key: request.headers[x-env]\n      notValues: [prod]\n"}},
       get("/"),
       true},
      {"when header notValues hit",
       {{"hdr",
         "  rules:\n  - when:\n    - key: request.headers[x-env]\n      notValues: [prod]\n"}},
       [] {
         Req q;
         q.headers["x-env"] = "prod";
         return q;
       }(),
       false},
      // when: addresses
      {"when remote.ip (X-Forwarded-For client)",
       {{"ip", "  rules:\n  - when:\n    - key: remote.ip\n      values: [203.0.113.0/24]\n"}},
       [] {
         Req q;
         q.xff_client = "203.0.113.9";
         return q;
       }(),
       true},
      {"when source.ip is the peer, not the client",
       {{"ip", "  rules:\n  - when:\n    - key: source.ip\n      values: [203.0.113.0/24]\n"}},
       [] {
         Req q;
         q.xff_client = "203.0.113.9";
         return q;
       }(),
       false},
      {"remoteIpBlocks",
       {{"ip", "  rules:\n  - from:\n    - source:\n        remoteIpBlocks: [203.0.113.0/24]\n"}},
       [] {
         Req q;
         q.xff_client = "203.0.113.9";
         return q;
       }(),
       true},
      // JWT
      {"requestPrincipals any token, none given",
       {{"jwt", "  rules:\n  - from:\n    - source:\n        requestPrincipals: [\"*\"]\n"}},
       get("/"),
       false},
      {"requestPrincipals any token, token given",
       {{"jwt", "  rules:\n  - from:\n    - source:\n        requestPrincipals: [\"*\"]\n"}},
       with_jwt(nested),
       true},
      {"requestPrincipals exact",
       {{"jwt",
         "  rules:\n  - from:\n    - source:\n        requestPrincipals: [https://idp/alice]\n"}},
       with_jwt(nested),
       true},
      {"when claim in a list",
       {{"grp",
         "  rules:\n  - when:\n    - key: request.auth.claims[groups]\n      values: [ops]\n"}},
       with_jwt(nested),
       true},
      {"when nested claim",
       {{"role",
         "  rules:\n  - when:\n    - key: request.auth.claims[realm][role]\n      values: "
         "[admin]\n"}},
       with_jwt(nested),
       true},
      {"when nested claim, other value",
       {{"role",
         "  rules:\n  - when:\n    - key: request.auth.claims[realm][role]\n      values: "
         "[root]\n"}},
       with_jwt(nested),
       false},
      {"when audiences",
       {{"aud", "  rules:\n  - when:\n    - key: request.auth.audiences\n      values: [shop]\n"}},
       with_jwt(nested),
       true},
      {"when claims without a token",
       {{"grp",
         "  rules:\n  - when:\n    - key: request.auth.claims[groups]\n      values: [ops]\n"}},
       get("/"),
       false},
      // several ALLOW policies OR together
      {"ALLOW policies OR",
       {{"a", kAllowRead}, {"b", "  rules:\n  - to:\n    - operation:\n        methods: [POST]\n"}},
       with_method("POST"),
       true},
      // dry-run and AUDIT never decide
      {"dry-run DENY does not deny",
       {{"dry", "  action: DENY\n  rules:\n  - {}\n"}},
       get("/"),
       true},
      {"AUDIT does not deny", {{"audit", "  action: AUDIT\n  rules:\n  - {}\n"}}, get("/"), true},
  };
  for (const auto& row : rows) {
    Policies ps;
    for (const auto& [name, spec] : row.policies)
      ps.add(name, spec,
             std::string(row.name).starts_with("dry-run")
                 ? "  annotations:\n    istio.io/dry-run: \"true\"\n"
                 : "");
    EXPECT_EQ(decide(ps, row.request).allowed, row.allowed) << row.name;
  }
}

TEST(AuthorizeRequest, ReasonsDryRunAndAudit) {
  Policies ps;
  ps.add("deny-admin",
         "  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [/x]\n"
         "  - to:\n    - operation:\n        paths: [/admin]\n");
  ps.add("audit-all", "  action: AUDIT\n  rules:\n  - {}\n");
  ps.add("dry-allow", "  rules:\n  - to:\n    - operation:\n        methods: [POST]\n",
         "  annotations:\n    istio.io/dry-run: \"true\"\n");
  Req q = get("/admin");
  auto d = decide(ps, q);
  EXPECT_FALSE(d.allowed);
  ASSERT_EQ(d.audited.size(), 1u);
  EXPECT_EQ(d.audited[0]->meta.name, "audit-all");
  EXPECT_TRUE(d.dry_run_would_deny);  // the dry-run ALLOW admits POST only
  RequestView r;
  r.path = "/admin";
  EXPECT_EQ(denial_details(d, r),
            "rbac_access_denied_matched_policy[ns[shop]-policy[deny-admin]-rule[1]]");

  Policies only_allow;
  only_allow.add("nothing", "  {}\n");
  auto none = decide(only_allow, get("/"));
  EXPECT_EQ(denial_details(none, r), "rbac_access_denied_matched_policy[none]");
  EXPECT_EQ(none.reason, "allow policies exist, but none allowed");
}

TEST(AuthorizeRequest, ClaimValues) {
  auto claims =
      nlohmann::json::parse(R"({"a":{"b":{"c":"deep"}},"n":7,"t":true,"l":["x",1],"o":{"k":"v"}})");
  EXPECT_EQ(claim_values(claims, "a][b][c"), std::vector<std::string>{"deep"});
  EXPECT_EQ(claim_values(claims, "n"), std::vector<std::string>{"7"});
  EXPECT_EQ(claim_values(claims, "t"), std::vector<std::string>{"true"});
  EXPECT_EQ(claim_values(claims, "l"), (std::vector<std::string>{"x", "1"}));
  EXPECT_TRUE(claim_values(claims, "o").empty());
  EXPECT_TRUE(claim_values(claims, "missing").empty());
  EXPECT_TRUE(claim_values(claims, "a][missing").empty());
}

}  // namespace
}  // namespace zmesh::rbac
