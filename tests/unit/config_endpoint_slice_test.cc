// discovery.k8s.io/v1 EndpointSlice: decoding into typed endpoints and ports, the API
// server's validation with each rejection at its field path, and the config_dump form.
#include <gtest/gtest.h>

#include "config/kind_registry.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

using state::EndpointAddressType;

std::vector<DecodedObject> parse(const std::string& yaml) {
  auto parsed = parse_yaml(yaml, "es.yaml", "/cfg/es.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : std::vector<DecodedObject>{};
}

state::EndpointSlice only(const std::vector<DecodedObject>& objects) {
  EXPECT_EQ(objects.size(), 1u);
  if (objects.size() != 1 || !objects[0].object) {
    ADD_FAILURE() << (objects.empty() ? "no object" : objects[0].error);
    return {};
  }
  return std::get<state::EndpointSlice>(*objects[0].object);
}

// An EndpointSlice shop/web-abc of Service web; `body` follows metadata (top-level fields).
std::string es(const std::string& body) {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-abc\n"
         "  namespace: shop\n  labels:\n    kubernetes.io/service-name: web\n" +
         body;
}

TEST(EndpointSliceDecode, EveryField) {
  const auto s = only(parse(es(R"(addressType: IPv4
endpoints:
- addresses: ["10.0.0.5", "10.0.0.6"]
  conditions: {ready: true, serving: true, terminating: false}
  hostname: web-0
  nodeName: node-1.example
  zone: zone-a
  targetRef: {kind: Pod, namespace: shop, name: web-0, uid: 1234-abcd}
- addresses: ["10.0.0.7"]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: ["10.0.0.8"]
ports:
- {name: http, protocol: TCP, port: 8080, appProtocol: http}
- {name: dns, protocol: UDP, port: 53}
- {name: "", port: null}
)")));
  EXPECT_EQ(s.service_name(), "web");
  EXPECT_EQ(s.address_type, EndpointAddressType::kIPv4);
  ASSERT_EQ(s.endpoints.size(), 3u);
  const auto& e = s.endpoints[0];
  EXPECT_EQ(e.addresses, (std::vector<std::string>{"10.0.0.5", "10.0.0.6"}));
  ASSERT_EQ(e.ips.size(), 2u);
  EXPECT_EQ(e.ips[1].to_string(), "10.0.0.6");
  EXPECT_TRUE(e.conditions.is_ready());
  EXPECT_FALSE(e.conditions.is_terminating());
  EXPECT_EQ(e.hostname, "web-0");
  EXPECT_EQ(e.node_name, "node-1.example");
  EXPECT_EQ(e.zone, "zone-a");
  ASSERT_TRUE(e.target_ref.has_value());
  EXPECT_EQ(e.target_ref->kind, "Pod");
  EXPECT_EQ(e.target_ref->namespace_, "shop");
  EXPECT_EQ(e.target_ref->name, "web-0");
  EXPECT_EQ(e.target_ref->uid, "1234-abcd");
  EXPECT_FALSE(s.endpoints[1].conditions.is_ready());
  EXPECT_TRUE(s.endpoints[1].conditions.is_serving());
  EXPECT_TRUE(s.endpoints[1].conditions.is_terminating());
  // Unset conditions keep their documented meaning: ready and serving, not terminating.
  EXPECT_FALSE(s.endpoints[2].conditions.ready.has_value());
  EXPECT_TRUE(s.endpoints[2].conditions.is_ready());
  EXPECT_TRUE(s.endpoints[2].conditions.is_serving());
  EXPECT_FALSE(s.endpoints[2].conditions.is_terminating());
  ASSERT_EQ(s.ports.size(), 3u);
  EXPECT_EQ(s.ports[0].name, "http");
  EXPECT_EQ(s.ports[0].port, 8080);
  EXPECT_EQ(s.ports[0].app_protocol, "http");
  EXPECT_EQ(s.ports[1].protocol, "UDP");
  EXPECT_EQ(s.ports[2].protocol, "TCP");  // the default
  EXPECT_FALSE(s.ports[2].port.has_value());
}

TEST(EndpointSliceDecode, Ipv6AndFqdn) {
  const auto v6 = only(parse(es("addressType: IPv6\nendpoints:\n- addresses: [\"fd00::5\"]\n")));
  ASSERT_EQ(v6.endpoints.size(), 1u);
  EXPECT_TRUE(v6.endpoints[0].ips[0].is_v6());
  const auto fqdn =
      only(parse(es("addressType: FQDN\nendpoints:\n- addresses: [db.example.com.]\n")));
  EXPECT_EQ(fqdn.address_type, EndpointAddressType::kFqdn);
  EXPECT_EQ(fqdn.endpoints[0].addresses, std::vector<std::string>{"db.example.com."});
  EXPECT_TRUE(fqdn.endpoints[0].ips.empty());
  // No endpoints at all: a Service without ready pods.
  EXPECT_TRUE(only(parse(es("addressType: IPv4\nendpoints: []\n"))).endpoints.empty());
}

TEST(EndpointSliceDecode, ConfigDumpUsesTheYamlNames) {
  const auto s =
      only(parse(es("addressType: IPv4\nendpoints:\n"
                    "- {addresses: [\"10.0.0.5\"], conditions: {ready: true}, "
                    "nodeName: n1, targetRef: {kind: Pod, name: web-0}}\n"
                    "ports: [{name: http, port: 80}]\n")));
  nlohmann::json j = s;
  EXPECT_EQ(j, nlohmann::json::parse(R"({
    "name": "web-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"},
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": true}, "nodeName": "n1",
                   "targetRef": {"kind": "Pod", "name": "web-0"}}],
    "ports": [{"name": "http", "protocol": "TCP", "port": 80}]})"));
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // exact message
};

