// L4 AuthorizationPolicy decisions (rbac::authorize): one table row per attribute, form
// and conversion rule, against a few fixed connections.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rbac/authorize.h"

namespace zmesh::rbac {
namespace {

using state::AuthorizationPolicy;
using state::AuthzAction;
using state::AuthzCondition;
using state::AuthzOperation;
using state::AuthzRule;
using state::AuthzSource;
using state::IpBlock;

// Connections: web (mTLS, ns "shop", sa "web"), other (mTLS, ns "bank", sa "teller"),
// plain (no identity), v6 (mTLS from IPv6).
ConnectionView conn(const std::string& src, const std::string& ns, const std::string& sa,
                    uint16_t port = 8080, const std::string& dst = "10.0.0.9") {
  ConnectionView c;
  c.src_ip = boost::asio::ip::make_address(src);
  if (!ns.empty()) c.source = identity::SpiffeId{"cluster.local", ns, sa};
  c.dst_ip = boost::asio::ip::make_address(dst);
  c.dst_port = port;
  return c;
}
const ConnectionView kWeb = conn("10.0.0.1", "shop", "web");
const ConnectionView kOther = conn("10.0.1.7", "bank", "teller");
const ConnectionView kPlain = conn("192.168.5.5", "", "");
const ConnectionView kV6 = conn("fd00::1:2", "shop", "web", 8080, "fd00::9");

IpBlock cidr(const std::string& text) {
  return *IpBlock::parse(text);
}

AuthorizationPolicy policy(AuthzAction action, std::vector<AuthzRule> rules,
                           const std::string& name = "p", bool dry_run = false) {
  AuthorizationPolicy p;
  p.meta.namespace_ = "shop";
  p.meta.name = name;
  p.action = action;
  p.rules = std::move(rules);
  p.dry_run = dry_run;
  return p;
}
AuthzRule from(AuthzSource s) {
  return AuthzRule{{std::move(s)}, {}, {}};
}
AuthzRule to(AuthzOperation op) {
  return AuthzRule{{}, {std::move(op)}, {}};
}
AuthzRule when(std::string key, std::vector<std::string> values,
               std::vector<std::string> not_values = {}) {
  return AuthzRule{
      {}, {}, {AuthzCondition{std::move(key), std::move(values), std::move(not_values)}}};
}

// One ALLOW policy with one rule: which of web / other / plain / v6 it admits.
struct AllowRow {
  const char* name;
  AuthzRule rule;
  bool web, other, plain, v6;
};

class AllowTable : public ::testing::TestWithParam<AllowRow> {};

TEST_P(AllowTable, AdmitsExactlyTheMatchingConnections) {
  const auto& row = GetParam();
  auto p = policy(AuthzAction::kAllow, {row.rule});
  state::ApplicablePolicies applicable;
  applicable.allow.push_back(&p);
  EXPECT_EQ(authorize(applicable, kWeb).allowed, row.web) << "web";
  EXPECT_EQ(authorize(applicable, kOther).allowed, row.other) << "other";
  EXPECT_EQ(authorize(applicable, kPlain).allowed, row.plain) << "plain";
  EXPECT_EQ(authorize(applicable, kV6).allowed, row.v6) << "v6";
}

// A source or operation with one field set: set(&AuthzSource::principals, {...}).
template <typename Struct, typename T>
Struct set(std::vector<T> Struct::*field, std::vector<T> v) {
  Struct s;
  s.*field = std::move(v);
  return s;
}
AuthzSource principals(std::vector<std::string> v) {
  return set(&AuthzSource::principals, v);
}
AuthzSource not_principals(std::vector<std::string> v) {
  return set(&AuthzSource::not_principals, v);
}
AuthzSource namespaces(std::vector<std::string> v) {
  return set(&AuthzSource::namespaces, v);
}
AuthzSource not_namespaces(std::vector<std::string> v) {
  return set(&AuthzSource::not_namespaces, v);
}
AuthzSource sas(std::vector<std::string> v) {
  return set(&AuthzSource::service_accounts, v);
}
AuthzSource not_sas(std::vector<std::string> v) {
  return set(&AuthzSource::not_service_accounts, v);
}
AuthzSource ips(std::vector<IpBlock> v) {
  return set(&AuthzSource::ip_blocks, v);
}
AuthzSource not_ips(std::vector<IpBlock> v) {
  return set(&AuthzSource::not_ip_blocks, v);
}
AuthzOperation ports(std::vector<uint16_t> v) {
  return set(&AuthzOperation::ports, v);
}
AuthzOperation not_ports(std::vector<uint16_t> v) {
  return set(&AuthzOperation::not_ports, v);
}

INSTANTIATE_TEST_SUITE_P(
    Rbac, AllowTable,
    ::testing::Values(
        //                                                                 web  other  plain  v6
        AllowRow{"EmptyRuleMatchesAll", AuthzRule{}, true, true, true, true},
        AllowRow{"PrincipalExact", from(principals({"cluster.local/ns/shop/sa/web"})), true, false,
                 false, true},
        AllowRow{"PrincipalWithSpiffeSchemeNeverMatches",
                 from(principals({"spiffe://cluster.local/ns/shop/sa/web"})), false, false, false,
                 false},
        AllowRow{"PrincipalPrefix", from(principals({"cluster.local/ns/bank/*"})), false, true,
                 false, false},
        AllowRow{"PrincipalSuffix", from(principals({"*/sa/web"})), true, false, false, true},
        AllowRow{"PrincipalPresence", from(principals({"*"})), true, true, false, true},
        AllowRow{"PrincipalsOred", from(principals({"*/sa/teller", "*/sa/web"})), true, true, false,
                 true},
        AllowRow{"NotPrincipal", from(not_principals({"cluster.local/ns/shop/sa/web"})), false,
                 true, true, false},
        AllowRow{"NotPrincipalPresenceIsPlaintextOnly", from(not_principals({"*"})), false, false,
                 true, false},
        AllowRow{"Namespace", from(namespaces({"bank"})), false, true, false, false},
        AllowRow{"NamespacePrefix", from(namespaces({"sh*"})), true, false, false, true},
        AllowRow{"NotNamespace", from(not_namespaces({"bank"})), true, false, true, true},
        AllowRow{"ServiceAccountInPolicyNamespace", from(sas({"web"})), true, false, false, true},
        AllowRow{"ServiceAccountQualified", from(sas({"bank/teller"})), false, true, false, false},
        AllowRow{"ServiceAccountOtherNamespaceNoMatch", from(sas({"teller"})), false, false, false,
                 false},
        AllowRow{"NotServiceAccount", from(not_sas({"web"})), false, true, true, false},
        AllowRow{"IpBlockV4Cidr", from(ips({cidr("10.0.0.0/24")})), true, false, false, false},
        AllowRow{"IpBlockV4HostBitsSet", from(ips({cidr("10.0.1.200/23")})), true, true, false,
                 false},
        AllowRow{"IpBlockSingleAddress", from(ips({cidr("192.168.5.5")})), false, false, true,
                 false},
        AllowRow{"IpBlockV6Cidr", from(ips({cidr("fd00::/64")})), false, false, false, true},
        AllowRow{"NotIpBlock", from(not_ips({cidr("10.0.0.0/8")})), false, false, true, true},
        AllowRow{"FieldsInOneSourceAnded", from([] {
                   auto s = namespaces({"shop"});
                   s.ip_blocks = {cidr("fd00::/16")};
                   return s;
                 }()),
                 false, false, false, true},
        AllowRow{"SourcesOred",
                 AuthzRule{{namespaces({"bank"}), ips({cidr("192.168.0.0/16")})}, {}, {}}, false,
                 true, true, false},
        AllowRow{"Port", to(ports({8080})), true, true, true, true},
        AllowRow{"PortOther", to(ports({9090})), false, false, false, false},
        AllowRow{"NotPort", to(not_ports({8080})), false, false, false, false},
        AllowRow{"FromAndToAnded", AuthzRule{{namespaces({"shop"})}, {ports({9090})}, {}}, false,
                 false, false, false},
        AllowRow{"WhenSourceIp", when("source.ip", {"10.0.1.0/24"}), false, true, false, false},
        AllowRow{"WhenSourceIpNotValues", when("source.ip", {}, {"10.0.1.0/24"}), true, false, true,
                 true},
        AllowRow{"WhenSourceNamespace", when("source.namespace", {"shop"}), true, false, false,
                 true},
        AllowRow{"WhenSourcePrincipal", when("source.principal", {"*/sa/teller"}), false, true,
                 false, false},
        AllowRow{"WhenSourcePrincipalNotValues", when("source.principal", {}, {"*"}), false, false,
                 true, false},
        AllowRow{"WhenDestinationIp", when("destination.ip", {"fd00::9"}), false, false, false,
                 true},
        AllowRow{"WhenDestinationPort", when("destination.port", {"8080"}), true, true, true, true},
        AllowRow{"WhenDestinationPortNotValues", when("destination.port", {}, {"8080"}), false,
                 false, false, false},
        AllowRow{"WhenValuesAndNotValues", when("source.namespace", {"*"}, {"bank"}), true, false,
                 false, true},
        AllowRow{
            "WhenConditionsAnded",
            AuthzRule{{},
                      {},
                      {{"source.namespace", {"shop"}, {}}, {"destination.ip", {"10.0.0.0/8"}, {}}}},
            true, false, false, false},
        // HTTP attributes in an ALLOW rule: the rule is dropped, the policy fails closed.
        AllowRow{"HttpMethodDropsAllowRule", to([] {
                   auto o = ports({8080});
                   o.methods = {"GET"};
                   return o;
                 }()),
                 false, false, false, false},
        AllowRow{"HttpHostDropsAllowRule", to([] {
                   AuthzOperation o;
                   o.hosts = {"x"};
                   return o;
                 }()),
                 false, false, false, false},
        AllowRow{"NotPathDropsAllowRule", to([] {
                   AuthzOperation o;
                   o.not_paths = {"/x"};
                   return o;
                 }()),
                 false, false, false, false},
        AllowRow{"RequestPrincipalDropsAllowRule", from([] {
                   auto s = principals({"*"});
                   s.request_principals = {"*"};
                   return s;
                 }()),
                 false, false, false, false},
        AllowRow{"RemoteIpDropsAllowRule", from([] {
                   AuthzSource s;
                   s.remote_ip_blocks = {cidr("0.0.0.0/0")};
                   return s;
                 }()),
                 false, false, false, false},
        AllowRow{"HttpWhenKeyDropsAllowRule", when("request.headers[x-user]", {"a"}), false, false,
                 false, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Rbac, NoPolicyAllows) {
  EXPECT_TRUE(authorize({}, kPlain).allowed);
}

TEST(Rbac, AllowWithoutRulesDeniesEverything) {
  auto p = policy(AuthzAction::kAllow, {});
  state::ApplicablePolicies a;
  a.allow = {&p};
  auto d = authorize(a, kWeb);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "allow policies exist, but none allowed");
}

TEST(Rbac, AnyAllowPolicyMatchingAllows) {
  auto bank = policy(AuthzAction::kAllow, {from(namespaces({"bank"}))}, "bank");
  auto web = policy(AuthzAction::kAllow, {from(sas({"web"}))}, "web");
  state::ApplicablePolicies a;
  a.allow = {&bank, &web};
  EXPECT_TRUE(authorize(a, kWeb).allowed);
  EXPECT_TRUE(authorize(a, kOther).allowed);
  EXPECT_FALSE(authorize(a, kPlain).allowed);
}

TEST(Rbac, OnlyDenyPoliciesAllowTheRest) {
  auto deny = policy(AuthzAction::kDeny, {from(namespaces({"bank"}))}, "no-bank");
  state::ApplicablePolicies a;
  a.deny = {&deny};
  auto d = authorize(a, kOther);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.denied_by, &deny);
  EXPECT_EQ(d.reason, "explicitly denied by: shop/no-bank");
  EXPECT_TRUE(authorize(a, kWeb).allowed);
  EXPECT_TRUE(authorize(a, kPlain).allowed);
}

TEST(Rbac, DenyWinsOverAllow) {
  auto allow = policy(AuthzAction::kAllow, {AuthzRule{}}, "all");
  auto deny = policy(AuthzAction::kDeny, {to(ports({8080}))}, "no-8080");
  state::ApplicablePolicies a;
  a.allow = {&allow};
  a.deny = {&deny};
  EXPECT_FALSE(authorize(a, kWeb).allowed);
  EXPECT_TRUE(authorize(a, conn("10.0.0.1", "shop", "web", 9090)).allowed);
}

TEST(Rbac, DenyRuleHttpPartsStrippedBroadens) {
  // Written: deny GET on 8080 from bank. At L4: deny everything on 8080 from bank.
  AuthzOperation op = ports({8080});
  op.methods = {"GET"};
  auto deny = policy(AuthzAction::kDeny, {AuthzRule{{namespaces({"bank"})}, {op}, {}}});
  state::ApplicablePolicies a;
  a.deny = {&deny};
  EXPECT_FALSE(authorize(a, kOther).allowed);
  EXPECT_TRUE(authorize(a, conn("10.0.1.7", "bank", "teller", 9090)).allowed);
  EXPECT_TRUE(authorize(a, kWeb).allowed);

  // requestPrincipals stripped from a source that keeps an L4 field.
  AuthzSource s = namespaces({"bank"});
  s.request_principals = {"issuer/sub"};
  auto deny2 = policy(AuthzAction::kDeny, {from(s)});
  a.deny = {&deny2};
  EXPECT_FALSE(authorize(a, kOther).allowed);
  EXPECT_TRUE(authorize(a, kWeb).allowed);
}

TEST(Rbac, DenyRuleLeftWithoutL4MatchEnforcesNothing) {
  // As ztunnel: a clause whose only match became empty never matches (istiod warns).
  AuthzOperation op;
  op.methods = {"DELETE"};
  auto only_http = policy(AuthzAction::kDeny, {to(op)});
  auto only_http_when = policy(AuthzAction::kDeny, {when("request.auth.principal", {"x"})});
  state::ApplicablePolicies a;
  a.deny = {&only_http, &only_http_when};
  EXPECT_TRUE(authorize(a, kWeb).allowed);
  EXPECT_TRUE(authorize(a, kPlain).allowed);
  // ...but a sibling `to` with an L4 field still matches.
  auto mixed = policy(AuthzAction::kDeny, {AuthzRule{{}, {op, ports({8080})}, {}}});
  a.deny = {&mixed};
  EXPECT_FALSE(authorize(a, kWeb).allowed);
}

TEST(Rbac, DryRunIsNeverEnforced) {
  auto deny_all = policy(AuthzAction::kDeny, {AuthzRule{}}, "shadow-deny", true);
  auto allow_none =
      policy(AuthzAction::kAllow, {from(namespaces({"nowhere"}))}, "shadow-allow", true);
  state::ApplicablePolicies a;
  a.dry_run = {&deny_all};
  uint64_t before = counters().dry_run_denied.load();
  auto d = authorize(a, kWeb);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.dry_run_would_deny);
  EXPECT_EQ(counters().dry_run_denied.load(), before + 1);

