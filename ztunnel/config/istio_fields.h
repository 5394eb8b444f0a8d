// Field readers and value rules shared by the networking.istio.io decoders (VirtualService,
// DestinationRule), following Istio's pkg/config/validation. Each reader records problems at
// the field's path and returns nullopt (or an empty value) for a field it could not accept.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/field_reader.h"
#include "state/istio_common.h"

namespace zmesh::config {

// A Go/protobuf duration string: "1.5s", "100ms", "1h30m", "2us" (a sign and decimal
// fractions allowed; units ns, us, µs, ms, s, m, h). nullopt when malformed or out of range.
std::optional<std::chrono::nanoseconds> parse_istio_duration(std::string_view text);

enum class DurationMin {
  kOneMs,  // Istio's ValidateDuration: >= 1ms (timeouts, delays, intervals)
  kZero,   // >= 0 (tcp idleTimeout and cookie ttl, where 0s has a meaning)
};
// A duration field; always at millisecond precision, as Istio's ValidateDuration requires.
std::optional<state::Duration> read_duration(const FieldReader& field, DurationMin min);

// A number (YAML int or float). Quoted numbers, booleans and NaN/Inf are rejected.
std::optional<double> read_double(const FieldReader& field);

// An integer within [min, max]; "must be >= min" / "must be <= max" otherwise.
std::optional<int64_t> read_int(const FieldReader& field, int64_t min, int64_t max);
std::optional<int32_t> read_int32_non_negative(const FieldReader& field);
std::optional<uint32_t> read_uint32(const FieldReader& field);
// A port number: 1-65535 (0 in a field where 0 means "unset" is read as absent).
std::optional<uint32_t> read_port_number(const FieldReader& field);

// Percent{value}: 0, or within [0.0001, 100] (validatePercentage); errors at `.value`.
std::optional<double> read_percent(const FieldReader& percent);

std::vector<std::string> read_string_list(const FieldReader& field);

// StringMatch: at most one of exact, prefix, regex; a regex must be non-empty, at most 1024
// characters and valid RE2. Empty `{}` reads as nullopt with `*empty` set to true.
std::optional<state::StringMatch> read_string_match(const FieldReader& field, bool* empty);
// "" when `regex` compiles as RE2 (and is at most 1024 characters), else the problem.
std::string re2_error(const std::string& regex);

// Istio's host rules ("" when valid): ValidateWildcardDomain (a wildcard only as the first
// label, "*" alone allowed) and ValidateFQDN (no wildcard).
std::string wildcard_domain_error(const std::string& host);
std::string fqdn_error(const std::string& host);
// Istio's labels.IsDNS1123Label: like Kubernetes' but letters of either case (subset names).
bool istio_dns1123_label(const std::string& value);
// host.Name(a).SubsetOf(b): every name a matches is matched by b.
bool host_subset_of(const std::string& a, const std::string& b);

// exportTo: ".", "*" or namespace names, no duplicates, "*" alone; with a workload selector
// (DestinationRule) only the object's own namespace.
std::vector<std::string> read_export_to(const FieldReader& field, const std::string& namespace_,
                                        bool has_workload_selector);
// gateways: "mesh", "<namespace>/<name>" or a legacy FQDN name.
std::vector<std::string> read_gateway_names(const FieldReader& field);
// destinationSubnets: an IP address or CIDR.
std::vector<std::string> read_subnets(const FieldReader& field);

// Header names ("" when valid): in matches and CORS (ValidateHTTPHeaderName, plus
// pseudo-headers and JWT claim keys in matches), and in header operations.
std::string match_header_name_error(const std::string& name);
std::string cors_header_name_error(const std::string& name);
std::string header_set_name_error(const std::string& name);     // request set/add
std::string header_remove_name_error(const std::string& name);  // remove, response ops

}  // namespace zmesh::config
