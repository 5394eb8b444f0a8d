// Kubernetes' value rules (k8s.io/apimachinery/pkg/util/validation), each returning the
// problem as a message ("" when valid) so callers attach it to a field path.
#pragma once

#include <optional>
#include <string>

#include "state/model.h"

namespace zmesh::config {

std::string dns1123_label_error(const std::string& value);      // namespaces, port names
std::string dns1123_subdomain_error(const std::string& value);  // pods, service accounts
std::string dns1035_label_error(const std::string& value);      // services
std::string iana_svc_name_error(const std::string& value);      // container port names
std::string qualified_name_error(const std::string& value);     // label/annotation keys
std::string label_value_error(const std::string& value);
std::string protocol_error(const std::string& value);  // TCP, UDP or SCTP

std::optional<state::IpAddress> parse_ip(const std::string& value);

}  // namespace zmesh::config
