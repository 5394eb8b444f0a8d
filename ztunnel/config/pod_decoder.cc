#include <algorithm>

#include "config/kind_decoders.h"
#include "config/port_fields.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

void decode_container_ports(const FieldReader& container, std::vector<state::ContainerPort>& out) {
  if (!container.is_map()) return;
  container.field("ports").each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    state::ContainerPort port;
    FieldReader name = item.field("name");
    port.name = name.string().value_or("");
    if (!port.name.empty()) {
      if (auto err = iana_svc_name_error(port.name); !err.empty()) name.error(err);
    }
    port.port = read_port(item.field("containerPort"), true).value_or(0);
    port.protocol = read_protocol(item.field("protocol"));
    out.push_back(std::move(port));
  });
}

void add_ip(const FieldReader& field, std::vector<state::IpAddress>& ips) {
  auto text = field.string();
  if (!text || text->empty()) return;
  auto ip = parse_ip(*text);
  if (!ip) {
    field.error(quote(*text) + " is not an IP address");
  } else if (std::find(ips.begin(), ips.end(), *ip) == ips.end()) {
    ips.push_back(*ip);
  }
}

void decode_spec(const FieldReader& spec, state::Pod& pod) {
  if (!spec.is_map()) return;
  pod.node_name = spec.field("nodeName").string().value_or("");
  pod.host_network = spec.field("hostNetwork").boolean().value_or(false);

  // serviceAccount is the deprecated alias of serviceAccountName.
  FieldReader sa = spec.field("serviceAccountName").present() ? spec.field("serviceAccountName")
                                                              : spec.field("serviceAccount");
  pod.service_account = sa.string().value_or("");
  if (!pod.service_account.empty()) {
    if (auto err = dns1123_subdomain_error(pod.service_account); !err.empty()) sa.error(err);
  }

  spec.field("containers").each([&](const FieldReader& c) {
    decode_container_ports(c, pod.ports);
  });
}

void decode_status(const FieldReader& status, state::Pod& pod) {
  if (!status.is_map()) return;
  add_ip(status.field("podIP"), pod.pod_ips);
  status.field("podIPs").each([&](const FieldReader& item) {
    if (item.is_map()) add_ip(item.field("ip"), pod.pod_ips);
  });

  FieldReader phase = status.field("phase");
  pod.phase = phase.string().value_or("");
  if (!pod.phase.empty() && pod.phase != "Pending" && pod.phase != "Running" &&
      pod.phase != "Succeeded" && pod.phase != "Failed" && pod.phase != "Unknown") {
    phase.error(quote(pod.phase) +
                " is not a pod phase (Pending, Running, Succeeded, Failed, Unknown)");
  }

  status.field("conditions").each([&](const FieldReader& item) {
    if (!item.is_map() || item.field("type").string().value_or("") != "Ready") return;
    FieldReader value = item.field("status");
    auto s = value.string();  // records a wrong type itself
    if (!s) {
      if (!value.present()) value.error("required");
    } else if (*s != "True" && *s != "False" && *s != "Unknown") {
      value.error(quote(*s) + " must be True, False or Unknown");
    }
    pod.ready = s == "True";
  });
}

}  // namespace

Object decode_pod(const FieldReader& root, state::ObjectMeta meta) {
  state::Pod pod;
  pod.meta = std::move(meta);
  decode_spec(root.field("spec"), pod);
  decode_status(root.field("status"), pod);
  if (pod.service_account.empty()) pod.service_account = "default";
  return pod;
}

}  // namespace zmesh::config