  a.dry_run = {&allow_none};
  d = authorize(a, kWeb);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.dry_run_would_deny);

  auto allow_shop = policy(AuthzAction::kAllow, {from(namespaces({"shop"}))}, "shadow-shop", true);
  a.dry_run = {&allow_shop};
  d = authorize(a, kWeb);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.dry_run_would_deny);
  EXPECT_TRUE(authorize(a, kOther).dry_run_would_deny);
}

TEST(Rbac, AuditLogsOnlyAndDoesNotDecide) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));

  auto audit = policy(AuthzAction::kAudit, {from(namespaces({"bank"}))}, "watch-bank");
  auto deny = policy(AuthzAction::kDeny, {from(sas({"bank/teller"}))}, "no-teller");
  state::ApplicablePolicies a;
  a.audit = {&audit};
  auto d = authorize(a, kOther);
  EXPECT_TRUE(d.allowed);  // AUDIT alone never denies
  ASSERT_EQ(d.audited.size(), 1u);
  EXPECT_TRUE(authorize(a, kWeb).audited.empty());

  a.deny = {&deny};
  d = authorize(a, kOther);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.audited.size(), 1u);

  auto lines = sink->last_formatted(16);
  spdlog::set_default_logger(previous);
  ASSERT_EQ(lines.size(), 2u);  // one per audited connection, none for web
  EXPECT_NE(lines[0].find(R"("policy":"shop/watch-bank")"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("decision":"allow")"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("src.identity":"spiffe://cluster.local/ns/bank/sa/teller")"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find(R"("dst.addr":"10.0.0.9:8080")"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(R"("decision":"deny")"), std::string::npos) << lines[1];
}

TEST(Rbac, CustomIsIgnoredAsInAmbient) {
  auto custom = policy(AuthzAction::kCustom, {AuthzRule{}}, "ext");
  custom.provider = "opa";
  state::ApplicablePolicies a;
  a.custom = {&custom};
  EXPECT_TRUE(authorize(a, kPlain).allowed);
}

}  // namespace
}  // namespace zmesh::rbac
