// Invalid objects: each is rejected alone with an error naming file, kind, namespace/name
// and the field path. Wrong YAML types never throw.
#include <gtest/gtest.h>

#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // exact message
};

std::string pod(const std::string& rest) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n" + rest;
}
std::string service(const std::string& spec) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: ns\nspec:\n" + spec;
}

const std::string kP = "pods.yaml: Pod default/web-1: ";
const std::string kS = "pods.yaml: Service ns/api: ";

std::vector<BadCase> bad_cases() {
  return {
      {"PodIpNotAnIp", pod("status:\n  podIP: 10.0.0.x\n"),
       kP + "status.podIP: \"10.0.0.x\" is not an IP address"},
      {"PodIpsItemNotAnIp", pod("status:\n  podIPs: [{ip: 10.0.0.1}, {ip: \"::g\"}]\n"),
       kP + "status.podIPs[1].ip: \"::g\" is not an IP address"},
      {"ServicePortRange",
       service("  ports:\n  - {name: a, port: 80}\n  - {name: b, port: 70000}\n"),
       kS + "spec.ports[1].port: must be 1-65535"},
      {"ServicePortRequired", service("  ports:\n  - {targetPort: 80}\n"),
       kS + "spec.ports[0].port: required"},
      {"ServicePortQuoted", service("  ports:\n  - {port: \"80\"}\n"),
       kS + "spec.ports[0].port: must be an integer, got a string \"80\""},
      {"ContainerPortZero",
       pod("spec:\n  containers:\n  - name: app\n    ports:\n    - containerPort: 0\n"),
       kP + "spec.containers[0].ports[0].containerPort: must be 1-65535"},
      {"ContainerPortName",
       pod("spec:\n  containers:\n  - ports:\n    - {name: http_port, containerPort: 80}\n"),
       kP + "spec.containers[0].ports[0].name: \"http_port\" must contain only a-z, 0-9 and "
            "'-', starting and ending with a-z or 0-9"},
      {"Protocol", service("  ports:\n  - {port: 80, protocol: HTTP}\n"),
       kS + "spec.ports[0].protocol: \"HTTP\" is not a supported protocol (TCP, UDP or SCTP)"},
      {"TargetPortRange", service("  ports:\n  - {port: 80, targetPort: 65536}\n"),
       kS + "spec.ports[0].targetPort: must be 1-65535"},
      {"TargetPortEmptyName", service("  ports:\n  - {port: 80, targetPort: \"\"}\n"),
       kS + "spec.ports[0].targetPort: must be a port number or a non-empty port name"},
      {"TargetPortQuotedNumber", service("  ports:\n  - {port: 80, targetPort: \"8080\"}\n"),
       kS + "spec.ports[0].targetPort: \"8080\" must contain at least one letter (a-z)"},
      {"TargetPortList", service("  ports:\n  - {port: 80, targetPort: [1]}\n"),
       kS + "spec.ports[0].targetPort: must be a port number or name, got a list"},
      {"PortNameRequiredWhenSeveral",
       service("  ports:\n  - {name: a, port: 80}\n  - {port: 81}\n"),
       kS + "spec.ports[1].name: required when a service has more than one port"},
      {"DuplicatePortName", service("  ports:\n  - {name: a, port: 80}\n  - {name: a, port: 81}\n"),
       kS + "spec.ports[1].name: duplicate port name \"a\""},
      {"DuplicatePort", service("  ports:\n  - {name: a, port: 80}\n  - {name: b, port: 80}\n"),
       kS + "spec.ports[1]: duplicate port 80/TCP"},
      {"PortsNotAList", service("  ports: {port: 80}\n"),
       kS + "spec.ports: must be a list, got an object"},
      {"ClusterIp", service("  clusterIP: 10.0.0.300\n"),
       kS + "spec.clusterIP: \"10.0.0.300\" is not an IP address or \"None\""},
      {"ClusterIpsMismatch", service("  clusterIP: 10.0.0.1\n  clusterIPs: [10.0.0.2]\n"),
       kS + "spec.clusterIPs[0]: \"10.0.0.2\" must match spec.clusterIP \"10.0.0.1\""},
      {"SelectorValue", service("  selector: {app: \"a b\"}\n"),
       kS + "spec.selector[app]: \"a b\" must be empty or consist of alphanumerics, '-', '_' "
            "or '.', starting and ending with an alphanumeric character"},
      {"NameRequired", "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {app: x}\n",
       "pods.yaml: Pod default/<unnamed> (document 1): metadata.name: required"},
      {"NameNotDns1123", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\n",
       "pods.yaml: Pod default/Web_1: metadata.name: \"Web_1\" must be a lowercase RFC 1123 "
       "subdomain (a-z, 0-9, '-' and '.', starting and ending with an alphanumeric character, "
       "at most 253 characters)"},
      {"ServiceNameNotDns1035", "apiVersion: v1\nkind: Service\nmetadata:\n  name: 1api\n",
       "pods.yaml: Service default/1api: metadata.name: \"1api\" must be a lowercase RFC 1035 "
       "label (a-z, 0-9 and '-', starting with a letter and ending with an alphanumeric "
       "character)"},
      {"NamespaceNameTooLong",
       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + std::string(64, 'a') + "\n",
       "pods.yaml: Namespace " + std::string(64, 'a') + ": metadata.name: \"" +
           std::string(64, 'a') + "\" must be no more than 63 characters"},
      {"MetadataNamespace", pod("  namespace: Prod\n"),
       "pods.yaml: Pod Prod/web-1: metadata.namespace: \"Prod\" must be a lowercase RFC 1123 "
       "label (a-z, 0-9 and '-', starting and ending with an alphanumeric character)"},
      {"LabelsAList", pod("  labels: [app, web]\n"),
       kP + "metadata.labels: must be an object, got a list"},
      {"LabelValueNumber", pod("  labels:\n    version: 1.0\n"),
       kP + "metadata.labels[version]: must be a string, got a number 1.0 (quote it)"},
      {"LabelValueMap", pod("  labels:\n    app: {name: web}\n"),
       kP + "metadata.labels[app]: must be a string, got an object"},
      {"LabelKey", pod("  labels:\n    bad key: x\n"),
       kP + "metadata.labels[bad key]: \"bad key\" must be a qualified name (alphanumerics, "
            "'-', '_' or '.', starting and ending with an alphanumeric character, with an "
            "optional DNS subdomain prefix and '/')"},
      {"MetadataScalar", "apiVersion: v1\nkind: Pod\nmetadata: web\n",
       "pods.yaml: Pod default/<unnamed> (document 1): metadata: must be an object, got a string "
       "\"web\""},
      {"SpecAList", pod("spec:\n- nodeName: n\n"), kP + "spec: must be an object, got a list"},
      {"ContainersAMap", pod("spec:\n  containers: {name: app}\n"),
       kP + "spec.containers: must be a list, got an object"},
      {"ServiceAccountName", pod("spec:\n  serviceAccountName: Web SA\n"),
       kP + "spec.serviceAccountName: \"Web SA\" must be a lowercase RFC 1123 subdomain (a-z, "
            "0-9, '-' and '.', starting and ending with an alphanumeric character, at most 253 "
            "characters)"},
      {"HostNetworkNotBool", pod("spec:\n  hostNetwork: sure\n"),
       kP + "spec.hostNetwork: must be a boolean, got a string \"sure\""},
      {"Phase", pod("status:\n  phase: Runing\n"),
       kP + "status.phase: \"Runing\" is not a pod phase (Pending, Running, Succeeded, Failed, "
            "Unknown)"},
      {"ReadyStatusBool", pod("status:\n  conditions: [{type: Ready, status: yes}]\n"),
       kP + "status.conditions[0].status: must be a string, got a boolean yes (quote it)"},
      {"SeveralErrorsJoined", pod("spec:\n  nodeName: [a]\nstatus:\n  podIP: x\n"),
       kP + "spec.nodeName: must be a string, got a list; status.podIP: \"x\" is not an IP "
            "address"},
      {"KindMissing", "apiVersion: v1\nmetadata: {name: x}\n",
       "pods.yaml: document 1: kind: required"},
      {"KindNotAString", "apiVersion: v1\nkind: [Pod]\n",
       "pods.yaml: document 1: kind: must be a string, got a list"},
      {"DocumentAList", "- apiVersion: v1\n  kind: Pod\n",
       "pods.yaml: document 1: must be a Kubernetes object (a map with apiVersion and kind), got "
       "a list"},
      {"DocumentAScalar", "---\nhello\n",
       "pods.yaml: document 1: must be a Kubernetes object (a map with apiVersion and kind), got "
       "a string \"hello\""},
      {"UnsupportedVersion", "apiVersion: v2\nkind: Pod\nmetadata: {name: web-1}\n",
       kP + "apiVersion: \"v2\" is not a supported version of Pod"},
      {"CreationTimestamp", pod("  creationTimestamp: 2024-02-30T00:00:00Z\n"),
       kP + "metadata.creationTimestamp: \"2024-02-30T00:00:00Z\" is not an RFC 3339 time (like "
            "\"2024-05-01T12:00:00Z\")"},
      {"CreationTimestampNumber", pod("  creationTimestamp: 1714564800\n"),
       kP + "metadata.creationTimestamp: must be a string, got a number 1714564800 (quote it)"},
      {"ListItemsNotAList", "apiVersion: v1\nkind: List\nitems: {a: b}\n",
       "pods.yaml: document 1: items: must be a list, got an object"},
      {"ListItemInvalid",
       "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {}}\n",
       "pods.yaml: Pod default/<unnamed> (document 1, items[0]): metadata.name: required"},
  };
}