const std::string kE = "es.yaml: EndpointSlice shop/web-abc: ";

std::string v4(const std::string& addresses) {
  return es("addressType: IPv4\nendpoints:\n- addresses: [" + addresses + "]\n");
}

std::vector<BadCase> bad_cases() {
  return {
      {"AddressTypeMissing", es("endpoints: []\n"), kE + "addressType: required"},
      {"AddressTypeUnknown", es("addressType: IP\n"),
       kE + "addressType: \"IP\" is not a supported address type (IPv4, IPv6 or FQDN)"},
      {"Ipv6InIpv4Slice", v4("\"fd00::1\""),
       kE + "endpoints[0].addresses[0]: \"fd00::1\" must be a valid IPv4 address"},
      {"Ipv4InIpv6Slice", es("addressType: IPv6\nendpoints:\n- addresses: [\"10.0.0.1\"]\n"),
       kE + "endpoints[0].addresses[0]: \"10.0.0.1\" must be a valid IPv6 address"},
      {"NotAnAddress", v4("\"10.0.0.256\""),
       kE + "endpoints[0].addresses[0]: \"10.0.0.256\" must be a valid IPv4 address"},
      {"Loopback", v4("\"127.0.0.1\""),
       kE + "endpoints[0].addresses[0]: may not be in the loopback range (127.0.0.0/8, ::1/128)"},
      {"LinkLocal", v4("\"169.254.1.1\""),
       kE + "endpoints[0].addresses[0]: may not be in the link-local range (169.254.0.0/16)"},
      {"Unspecified", v4("\"0.0.0.0\""),
       kE + "endpoints[0].addresses[0]: may not be unspecified (0.0.0.0 or ::)"},
      {"NoAddresses", v4(""), kE + "endpoints[0].addresses: must contain at least 1 address"},
      {"AddressesMissing", es("addressType: IPv4\nendpoints:\n- nodeName: n1\n"),
       kE + "endpoints[0].addresses: must contain at least 1 address"},
      {"FqdnSingleLabel", es("addressType: FQDN\nendpoints:\n- addresses: [db]\n"),
       kE + "endpoints[0].addresses[0]: \"db\" must be a domain with at least two segments "
            "separated by dots"},
      {"HostnameNotALabel",
       es("addressType: IPv4\nendpoints:\n- {addresses: [\"10.0.0.1\"], hostname: web.0}\n"),
       kE + "endpoints[0].hostname: \"web.0\" must be a lowercase RFC 1123 label (a-z, 0-9 and "
            "'-', starting and ending with an alphanumeric character)"},
      {"NodeNameInvalid",
       es("addressType: IPv4\nendpoints:\n- {addresses: [\"10.0.0.1\"], nodeName: Node_1}\n"),
       kE + "endpoints[0].nodeName: \"Node_1\" must be a lowercase RFC 1123 subdomain (a-z, 0-9, "
            "'-' and '.', starting and ending with an alphanumeric character, at most 253 "
            "characters)"},
      {"ConditionNotABoolean",
       es("addressType: IPv4\nendpoints:\n- {addresses: [\"10.0.0.1\"], conditions: {ready: "
          "\"yes\"}}\n"),
       kE + "endpoints[0].conditions.ready: must be a boolean, got a string \"yes\""},
      {"PortZero", es("addressType: IPv4\nports: [{name: http, port: 0}]\n"),
       kE + "ports[0].port: must be 1-65535"},
      {"PortTooLarge", es("addressType: IPv4\nports: [{name: http, port: 65536}]\n"),
       kE + "ports[0].port: must be 1-65535"},
      {"PortProtocol", es("addressType: IPv4\nports: [{name: http, port: 80, protocol: HTTP}]\n"),
       kE + "ports[0].protocol: \"HTTP\" is not a supported protocol (TCP, UDP or SCTP)"},
      {"PortNameDuplicate",
       es("addressType: IPv4\nports: [{name: http, port: 80}, {name: http, port: 81}]\n"),
       kE + "ports[1].name: duplicate port name \"http\""},
      {"PortNameInvalid", es("addressType: IPv4\nports: [{name: HTTP, port: 80}]\n"),
       kE + "ports[0].name: \"HTTP\" must be a lowercase RFC 1123 label (a-z, 0-9 and '-', "
            "starting and ending with an alphanumeric character)"},
  };
}

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class BadEndpointSlice : public testing::TestWithParam<BadCase> {};

TEST_P(BadEndpointSlice, RejectedWithFieldPath) {
  const BadCase& c = GetParam();
  auto objects = parse(c.yaml);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].object, nullptr);
  EXPECT_EQ(objects[0].error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, BadEndpointSlice, testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace zmesh::config
