// security.istio.io AuthorizationPolicy: decoding (v1 and v1beta1) into typed rules, Istio's
// validation (ValidateAuthorizationPolicy, security.ValidateAttribute) with each rejection
// at its field path, and the config_dump form.
#include <gtest/gtest.h>

#include "config/kind_registry.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

using state::AuthzAction;

std::vector<DecodedObject> parse(const std::string& yaml) {
  auto parsed = parse_yaml(yaml, "ap.yaml", "/cfg/ap.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : std::vector<DecodedObject>{};
}

// A copy: callers pass the temporary result of parse().
state::AuthorizationPolicy only(const std::vector<DecodedObject>& objects) {
  EXPECT_EQ(objects.size(), 1u);
  if (objects.size() != 1 || !objects[0].object) {
    ADD_FAILURE() << (objects.empty() ? "no object" : objects[0].error);
    return {};
  }
  return std::get<state::AuthorizationPolicy>(*objects[0].object);
}

// An AuthorizationPolicy shop/authz with `spec` (indented two spaces).
std::string ap(const std::string& spec, const std::string& version = "v1",
               const std::string& metadata_extra = "") {
  return "apiVersion: security.istio.io/" + version +
         "\nkind: AuthorizationPolicy\nmetadata:\n  name: authz\n  namespace: shop\n" +
         metadata_extra + (spec.empty() ? "" : "spec:\n" + spec);
}

// A one-rule policy: `rule` is the rule's body, indented six spaces.
std::string ap_rule(const std::string& rule, const std::string& action = "ALLOW") {
  return ap("  action: " + action + "\n  rules:\n  - " + rule.substr(4));
}

TEST(AuthorizationPolicyDecode, EveryField) {
  const auto p = only(parse(ap(R"(  selector:
    matchLabels: {app: web}
  action: DENY
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/shop/sa/web"]
        notPrincipals: ["*/sa/admin"]
        requestPrincipals: ["issuer.example/*"]
        notRequestPrincipals: ["*"]
        namespaces: [shop]
        notNamespaces: [kube-system]
        ipBlocks: ["10.0.0.0/8", "192.168.1.7"]
        notIpBlocks: ["10.1.2.3/16"]
        remoteIpBlocks: ["2001:db8::/32"]
        notRemoteIpBlocks: ["::1"]
        trustDomains: [cluster.local]
        notTrustDomains: [other.local]
    - source:
        serviceAccounts: [web, "other/api"]
        notServiceAccounts: [bad]
    to:
    - operation:
        hosts: ["*.example.com"]
        notHosts: [admin.example.com]
        ports: ["8080", "0"]
        notPorts: ["9090"]
        methods: [GET, POST]
        notMethods: [DELETE]
        paths: ["/api/{*}/items", "/static/{**}"]
        notPaths: ["/admin*"]
    when:
    - key: request.headers[x-token]
      values: ["a*"]
      notValues: ["ab"]
    - key: source.ip
      values: ["10.0.0.0/8"]
  - {}
)")));
  ASSERT_TRUE(p.selector.has_value());
  EXPECT_EQ(*p.selector, (state::Labels{{"app", "web"}}));
  EXPECT_FALSE(p.target_ref.has_value());
  EXPECT_TRUE(p.selects_workloads());
  EXPECT_EQ(p.action, AuthzAction::kDeny);
  EXPECT_FALSE(p.provider.has_value());
  ASSERT_EQ(p.rules.size(), 2u);
  const auto& rule = p.rules[0];
  ASSERT_EQ(rule.from.size(), 2u);
  const auto& s = rule.from[0];
  using V = std::vector<std::string>;
  EXPECT_EQ(s.principals, V{"cluster.local/ns/shop/sa/web"});
  EXPECT_EQ(s.not_principals, V{"*/sa/admin"});
  EXPECT_EQ(s.request_principals, V{"issuer.example/*"});
  EXPECT_EQ(s.not_request_principals, V{"*"});
  EXPECT_EQ(s.namespaces, V{"shop"});
  EXPECT_EQ(s.not_namespaces, V{"kube-system"});
  ASSERT_EQ(s.ip_blocks.size(), 2u);
  EXPECT_EQ(s.ip_blocks[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(s.ip_blocks[1].to_string(), "192.168.1.7");
  EXPECT_EQ(s.ip_blocks[1].prefix_len, 32);
  ASSERT_EQ(s.not_ip_blocks.size(), 1u);
  EXPECT_EQ(s.not_ip_blocks[0].to_string(), "10.1.2.3/16");  // host bits kept, as in Go
  ASSERT_EQ(s.remote_ip_blocks.size(), 1u);
  EXPECT_EQ(s.remote_ip_blocks[0].prefix_len, 32);
  ASSERT_EQ(s.not_remote_ip_blocks.size(), 1u);
  EXPECT_EQ(s.not_remote_ip_blocks[0].prefix_len, 128);
  EXPECT_EQ(s.trust_domains, V{"cluster.local"});
  EXPECT_EQ(s.not_trust_domains, V{"other.local"});
  EXPECT_EQ(rule.from[1].service_accounts, (V{"web", "other/api"}));
  EXPECT_EQ(rule.from[1].not_service_accounts, V{"bad"});
  ASSERT_EQ(rule.to.size(), 1u);
  const auto& o = rule.to[0];
  EXPECT_EQ(o.hosts, V{"*.example.com"});
  EXPECT_EQ(o.not_hosts, V{"admin.example.com"});
  EXPECT_EQ(o.ports, (std::vector<uint16_t>{8080, 0}));
  EXPECT_EQ(o.not_ports, (std::vector<uint16_t>{9090}));
  EXPECT_EQ(o.methods, (V{"GET", "POST"}));
  EXPECT_EQ(o.not_methods, V{"DELETE"});
  EXPECT_EQ(o.paths, (V{"/api/{*}/items", "/static/{**}"}));
  EXPECT_EQ(o.not_paths, V{"/admin*"});
  ASSERT_EQ(rule.when.size(), 2u);
  EXPECT_EQ(rule.when[0].key, "request.headers[x-token]");
  EXPECT_EQ(rule.when[0].values, V{"a*"});
  EXPECT_EQ(rule.when[0].not_values, V{"ab"});
  EXPECT_EQ(rule.when[1].key, "source.ip");
  // The second rule is empty: it matches every request.
  EXPECT_TRUE(p.rules[1].from.empty());
  EXPECT_TRUE(p.rules[1].to.empty());
  EXPECT_TRUE(p.rules[1].when.empty());
}

TEST(AuthorizationPolicyDecode, EmptySpecIsAllowNothing) {
  for (const auto& yaml : {ap(""), ap("  {}\n"), ap("  rules: []\n"), ap("  action: ALLOW\n")}) {
    const auto p = only(parse(yaml));
    EXPECT_EQ(p.action, AuthzAction::kAllow);
    EXPECT_TRUE(p.rules.empty());
    EXPECT_FALSE(p.selector.has_value());
    EXPECT_FALSE(p.dry_run);
  }
}

TEST(AuthorizationPolicyDecode, V1beta1AndEveryAction) {
  EXPECT_EQ(only(parse(ap("  action: DENY\n  rules: [{}]\n", "v1beta1"))).action,
            AuthzAction::kDeny);
  EXPECT_EQ(only(parse(ap("  action: AUDIT\n  rules: [{}]\n"))).action, AuthzAction::kAudit);
  EXPECT_EQ(only(parse(ap("  action: AUDIT\n"))).action, AuthzAction::kAudit);  // no rule needed
  const auto custom =
      only(parse(ap("  action: CUSTOM\n  provider: {name: ext-authz}\n"
                    "  rules:\n  - to:\n    - operation: {paths: [/admin]}\n")));
  EXPECT_EQ(custom.action, AuthzAction::kCustom);
  EXPECT_EQ(custom.provider, "ext-authz");
}

TEST(AuthorizationPolicyDecode, KeyIsKindNamespaceName) {
  auto objects = parse(ap("  action: ALLOW\n"));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].key, (ObjectKey{"AuthorizationPolicy", "shop", "authz"}));
}

TEST(AuthorizationPolicyDecode, TargetRefs) {
  const auto p =
      only(parse(ap("  targetRefs:\n"
                    "  - {kind: Service, group: \"\", name: web}\n"
                    "  - {kind: Gateway, group: gateway.networking.k8s.io, name: gw}\n"
                    "  - {kind: ServiceEntry, group: networking.istio.io, name: ext}\n"
                    "  rules: [{}]\n")));
  ASSERT_EQ(p.target_refs.size(), 3u);
  EXPECT_EQ(p.target_refs[1].kind, "Gateway");
  EXPECT_EQ(p.target_refs[1].group, "gateway.networking.k8s.io");
  EXPECT_EQ(p.target_refs[1].name, "gw");
  EXPECT_FALSE(p.selects_workloads());
  const auto single =
      only(parse(ap("  targetRef: {kind: GatewayClass, group: "
                    "gateway.networking.k8s.io, name: istio-waypoint}\n")));
  ASSERT_TRUE(single.target_ref.has_value());
  EXPECT_EQ(single.target_ref->name, "istio-waypoint");
}

TEST(AuthorizationPolicyDecode, DryRunAnnotation) {
  const std::string annotated = "  annotations:\n    istio.io/dry-run: \"true\"\n";
  EXPECT_TRUE(only(parse(ap("  action: DENY\n  rules: [{}]\n", "v1", annotated))).dry_run);
  EXPECT_FALSE(only(parse(ap("  action: ALLOW\n", "v1",
                             "  annotations:\n    istio.io/dry-run: \"False\"\n")))
                   .dry_run);
}

// Every attribute Istio supports is accepted, with values of the right form.
TEST(AuthorizationPolicyDecode, EverySupportedWhenKey) {
  const std::vector<std::pair<std::string, std::string>> keys = {
      {"request.headers[User-Agent]", "curl*"},
      {"request.experimental.inline.headers[x]", "y"},
      {"source.ip", "10.1.0.0/16"},
      {"remote.ip", "2001:db8::1"},
      {"source.namespace", "shop"},
      {"source.serviceAccount", "shop/web"},
      {"source.principal", "cluster.local/ns/shop/sa/web"},
      {"request.auth.principal", "issuer/subject"},
      {"request.auth.audiences", "api"},
      {"request.auth.presenter", "client"},
      {"request.auth.claims[groups]", "admin"},
      {"request.auth.claims[nested][claim]", "x"},
      {"destination.ip", "10.0.0.1"},
      {"destination.port", "8080"},
      {"connection.sni", "web.example.com"},
      {"experimental.envoy.filters.network.mysql_proxy[db.table]", "[update]"},
  };
  for (const auto& [key, value] : keys) {
    auto objects = parse(ap_rule("      when:\n      - key: \"" + key + "\"\n        values: [\"" +
                                 value + "\"]\n"));
    ASSERT_EQ(objects.size(), 1u);
    EXPECT_NE(objects[0].object, nullptr) << key << ": " << objects[0].error;
  }
}

TEST(AuthorizationPolicyDecode, ConfigDumpUsesTheYamlNames) {
  const auto p =
      only(parse(ap("  selector: {matchLabels: {app: web}}\n  action: DENY\n"
                    "  rules:\n  - from:\n    - source: {notIpBlocks: [\"10.0.0.1\"]}\n"
                    "    to:\n    - operation: {ports: [\"80\"]}\n"
                    "    when:\n    - {key: source.namespace, notValues: [dev]}\n")));
  nlohmann::json j = p;
  EXPECT_EQ(j, nlohmann::json::parse(R"({
    "name": "authz", "namespace": "shop", "selector": {"matchLabels": {"app": "web"}},
    "action": "DENY",
    "rules": [{"from": [{"source": {"notIpBlocks": ["10.0.0.1"]}}],
               "to": [{"operation": {"ports": ["80"]}}],
               "when": [{"key": "source.namespace", "notValues": ["dev"]}]}]})"));
  const auto custom =
      only(parse(ap("  action: CUSTOM\n  provider: {name: opa}\n  rules: [{}]\n"
                    "  targetRefs: [{kind: Service, name: web}]\n")));
  nlohmann::json c = custom;
  EXPECT_EQ(c["provider"], nlohmann::json({{"name", "opa"}}));
  EXPECT_EQ(c["targetRefs"], nlohmann::json::parse(R"([{"kind": "Service", "name": "web"}])"));
  EXPECT_EQ(c["rules"], nlohmann::json::parse("[{}]"));
  EXPECT_FALSE(c.contains("selector"));
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // exact message
};

const std::string kE = "ap.yaml: AuthorizationPolicy shop/authz: ";
const std::string kR = "spec.rules[0]";
const std::string kSrc = kR + ".from[0].source";
const std::string kOp = kR + ".to[0].operation";

std::string source(const std::string& fields, const std::string& action = "ALLOW") {
  return ap_rule("      from:\n      - source: {" + fields + "}\n", action);
}
std::string operation(const std::string& fields) {
  return ap_rule("      to:\n      - operation: {" + fields + "}\n");
}
std::string when(const std::string& condition, const std::string& action = "ALLOW") {
  return ap_rule(
      "      when:\n      - {key: source.namespace, values: [a]}\n      - {" + condition + "}\n",
      action);
}

std::vector<BadCase> bad_cases() {
  const std::string kW = kR + ".when[1]";
  const std::string kNoRulesDeny =
      "spec.rules: required with action DENY: a policy without rules never matches (add an "
      "empty rule {} to deny every request)";
  return {
      {"DenyWithoutRules", ap("  action: DENY\n"), kE + kNoRulesDeny},
      {"DenyWithEmptyRules", ap("  action: DENY\n  rules: []\n"), kE + kNoRulesDeny},
      {"CustomWithoutRules", ap("  action: CUSTOM\n  provider: {name: opa}\n"),
       kE + "spec.rules: required with action CUSTOM: a policy without rules is never triggered "
            "(add an empty rule {} to trigger it for every request)"},
      {"CustomWithoutProvider", ap("  action: CUSTOM\n  rules: [{}]\n"),
       kE + "spec.provider.name: required with action CUSTOM"},
      {"CustomWithEmptyProviderName",
       ap("  action: CUSTOM\n  provider: {name: \"\"}\n  rules: [{}]\n"),
       kE + "spec.provider.name: required with action CUSTOM"},
      {"ProviderWithAllow", ap("  provider: {name: opa}\n  rules: [{}]\n"),
       kE + "spec.provider: only allowed with action CUSTOM, not ALLOW"},
      {"ActionLowercase", ap("  action: allow\n"),
       kE + "spec.action: \"allow\" is not a valid action (ALLOW, DENY, AUDIT or CUSTOM)"},
      {"UnknownWhenKey", when("key: foo, values: [x]"), kE + kW + ".key: unknown key \"foo\""},
      {"DestinationNamespaceKey", when("key: destination.namespace, values: [x]"),
       kE + kW +
           ".key: key \"destination.namespace\" is replaced by the policy's metadata.namespace"},
      {"DestinationLabelsKey", when("key: \"destination.labels[app]\", values: [x]"),
       kE + kW + ".key: key \"destination.labels[app]\" is replaced by the workload selector"},
      {"DestinationUserKey", when("key: destination.user, values: [x]"),
       kE + kW + ".key: deprecated key \"destination.user\": only supported in v1alpha1"},
      {"HeaderKeyWithoutName", when("key: request.headers, values: [x]"),
       kE + kW +
           ".key: key \"request.headers\" must have the form attribute[name], like "
           "request.headers[x-user]"},
      {"ClaimKeyEmptyName", when("key: \"request.auth.claims[]\", values: [x]"),
       kE + kW +
           ".key: key \"request.auth.claims[]\" must have the form attribute[name], like "
           "request.headers[x-user]"},
      {"WhenKeyMissing", when("values: [x]"), kE + kW + ".key: required"},
      {"WhenKeyEmpty", when("key: \"\", values: [x]"), kE + kW + ".key: must not be empty"},
      {"WhenWithoutValues", when("key: source.ip"),
       kE + kW + ": at least one of values or notValues must be set for key \"source.ip\""},
      {"WhenEmptyValue", when("key: source.principal, notValues: [\"\"]"),
       kE + kW + ".notValues[0]: must not be empty"},
      {"WhenBadIp", when("key: destination.ip, values: [\"10.0.0.1\", \"10.0.0.300\"]"),
       kE + kW + ".values[1]: \"10.0.0.300\" is not a valid IP address"},
      {"WhenBadCidr", when("key: source.ip, notValues: [\"10.0.0.0/33\"]"),
       kE + kW + ".notValues[0]: \"10.0.0.0/33\" is not a valid CIDR range"},
      {"WhenBadPort", when("key: destination.port, values: [\"65536\"]"),
       kE + kW + ".values[0]: \"65536\" is not a port number (0-65535)"},
      {"WhenBadServiceAccount", when("key: source.serviceAccount, values: [\"a/b/c\"]"),
       kE + kW + ".values[0]: \"a/b/c\" must be 'serviceAccount' or 'namespace/serviceAccount'"},
      {"SelectorAndTargetRefs",
       ap("  selector: {matchLabels: {app: web}}\n  targetRefs: [{kind: Service, name: web}]\n"),
       kE + "spec: only one of selector, targetRef or targetRefs may be set"},
      {"TargetRefAndTargetRefs",
       ap("  targetRef: {kind: Service, name: a}\n  targetRefs: [{kind: Service, name: b}]\n"),
       kE + "spec: only one of selector, targetRef or targetRefs may be set"},
      {"TargetRefCrossNamespace", ap("  targetRef: {kind: Service, name: web, namespace: other}\n"),
       kE + "spec.targetRef.namespace: must not be set: cross-namespace references are not "
            "supported"},
      {"TargetRefPod", ap("  targetRefs: [{kind: Pod, name: web}]\n"),
       kE + "spec.targetRefs[0].kind: must be Service, ServiceEntry (networking.istio.io), or "
            "Gateway or GatewayClass (gateway.networking.k8s.io); got \"Pod\""},
      {"TargetRefGatewayWrongGroup",
       ap("  targetRef: {kind: Gateway, group: networking.istio.io, name: gw}\n"),
       kE + "spec.targetRef.kind: must be Service, ServiceEntry (networking.istio.io), or "
            "Gateway or GatewayClass (gateway.networking.k8s.io); got "
            "\"networking.istio.io/Gateway\""},
      {"TargetRefWithoutName", ap("  targetRef: {kind: Service}\n"),
       kE + "spec.targetRef.name: required"},
      {"IpBlockBad", source("ipBlocks: [\"10.0.0.0/8\", \"not-an-ip\"]"),
       kE + kSrc + ".ipBlocks[1]: \"not-an-ip\" is not a valid IP address"},
      {"NotIpBlockPrefixTooLong", source("notIpBlocks: [\"2001:db8::/129\"]"),
       kE + kSrc + ".notIpBlocks[0]: \"2001:db8::/129\" is not a valid CIDR range"},
      {"RemoteIpBlockEmpty", source("remoteIpBlocks: [\"\"]"),
       kE + kSrc + ".remoteIpBlocks[0]: must not be empty"},
      {"PrincipalEmpty", source("principals: [a, \"\"]"),
       kE + kSrc + ".principals[1]: must not be empty"},
      {"NamespacesNull", source("namespaces: [null]"),
       kE + kSrc + ".namespaces[0]: must be a string, got null"},
      {"ServiceAccountsWithNamespaces", source("serviceAccounts: [web], namespaces: [shop]"),
       kE + kSrc + ": serviceAccounts cannot be set with namespaces or principals"},
      {"ServiceAccountWildcard", source("serviceAccounts: [\"web-*\"]"),
       kE + kSrc + ".serviceAccounts[0]: \"web-*\": wildcards are not allowed"},
      {"ServiceAccountEmptyNamespace", source("notServiceAccounts: [\"/web\"]"),
       kE + kSrc +
           ".notServiceAccounts[0]: \"/web\" must be 'serviceAccount' or "
           "'namespace/serviceAccount'"},
      {"EmptySource", source(""), kE + kSrc + ": must not be empty: set at least one field"},
      {"SourceMissing", ap_rule("      from:\n      - {}\n"),
       kE + kR + ".from[0].source: required"},
      {"FromEmptyList", ap_rule("      from: []\n"),
       kE + kR + ".from: must not be empty (leave it out to match any source)"},
      {"ToEmptyList", ap_rule("      to: []\n"),
       kE + kR + ".to: must not be empty (leave it out to match any operation)"},
      {"EmptyOperation", operation(""), kE + kOp + ": must not be empty: set at least one field"},
      {"PortNotANumber", operation("ports: [http]"),
       kE + kOp + ".ports[0]: \"http\" is not a port number (0-65535)"},
      {"PortTooLarge", operation("notPorts: [\"70000\"]"),
       kE + kOp + ".notPorts[0]: \"70000\" is not a port number (0-65535)"},
      {"PortUnquoted", operation("ports: [8080]"),
       kE + kOp + ".ports[0]: must be a string, got a number 8080 (quote it)"},
      {"MethodEmpty", operation("methods: [\"\"]"), kE + kOp + ".methods[0]: must not be empty"},
      {"HostEmpty", operation("notHosts: [\"\"]"), kE + kOp + ".notHosts[0]: must not be empty"},
      {"PathTemplateAfterDoubleStar", operation("paths: [\"/a/{**}/{*}\"]"),
       kE + kOp + ".paths[0]: \"/a/{**}/{*}\": {**} must be the last template in a path"},
      {"PathBraces", operation("notPaths: [\"/a/{id}\"]"),
       kE + kOp +
           ".notPaths[0]: \"/a/{id}\": '{' and '}' are only allowed in the {*} and {**} "
           "templates"},
      {"PathTemplateBadLiteral", operation("paths: [\"/{*}/a*b\"]"),
       kE + kOp +
           ".paths[0]: \"/{*}/a*b\": segment \"a*b\" is not a valid literal in a path "
           "template"},
      {"CustomWithPrincipals",
       "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
       "metadata: {name: authz, namespace: shop}\n"
       "spec:\n  action: CUSTOM\n  provider: {name: opa}\n"
       "  rules:\n  - from:\n    - source: {principals: [a]}\n",
       kE + kSrc + ".principals: not supported with action CUSTOM"},
      {"CustomWithSourceNamespaceKey",
       "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
       "metadata: {name: authz, namespace: shop}\n"
       "spec:\n  action: CUSTOM\n  provider: {name: opa}\n"
       "  rules:\n  - when:\n    - {key: request.auth.principal, values: [a]}\n",
       kE + kR + ".when[0].key: \"request.auth.principal\" is not supported with action CUSTOM"},
      {"RuleNull", ap("  rules:\n  -\n"), kE + "spec.rules[0]: must be an object, got null"},
      {"RulesNotAList", ap("  rules: {from: []}\n"),
       kE + "spec.rules: must be a list, got an object"},
      {"DryRunOnAudit",
       ap("  action: AUDIT\n", "v1", "  annotations:\n    istio.io/dry-run: \"true\"\n"),
       kE + "metadata.annotations[istio.io/dry-run]: only supported with action ALLOW or DENY, "
            "not AUDIT"},
      {"DryRunNotABoolean",
       ap("  action: ALLOW\n", "v1", "  annotations:\n    istio.io/dry-run: \"yes\"\n"),
       kE + "metadata.annotations[istio.io/dry-run]: \"yes\" is not a boolean (true or false)"},
      {"SeveralErrorsJoined", when("key: foo", "DENY"),
       kE + kW + ".key: unknown key \"foo\"; " + kW +
           ": at least one of values or notValues must be set for key \"foo\""},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadAuthorizationPolicy : public testing::TestWithParam<BadCase> {};

TEST_P(BadAuthorizationPolicy, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto objects = parse(c.yaml);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object, nullptr);
  EXPECT_EQ(objects[0].error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadAuthorizationPolicy, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AuthorizationPolicyDecode, InvalidPolicyIsRejectedAlone) {
  auto objects = parse(ap("  action: DENY\n  rules: [{}]\n") + "---\n" +
                       "apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\n"
                       "metadata: {name: bad, namespace: shop}\nspec: {action: DENY}\n");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_NE(objects[0].object, nullptr);
  EXPECT_EQ(objects[1].object, nullptr);
  EXPECT_EQ(objects[1].key, (ObjectKey{"AuthorizationPolicy", "shop", "bad"}));
}

}  // namespace
}  // namespace zmesh::config