class BadYaml : public testing::TestWithParam<BadCase> {};

TEST_P(BadYaml, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto parsed = parse_yaml(c.yaml, "pods.yaml", "/cfg/pods.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 1u);
  const DecodedObject& d = parsed->front();
  EXPECT_EQ(d.object, nullptr);
  EXPECT_EQ(d.error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadYaml, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Validation, InvalidObjectIsRejectedAloneInItsFile) {
  auto parsed = parse_yaml(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nstatus: {podIP: nope}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n",
      "pods.yaml", "x");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_NE((*parsed)[0].object, nullptr);
  EXPECT_EQ((*parsed)[1].object, nullptr);
  EXPECT_EQ((*parsed)[1].key, (ObjectKey{"Pod", "default", "b"}));  // for last-good lookup
  EXPECT_EQ((*parsed)[1].error,
            "pods.yaml: Pod default/b: status.podIP: \"nope\" is not an IP address");
  EXPECT_NE((*parsed)[2].object, nullptr);
}

// Every node type in every position: errors, never exceptions.
TEST(Validation, ArbitraryShapesNeverThrow) {
  const std::vector<std::string> shapes = {"",     "x",    "1",        "[1, 2]", "{a: b}",
                                           "null", "[[]]", "{a: [1]}", "true",   "\"\""};
  const std::vector<std::string> templates = {
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: @}\nspec: @\nstatus: @\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: @}\nspec: {containers: @}\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: @}]}\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{ports: [@]}]}\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIPs: @, conditions: @}\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIPs: [@], conditions: [@]}\n",
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: @, selector: @}\n",
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [@], clusterIPs: @}\n",
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: @, name: @}]}\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, creationTimestamp: @}\n",
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
      "spec: @\n",
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
      "spec: {selector: @, mtls: @, portLevelMtls: @}\n",
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
      "spec: {selector: {matchLabels: @}, mtls: {mode: @}, portLevelMtls: {@: @}}\n",
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
      "spec: {selector: {matchLabels: {a: b}}, portLevelMtls: {80: {mode: @}, 81: [@]}}\n",
      "apiVersion: @\nkind: @\nmetadata: @\n",
      "apiVersion: v1\nkind: List\nitems: @\n",
      "apiVersion: v1\nkind: List\nitems: [@]\n",
  };
  for (const auto& t : templates) {
    for (const auto& shape : shapes) {
      std::string yaml = t;
      for (size_t at; (at = yaml.find('@')) != std::string::npos;) yaml.replace(at, 1, shape);
      SCOPED_TRACE(yaml);
      Result<std::vector<DecodedObject>> parsed = make_error("not run");
      EXPECT_NO_THROW(parsed = parse_yaml(yaml, "f.yaml", "f"));
      if (!parsed.ok()) continue;  // not YAML: a file-level error, also fine
      for (const auto& d : *parsed) {
        // Every wrong shape is caught by a type check, not by the decoder's safety net.
        EXPECT_EQ(d.error.find("internal error"), std::string::npos) << d.error;
      }
    }
  }
}

}  // namespace
}  // namespace zmesh::config
