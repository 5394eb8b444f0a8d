// Label rendering for the Prometheus text exposition format (version 0.0.4).
#include <array>
#include <initializer_list>
#include <utility>

#include "telemetry/metrics.h"

namespace zmesh::telemetry {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {
using Label = std::pair<const char*, const std::string*>;

// Istio's names, in the order its dashboards are used to seeing.
std::array<Label, 21> common_labels(const TcpLabels& l) {
  return {{
      {"reporter", &l.reporter},
      {"source_workload", &l.source_workload},
      {"source_workload_namespace", &l.source_workload_namespace},
      {"source_principal", &l.source_principal},
      {"source_app", &l.source_app},
      {"source_version", &l.source_version},
      {"source_canonical_service", &l.source_canonical_service},
      {"source_canonical_revision", &l.source_canonical_revision},
      {"source_cluster", &l.source_cluster},
      {"destination_workload", &l.destination_workload},
      {"destination_workload_namespace", &l.destination_workload_namespace},
      {"destination_principal", &l.destination_principal},
      {"destination_app", &l.destination_app},
      {"destination_version", &l.destination_version},
      {"destination_service", &l.destination_service},
      {"destination_service_name", &l.destination_service_name},
      {"destination_service_namespace", &l.destination_service_namespace},
      {"destination_canonical_service", &l.destination_canonical_service},
      {"destination_canonical_revision", &l.destination_canonical_revision},
      {"destination_cluster", &l.destination_cluster},
      {"request_protocol", &l.request_protocol},
  }};
}

// The common labels, then `tail`; an empty value is written "unknown", as Istio does.
std::string render(const TcpLabels& common, std::initializer_list<Label> tail) {
  std::string out = "{";
  auto add = [&out](const Label& label) {
    if (out.size() > 1) out += ',';
    out += label.first;
    out += "=\"";
    out += label.second->empty() ? std::string("unknown") : escape_label_value(*label.second);
    out += '"';
  };
  for (const auto& label : common_labels(common)) add(label);
  for (const auto& label : tail) add(label);
  out += '}';
  return out;
}

}  // namespace

std::string render_http_labels(const HttpLabels& h) {
  const TcpLabels& l = h.common;
  return render(l, {{"response_code", &h.response_code},
                    {"grpc_response_status", &h.grpc_response_status},
                    {"response_flags", &l.response_flags},
                    {"connection_security_policy", &l.connection_security_policy}});
}

std::string render_tcp_labels(const TcpLabels& l) {
  return render(l, {{"response_flags", &l.response_flags},
                    {"connection_security_policy", &l.connection_security_policy}});
}

}  // namespace zmesh::telemetry
