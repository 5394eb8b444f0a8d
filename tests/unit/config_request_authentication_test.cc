// security.istio.io RequestAuthentication: decoding (v1 and v1beta1) into typed JWT rules,
// Istio's validation (ValidateRequestAuthentication, validateJwtRule, the CRD's rules) with
// each rejection at its field path, and the config_dump form.
#include <gtest/gtest.h>

#include "config/kind_registry.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

std::vector<DecodedObject> parse(const std::string& yaml) {
  auto parsed = parse_yaml(yaml, "ra.yaml", "/cfg/ra.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : std::vector<DecodedObject>{};
}

state::RequestAuthentication only(const std::vector<DecodedObject>& objects) {
  EXPECT_EQ(objects.size(), 1u);
  if (objects.size() != 1 || !objects[0].object) {
    ADD_FAILURE() << (objects.empty() ? "no object" : objects[0].error);
    return {};
  }
  return std::get<state::RequestAuthentication>(*objects[0].object);
}

// A RequestAuthentication shop/jwt with `spec` (indented two spaces).
std::string ra(const std::string& spec, const std::string& version = "v1",
               const std::string& metadata_extra = "") {
  return "apiVersion: security.istio.io/" + version +
         "\nkind: RequestAuthentication\nmetadata:\n  name: jwt\n  namespace: shop\n" +
         metadata_extra + (spec.empty() ? "" : "spec:\n" + spec);
}

// One JWT rule: `fields` in flow style.
std::string rule(const std::string& fields) {
  return ra("  jwtRules:\n  - {" + fields + "}\n");
}

const std::string kJwks = R"({"keys":[{"kty":"RSA","e":"AQAB","n":"xyz","kid":"k1"}]})";

TEST(RequestAuthenticationDecode, EveryField) {
  const auto r = only(parse(ra(R"(  selector:
    matchLabels: {app: web}
  jwtRules:
  - issuer: "https://issuer.example"
    audiences: [api, web]
    jwksUri: "https://issuer.example:8443/.well-known/jwks.json"
    fromHeaders:
    - {name: x-jwt, prefix: "Bearer "}
    - name: x-other
    fromParams: [token]
    fromCookies: [session]
    outputPayloadToHeader: x-jwt-payload
    forwardOriginalToken: true
    outputClaimToHeaders:
    - {header: x-sub, claim: sub}
    - {header: x-group, claim: groups.admin}
    timeout: 1.5s
    spaceDelimitedClaims: [roles]
    presence: REQUIRED
  - issuer: other
    jwks: ')" + kJwks + R"('
)")));
  ASSERT_TRUE(r.selector.has_value());
  EXPECT_EQ(*r.selector, (state::Labels{{"app", "web"}}));
  ASSERT_EQ(r.jwt_rules.size(), 2u);
  const auto& j = r.jwt_rules[0];
  EXPECT_EQ(j.issuer, "https://issuer.example");
  EXPECT_EQ(j.audiences, (std::vector<std::string>{"api", "web"}));
  EXPECT_EQ(j.jwks_uri, "https://issuer.example:8443/.well-known/jwks.json");
  ASSERT_EQ(j.from_headers.size(), 2u);
  EXPECT_EQ(j.from_headers[0].name, "x-jwt");
  EXPECT_EQ(j.from_headers[0].prefix, "Bearer ");
  EXPECT_EQ(j.from_headers[1].prefix, "");
  EXPECT_EQ(j.from_params, std::vector<std::string>{"token"});
  EXPECT_EQ(j.from_cookies, std::vector<std::string>{"session"});
  EXPECT_EQ(j.output_payload_to_header, "x-jwt-payload");
  EXPECT_TRUE(j.forward_original_token);
  ASSERT_EQ(j.output_claim_to_headers.size(), 2u);
  EXPECT_EQ(j.output_claim_to_headers[1].header, "x-group");
  EXPECT_EQ(j.output_claim_to_headers[1].claim, "groups.admin");
  ASSERT_TRUE(j.timeout.has_value());
  EXPECT_EQ(j.timeout->count(), 1500);
  EXPECT_EQ(j.space_delimited_claims, std::vector<std::string>{"roles"});
  EXPECT_EQ(j.presence, state::JwtPresence::kRequired);
  EXPECT_EQ(r.jwt_rules[1].jwks, kJwks);
  EXPECT_FALSE(r.jwt_rules[1].forward_original_token);
  EXPECT_FALSE(r.jwt_rules[1].timeout.has_value());
}

TEST(RequestAuthenticationDecode, DefaultsAndVersions) {
  const auto empty = only(parse(ra("")));
  EXPECT_TRUE(empty.jwt_rules.empty());
  EXPECT_FALSE(empty.selector.has_value());
  EXPECT_EQ(only(parse(ra("  jwtRules: [{issuer: a}]\n", "v1beta1"))).jwt_rules.size(), 1u);
  // The proto's own field name is accepted for jwksUri.
  EXPECT_EQ(only(parse(rule("issuer: a, jwks_uri: \"http://keys\""))).jwt_rules[0].jwks_uri,
            "http://keys");
  // Istio: an issuer may be left out when jwksUri finds the keys.
  EXPECT_EQ(only(parse(rule("jwksUri: \"https://keys.example/jwks\""))).jwt_rules[0].issuer, "");
  const auto waypoint =
      only(parse(ra("  targetRefs:\n  - {kind: Gateway, group: "
                    "gateway.networking.k8s.io, name: waypoint}\n")));
  ASSERT_EQ(waypoint.target_refs.size(), 1u);
  EXPECT_EQ(waypoint.target_refs[0].name, "waypoint");
}

TEST(RequestAuthenticationDecode, TimeoutsInGoDurationSyntax) {
  const std::vector<std::pair<std::string, int64_t>> ok = {
      {"5s", 5000},  {"100ms", 100}, {"1m30s", 90000}, {"1h", 3600000},
      {"0.001s", 1}, {"1000us", 1},  {"2000000ns", 2}};
  for (const auto& [text, ms] : ok) {
    const auto r = only(parse(rule("issuer: a, timeout: \"" + text + "\"")));
    ASSERT_EQ(r.jwt_rules.size(), 1u) << text;
    EXPECT_EQ(r.jwt_rules[0].timeout->count(), ms) << text;
  }
}

TEST(RequestAuthenticationDecode, ConfigDumpUsesTheYamlNames) {
  const auto r =
      only(parse(rule("issuer: a, audiences: [x], fromHeaders: [{name: h}], "
                      "timeout: 2s, forwardOriginalToken: true")));
  nlohmann::json j = r;
  EXPECT_EQ(j, nlohmann::json::parse(R"({"name": "jwt", "namespace": "shop",
    "jwtRules": [{"issuer": "a", "audiences": ["x"], "fromHeaders": [{"name": "h"}],
                  "timeout": "2000ms", "forwardOriginalToken": true}]})"));
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // exact message
};

const std::string kE = "ra.yaml: RequestAuthentication shop/jwt: ";
const std::string kJ = "spec.jwtRules[0]";

std::vector<BadCase> bad_cases() {
  return {
      {"NoIssuerNorJwksUri", rule("audiences: [a]"),
       kE + kJ + ".issuer: required (unless jwksUri is set)"},
      {"NoIssuerWithInlineJwks", rule("jwks: '" + kJwks + "'"),
       kE + kJ + ".issuer: required (unless jwksUri is set)"},
      {"IssuerEmpty", rule("issuer: \"\", jwksUri: \"https://k\""),
       kE + kJ + ".issuer: must not be empty"},
      {"JwksAndJwksUri", rule("issuer: a, jwksUri: \"https://k\", jwks: '" + kJwks + "'"),
       kE + kJ + ": only one of jwks or jwksUri can be set"},
      {"JwksUriAndItsProtoName", rule("issuer: a, jwksUri: \"https://k\", jwks_uri: \"https://k\""),
       kE + kJ + ": only one of jwks or jwksUri can be set"},
      {"JwksUriNotHttp", rule("issuer: a, jwksUri: \"ftp://keys.example/jwks\""),
       kE + kJ + ".jwksUri: \"ftp://keys.example/jwks\" must be an http:// or https:// URL"},
      {"JwksUriRelative", rule("issuer: a, jwksUri: /jwks.json"),
       kE + kJ + ".jwksUri: \"/jwks.json\" must be an http:// or https:// URL"},
      {"JwksUriNoHost", rule("issuer: a, jwksUri: \"https:///jwks\""),
       kE + kJ + ".jwksUri: \"https:///jwks\" has no host"},
      {"JwksUriBadPort", rule("issuer: a, jwksUri: \"https://keys:https/jwks\""),
       kE + kJ + ".jwksUri: \"https://keys:https/jwks\" has an invalid port \"https\""},
      {"JwksUriSpace", rule("issuer: a, jwksUri: \"https://keys/a b\""),
       kE + kJ + ".jwksUri: \"https://keys/a b\" must not contain spaces or control characters"},
      {"JwksNotJson", rule("issuer: a, jwks: \"{keys\""),
       kE + kJ + ".jwks: is not a JSON Web Key Set (a JSON object)"},
      {"JwksKeyWithoutKty", rule("issuer: a, jwks: '{\"keys\": [{\"n\": \"x\"}]}'"),
       kE + kJ + ".jwks: is not a JSON Web Key Set: every key needs a \"kty\""},
      {"AudienceEmpty", rule("issuer: a, audiences: [x, \"\"]"),
       kE + kJ + ".audiences[1]: must not be empty"},
      {"FromHeaderWithoutName", rule("issuer: a, fromHeaders: [{prefix: x}]"),
       kE + kJ + ".fromHeaders[0].name: required"},
      {"FromHeaderEmptyName", rule("issuer: a, fromHeaders: [{name: \"\"}]"),
       kE + kJ + ".fromHeaders[0].name: must not be empty"},
      {"FromParamEmpty", rule("issuer: a, fromParams: [\"\"]"),
       kE + kJ + ".fromParams[0]: must not be empty"},
      {"FromCookieEmpty", rule("issuer: a, fromCookies: [\"\"]"),
       kE + kJ + ".fromCookies[0]: must not be empty"},
      {"ClaimHeaderInvalid",
       rule("issuer: a, outputClaimToHeaders: [{header: \"x_sub\", claim: sub}]"),
       kE + kJ +
           ".outputClaimToHeaders[0].header: \"x_sub\" is not a valid header name "
           "(letters, digits and '-')"},
      {"ClaimHeaderMissing", rule("issuer: a, outputClaimToHeaders: [{claim: sub}]"),
       kE + kJ + ".outputClaimToHeaders[0].header: required"},
      {"ClaimEmpty", rule("issuer: a, outputClaimToHeaders: [{header: x-sub, claim: \"\"}]"),
       kE + kJ + ".outputClaimToHeaders[0].claim: must not be empty"},
      {"TimeoutBelowOneMs", rule("issuer: a, timeout: 500us"),
       kE + kJ + ".timeout: must be at least 1ms"},
      {"TimeoutSubMillisecond", rule("issuer: a, timeout: 1.5ms"),
       kE + kJ + ".timeout: only durations to millisecond precision are supported"},
      {"TimeoutNoUnit", rule("issuer: a, timeout: \"5\""),
       kE + kJ + ".timeout: \"5\" is not a duration (like \"5s\" or \"500ms\")"},
      {"TimeoutNegative", rule("issuer: a, timeout: -1s"),
       kE + kJ + ".timeout: must be at least 1ms"},
      {"PresenceInvalid", rule("issuer: a, presence: optional"),
       kE + kJ + ".presence: \"optional\" is not a valid presence (OPTIONAL or REQUIRED)"},
      {"ForwardNotABoolean", rule("issuer: a, forwardOriginalToken: \"yes\""),
       kE + kJ + ".forwardOriginalToken: must be a boolean, got a string \"yes\""},
      {"RuleNull", ra("  jwtRules:\n  -\n"), kE + kJ + ": must be an object, got null"},
      {"SelectorAndTargetRef",
       ra("  selector: {matchLabels: {app: web}}\n  targetRef: {kind: Service, name: web}\n"),
       kE + "spec: only one of selector, targetRef or targetRefs may be set"},
      {"TargetRefKindInvalid", ra("  targetRef: {kind: \"1Service\", name: web}\n"),
       kE + "spec.targetRef.kind: \"1Service\" is not a valid kind (a letter, then letters, "
            "digits or '-', at most 63 characters)"},
      {"DryRunAnnotation",
       ra("  jwtRules: [{issuer: a}]\n", "v1", "  annotations:\n    istio.io/dry-run: \"true\"\n"),
       kE + "metadata.annotations[istio.io/dry-run]: only supported on AuthorizationPolicy: "
            "remove it"},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadRequestAuthentication : public testing::TestWithParam<BadCase> {};

TEST_P(BadRequestAuthentication, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto objects = parse(c.yaml);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object, nullptr);
  EXPECT_EQ(objects[0].error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadRequestAuthentication, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace zmesh::config
