// security.istio.io PeerAuthentication: decoding (v1 and v1beta1) and Istio's validation,
// each rejection at its field path.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "config/kind_registry.h"
#include "config/yaml_parser.h"
#include "istio_crds.h"

namespace zmesh::config {
namespace {

using state::MtlsMode;

std::vector<DecodedObject> parse(const std::string& yaml) {
  auto parsed = parse_yaml(yaml, "pa.yaml", "/cfg/pa.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : std::vector<DecodedObject>{};
}

// A copy: callers pass the temporary result of parse().
state::PeerAuthentication only(const std::vector<DecodedObject>& objects) {
  EXPECT_EQ(objects.size(), 1u);
  if (objects.size() != 1 || !objects[0].object) {
    ADD_FAILURE() << (objects.empty() ? "no object" : objects[0].error);
    return {};
  }
  return std::get<state::PeerAuthentication>(*objects[0].object);
}

// A PeerAuthentication shop/web with `spec` (indented two spaces) and `version`.
std::string pa(const std::string& spec, const std::string& version = "v1",
               const std::string& metadata_extra = "") {
  return "apiVersion: security.istio.io/" + version +
         "\nkind: PeerAuthentication\nmetadata:\n  name: web\n  namespace: shop\n" +
         metadata_extra + (spec.empty() ? "" : "spec:\n" + spec);
}

TEST(PeerAuthenticationDecode, WorkloadPolicyWithIntAndStringPortKeys) {
  const auto& p =
      only(parse(pa("  selector:\n    matchLabels: {app: web}\n"
                    "  mtls: {mode: STRICT, futureField: 1}\n"
                    "  portLevelMtls:\n"
                    "    8080: {mode: DISABLE}\n"
                    "    \"9090\": {mode: PERMISSIVE}\n"
                    "    9091: {}\n"
                    "    9092: {mode: UNSET}\n"
                    "  unknownField: ignored\n",
                    "v1", "  creationTimestamp: \"2024-05-01T12:00:00Z\"\n")));
  EXPECT_EQ(p.meta.name, "web");
  EXPECT_EQ(p.meta.namespace_, "shop");
  ASSERT_TRUE(p.selector.has_value());
  EXPECT_EQ(*p.selector, (state::Labels{{"app", "web"}}));
  EXPECT_EQ(p.mode, MtlsMode::kStrict);
  std::map<uint32_t, MtlsMode> expected = {{8080, MtlsMode::kDisable},
                                           {9090, MtlsMode::kPermissive},
                                           {9091, MtlsMode::kUnset},  // CRD: mode is optional
                                           {9092, MtlsMode::kUnset}};
  EXPECT_EQ(p.port_level, expected);
  ASSERT_TRUE(p.meta.creation_timestamp.has_value());
  EXPECT_EQ(state::format_rfc3339(*p.meta.creation_timestamp), "2024-05-01T12:00:00Z");
}

TEST(PeerAuthenticationDecode, V1beta1IsAccepted) {
  const auto& p = only(parse(pa("  mtls:\n    mode: PERMISSIVE\n", "v1beta1")));
  EXPECT_EQ(p.mode, MtlsMode::kPermissive);
  EXPECT_FALSE(p.selector.has_value());
}

TEST(PeerAuthenticationDecode, KeyIsKindNamespaceName) {
  auto objects = parse(pa("  mtls: {mode: DISABLE}\n"));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].key, (ObjectKey{"PeerAuthentication", "shop", "web"}));
}

TEST(PeerAuthenticationDecode, DefaultsAreUnset) {
  EXPECT_EQ(only(parse(pa(""))).mode, MtlsMode::kUnset);  // no spec at all
  EXPECT_EQ(only(parse(pa("  mtls: {}\n"))).mode, MtlsMode::kUnset);
  EXPECT_EQ(only(parse(pa("  selector: {matchLabels: {app: web}}\n"))).mode, MtlsMode::kUnset);
  const auto& p = only(parse(pa("  {}\n")));
  EXPECT_EQ(p.mode, MtlsMode::kUnset);
  EXPECT_FALSE(p.selector.has_value());
  EXPECT_TRUE(p.port_level.empty());
  EXPECT_FALSE(p.meta.creation_timestamp.has_value());
}

TEST(PeerAuthenticationDecode, EmptySelectorIsKeptAsEmpty) {
  const auto& p = only(parse(pa("  selector: {}\n  mtls: {mode: STRICT}\n")));
  ASSERT_TRUE(p.selector.has_value());
  EXPECT_TRUE(p.selector->empty());
}

TEST(PeerAuthenticationDecode, NullCreationTimestampIsAbsent) {
  const auto& p = only(parse(pa("  mtls: {mode: STRICT}\n", "v1", "  creationTimestamp: null\n")));
  EXPECT_FALSE(p.meta.creation_timestamp.has_value());
}

TEST(PeerAuthenticationDecode, UnquotedTimestampWithOffset) {
  const auto& p = only(parse(pa("", "v1", "  creationTimestamp: 2024-05-01T14:00:00+02:00\n")));
  ASSERT_TRUE(p.meta.creation_timestamp.has_value());
  EXPECT_EQ(state::format_rfc3339(*p.meta.creation_timestamp), "2024-05-01T12:00:00Z");
}

TEST(PeerAuthenticationDecode, OtherGroupIsIgnored) {
  EXPECT_TRUE(parse("apiVersion: networking.istio.io/v1\nkind: PeerAuthentication\n"
                    "metadata: {name: web}\n")
                  .empty());
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // exact message
};

const std::string kE = "pa.yaml: PeerAuthentication shop/web: ";
const std::string kWorkload = "  selector:\n    matchLabels: {app: web}\n";
const std::string kKeyError = "key must be a port number 1-65535";
const std::string kModes = " is not a valid mode (UNSET, DISABLE, PERMISSIVE or STRICT)";

std::vector<BadCase> bad_cases() {
  return {
      {"UnsupportedVersion", pa("  mtls: {mode: STRICT}\n", "v1alpha1"),
       kE + "apiVersion: \"security.istio.io/v1alpha1\" is not a supported version of "
            "PeerAuthentication"},
      {"ModeUnknown", pa("  mtls: {mode: MUTUAL}\n"), kE + "spec.mtls.mode: \"MUTUAL\"" + kModes},
      {"ModeLowercase", pa("  mtls: {mode: strict}\n"), kE + "spec.mtls.mode: \"strict\"" + kModes},
      {"ModeEmpty", pa("  mtls: {mode: \"\"}\n"), kE + "spec.mtls.mode: \"\"" + kModes},
      {"ModeNumber", pa("  mtls: {mode: 3}\n"),
       kE + "spec.mtls.mode: must be a string, got a number 3 (quote it)"},
      {"MtlsNotAnObject", pa("  mtls: STRICT\n"),
       kE + "spec.mtls: must be an object, got a string \"STRICT\""},
      {"SpecNotAnObject", pa("  - mtls\n"), kE + "spec: must be an object, got a list"},
      {"PortZero", pa(kWorkload + "  portLevelMtls:\n    0: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls[0]: " + kKeyError},
      {"PortTooLarge", pa(kWorkload + "  portLevelMtls:\n    65536: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls[65536]: " + kKeyError},
      {"PortQuotedZero", pa(kWorkload + "  portLevelMtls:\n    \"0\": {mode: STRICT}\n"),
       kE + "spec.portLevelMtls[0]: " + kKeyError},
      {"PortNegative", pa(kWorkload + "  portLevelMtls:\n    -1: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls[-1]: " + kKeyError},
      {"PortName", pa(kWorkload + "  portLevelMtls:\n    http: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls[http]: " + kKeyError},
      {"PortHuge", pa(kWorkload + "  portLevelMtls:\n    99999999999: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls[99999999999]: " + kKeyError},
      {"PortKeyAList", pa(kWorkload + "  portLevelMtls:\n    ? [80]\n    : {mode: STRICT}\n"),
       kE + "spec.portLevelMtls: keys must be port numbers, got a list"},
      {"PortDuplicate",
       pa(kWorkload +
          "  portLevelMtls:\n    8080: {mode: STRICT}\n    \"08080\": {mode: DISABLE}\n"),
       kE + "spec.portLevelMtls[08080]: duplicate port 8080"},
      {"PortModeBoolean", pa(kWorkload + "  portLevelMtls:\n    8080: {mode: OFF}\n"),
       kE + "spec.portLevelMtls[8080].mode: must be a string, got a boolean OFF (quote it)"},
      {"PortModeInvalid", pa(kWorkload + "  portLevelMtls:\n    8080: {mode: NONE}\n"),
       kE + "spec.portLevelMtls[8080].mode: \"NONE\"" + kModes},
      {"PortValueNull", pa(kWorkload + "  portLevelMtls:\n    8080:\n"),
       kE + "spec.portLevelMtls[8080]: must be an object, got null"},
      {"PortValueAString", pa(kWorkload + "  portLevelMtls:\n    8080: STRICT\n"),
       kE + "spec.portLevelMtls[8080]: must be an object, got a string \"STRICT\""},
      {"PortLevelEmpty", pa(kWorkload + "  portLevelMtls: {}\n"),
       kE + "spec.portLevelMtls: must list at least one port"},
      {"PortLevelAList", pa(kWorkload + "  portLevelMtls: [8080]\n"),
       kE + "spec.portLevelMtls: must be an object, got a list"},
      {"PortLevelWithoutSelector", pa("  portLevelMtls:\n    8080: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls: requires spec.selector.matchLabels: a mesh or namespace policy "
            "cannot have port-level mTLS"},
      {"PortLevelWithEmptySelector",
       pa("  selector: {matchLabels: {}}\n  portLevelMtls:\n    8080: {mode: STRICT}\n"),
       kE + "spec.portLevelMtls: requires spec.selector.matchLabels: a mesh or namespace policy "
            "cannot have port-level mTLS"},
      {"SelectorValueWildcard", pa("  selector:\n    matchLabels: {app: \"*\"}\n"),
       kE + "spec.selector.matchLabels[app]: \"*\" must be empty or consist of alphanumerics, "
            "'-', '_' or '.', starting and ending with an alphanumeric character"},
      {"SelectorKeyWildcard", pa("  selector:\n    matchLabels: {\"app*\": web}\n"),
       kE + "spec.selector.matchLabels[app*]: \"app*\" must be a qualified name (alphanumerics, "
            "'-', '_' or '.', starting and ending with an alphanumeric character, with an "
            "optional DNS subdomain prefix and '/')"},
      {"SelectorKeyEmpty", pa("  selector:\n    matchLabels: {\"\": web}\n"),
       kE + "spec.selector.matchLabels[]: \"\" must be a qualified name (alphanumerics, '-', '_' "
            "or '.', starting and ending with an alphanumeric character, with an optional DNS "
            "subdomain prefix and '/')"},
      {"SelectorValueNumber", pa("  selector:\n    matchLabels: {version: 2}\n"),
       kE + "spec.selector.matchLabels[version]: must be a string, got a number 2 (quote it)"},
      {"SelectorAList", pa("  selector: [app]\n"),
       kE + "spec.selector: must be an object, got a list"},
      {"MatchLabelsAList", pa("  selector:\n    matchLabels: [app]\n"),
       kE + "spec.selector.matchLabels: must be an object, got a list"},
      {"CreationTimestamp", pa("", "v1", "  creationTimestamp: yesterday\n"),
       kE + "metadata.creationTimestamp: \"yesterday\" is not an RFC 3339 time (like "
            "\"2024-05-01T12:00:00Z\")"},
      {"CreationTimestampNoZone", pa("", "v1", "  creationTimestamp: 2024-05-01T12:00:00\n"),
       kE + "metadata.creationTimestamp: \"2024-05-01T12:00:00\" is not an RFC 3339 time (like "
            "\"2024-05-01T12:00:00Z\")"},
      {"NameNotASubdomain",
       "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
       "metadata: {name: Web_Policy, namespace: shop}\n",
       "pa.yaml: PeerAuthentication shop/Web_Policy: metadata.name: \"Web_Policy\" must be a "
       "lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', starting and ending with an "
       "alphanumeric character, at most 253 characters)"},
      {"SeveralErrorsJoined", pa("  mtls: {mode: ON}\n  portLevelMtls: {x: {}}\n"),
       kE +
           "spec.mtls.mode: must be a string, got a boolean ON (quote it); "
           "spec.portLevelMtls[x]: " +
           kKeyError +
           "; spec.portLevelMtls: requires spec.selector.matchLabels: a mesh or namespace "
           "policy cannot have port-level mTLS"},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadPeerAuthentication : public testing::TestWithParam<BadCase> {};

TEST_P(BadPeerAuthentication, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto objects = parse(c.yaml);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object, nullptr);
  EXPECT_EQ(objects[0].error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadPeerAuthentication, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PeerAuthenticationDecode, InvalidPolicyIsRejectedAlone) {
  auto objects = parse(pa("  mtls: {mode: STRICT}\n") + "---\n" +
                       "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
                       "metadata: {name: bad, namespace: shop}\nspec: {mtls: {mode: strict}}\n");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_NE(objects[0].object, nullptr);
  EXPECT_EQ(objects[1].object, nullptr);
  EXPECT_EQ(objects[1].key, (ObjectKey{"PeerAuthentication", "shop", "bad"}));
  EXPECT_EQ(objects[1].error,
            "pa.yaml: PeerAuthentication shop/bad: spec.mtls.mode: \"strict\"" + kModes);
}

// Istio's own CRD (shared read-only test data): every served version is registered, and
// both mode enums are exactly the modes the decoder accepts.
TEST(PeerAuthenticationCrd, MatchesIstiosDefinition) {
  const auto crds = zmesh::test_data::istio_crds();
  ZMESH_SKIP_OR_FAIL_WITHOUT(crds);
  const std::string& path = crds.path;
  YAML::Node crd;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    if (doc["metadata"]["name"].as<std::string>("") == "peerauthentications.security.istio.io") {
      crd = doc;
    }
  }
  ASSERT_TRUE(crd) << "PeerAuthentication CRD not found";
  const KindInfo* info = find_kind("security.istio.io", "PeerAuthentication");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->namespaced);
  EXPECT_EQ(crd["spec"]["scope"].as<std::string>(), "Namespaced");

  std::vector<std::string> served;
  for (const auto& version : crd["spec"]["versions"]) {
    if (!version["served"].as<bool>()) continue;
    std::string name = version["name"].as<std::string>();
    served.push_back(name);
    SCOPED_TRACE(name);
    YAML::Node spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    for (const YAML::Node& mode :
         {spec["mtls"]["properties"]["mode"],
          spec["portLevelMtls"]["additionalProperties"]["properties"]["mode"]}) {
      std::vector<std::string> modes;
      for (const auto& m : mode["enum"]) {
        modes.push_back(m.as<std::string>());
        EXPECT_TRUE(state::parse_mtls_mode(modes.back()).has_value()) << modes.back();
      }
      EXPECT_EQ(modes, (std::vector<std::string>{"UNSET", "DISABLE", "PERMISSIVE", "STRICT"}));
    }
  }
  std::vector<std::string> registered(info->versions.begin(), info->versions.end());
  std::sort(served.begin(), served.end());
  std::sort(registered.begin(), registered.end());
  EXPECT_EQ(served, registered);
}

}  // namespace
}  // namespace zmesh::config
