// The inbound pipeline's pure pieces: tokens taken from the query are not forwarded
// (strip_query_params), and which policies put a port on the HTTP path (policies_need_http).
#include <gtest/gtest.h>

#include "l7/inbound_authn.h"
#include "l7/inbound_authz.h"
#include "rbac/policy_match.h"

namespace zmesh::l7 {
namespace {

TEST(StripQueryParams, Table) {
  struct Case {
    const char* target;
    std::vector<std::string> names;
    const char* want;
  };
  const Case cases[] = {
      {"/a?access_token=x", {"access_token"}, "/a"},
      {"/a?x=1&access_token=t&y=2", {"access_token"}, "/a?x=1&y=2"},
      {"/a?access_token=t&y=2", {"access_token"}, "/a?y=2"},
      {"/a?x=1", {"access_token"}, "/a?x=1"},
      {"/a", {"access_token"}, "/a"},
      {"/a?tok&b=1", {"tok"}, "/a?b=1"},  // a parameter without a value
      {"/a?access_token_2=x", {"access_token"}, "/a?access_token_2=x"},  // names match whole
      {"/a?p=1&q=2", {}, "/a?p=1&q=2"},
  };
  for (const auto& c : cases) EXPECT_EQ(strip_query_params(c.target, c.names), c.want) << c.target;
}

state::AuthorizationPolicy policy(state::AuthzAction action, state::AuthzRule rule) {
  state::AuthorizationPolicy p;
  p.action = action;
  p.rules.push_back(std::move(rule));
  return p;
}

TEST(PoliciesNeedHttp, OnlyHttpAttributesDo) {
  state::AuthzRule ports;
  ports.to.push_back({});
  ports.to.back().ports = {8080};
  state::AuthzRule methods;
  methods.to.push_back({});
  methods.to.back().methods = {"GET"};
  state::AuthzRule header_when;
  header_when.when.push_back({"request.headers[x-team]", {"blue"}, {}});
  state::AuthzRule ip_when;
  ip_when.when.push_back({"source.ip", {"10.0.0.0/8"}, {}});

  auto l4_allow = policy(state::AuthzAction::kAllow, ports);
  auto l7_allow = policy(state::AuthzAction::kAllow, methods);
  auto l7_deny = policy(state::AuthzAction::kDeny, header_when);
  auto l4_deny = policy(state::AuthzAction::kDeny, ip_when);
  auto l7_audit = policy(state::AuthzAction::kAudit, methods);

  state::ApplicablePolicies none;
  EXPECT_FALSE(rbac::policies_need_http(none));
  state::ApplicablePolicies l4;
  l4.allow = {&l4_allow};
  l4.deny = {&l4_deny};
  EXPECT_FALSE(rbac::policies_need_http(l4));
  state::ApplicablePolicies allow = l4;
  allow.allow.push_back(&l7_allow);
  EXPECT_TRUE(rbac::policies_need_http(allow));
  state::ApplicablePolicies deny;
  deny.deny = {&l7_deny};
  EXPECT_TRUE(rbac::policies_need_http(deny));
  state::ApplicablePolicies audit;
  audit.audit = {&l7_audit};
  EXPECT_TRUE(rbac::policies_need_http(audit));
  state::ApplicablePolicies dry;
  dry.dry_run = {&l7_allow};
  EXPECT_TRUE(rbac::policies_need_http(dry));
  // CUSTOM: its external authorizer is asked per request, whatever its rules name
  auto custom_l4 = policy(state::AuthzAction::kCustom, ports);
  state::ApplicablePolicies custom;
  custom.custom = {&custom_l4};
  EXPECT_TRUE(rbac::policies_need_http(custom));
}

}  // namespace
}  // namespace zmesh::l7
