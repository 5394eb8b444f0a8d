#include "l7/ext_authz_check.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "l7/route_request.h"

namespace zmesh::l7 {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool any_matches(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return header_pattern_matches(p, name); });
}

std::string_view view_of(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

// Headers of an authorizer's denial that never reach the client as such: the body is
// re-framed for the client's connection.
bool hop_by_hop(std::string_view name) {
  for (std::string_view h : {"host", "content-length", "transfer-encoding", "connection",
                             "keep-alive", "upgrade", "proxy-connection", "te", "trailer"})
    if (iequals(h, name)) return true;
  return false;
}

unsigned status_on_error(const state::ExtAuthzHttpProvider& provider) {
  unsigned status = 0;
  const auto& s = provider.status_on_error;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), status);
  if (ec != std::errc() || end != s.data() + s.size() || status < 100 || status > 599) return 403;
  return status;
}

}  // namespace

bool header_pattern_matches(std::string_view pattern, std::string_view name) {
  if (pattern == "*") return true;
  if (pattern.size() > 1 && pattern.back() == '*') {
    auto prefix = pattern.substr(0, pattern.size() - 1);
    return name.size() >= prefix.size() && iequals(name.substr(0, prefix.size()), prefix);
  }
  if (pattern.size() > 1 && pattern.front() == '*') {
    auto suffix = pattern.substr(1);
    return name.size() >= suffix.size() &&
           iequals(name.substr(name.size() - suffix.size()), suffix);
  }
  return iequals(pattern, name);
}

Request make_check_request(const Request& client, const state::ExtAuthzHttpProvider& provider) {
  Request check;
  check.version(11);
  check.method_string(client.method_string());
  check.target(provider.path_prefix + std::string(view_of(client.target())));
  check.set(http::field::host, client[http::field::host]);
  for (const auto& field : client) {
    auto name = view_of(field.name_string());
    if (iequals(name, "host") || iequals(name, "content-length") ||
        iequals(name, "transfer-encoding") || iequals(name, "connection"))
      continue;
    if (iequals(name, "authorization") ||
        any_matches(provider.include_request_headers_in_check, name))
      check.insert(field.name_string(), field.value());
  }
  for (const auto& [name, value] : provider.include_additional_headers_in_check)
    check.set(name, value);
  check.content_length(0);
  return check;
}

ExtAuthzVerdict ext_authz_verdict(const std::optional<Response>& answer,
                                  const state::ExtAuthzHttpProvider& provider, unsigned version,
                                  bool grpc) {
  ExtAuthzVerdict v;
  if (!answer) {
    if (provider.fail_open) {
      v.allowed = true;
      v.details = "ext_authz_error";
      return v;
    }
    v.reply = make_local_response(status_on_error(provider), "", version, grpc);
    v.details = "ext_authz_error";
    return v;
  }
  if (answer->result_int() == 200) {
    v.allowed = true;
    for (const auto& field : *answer) {
      auto name = view_of(field.name_string());
      if (!hop_by_hop(name) && any_matches(provider.headers_to_upstream_on_allow, name))
        v.upstream_headers.emplace_back(std::string(name), std::string(view_of(field.value())));
    }
    return v;
  }
  v.details = "ext_authz_denied";
  if (grpc) {  // gRPC clients get a gRPC status mapped from the authorizer's
    v.reply = make_local_response(answer->result_int(), answer->body(), version, true);
  } else {
    Response r{static_cast<http::status>(answer->result_int()), version};
    r.body() = answer->body();
    v.reply = std::move(r);
  }
  for (const auto& field : *answer) {
    auto name = view_of(field.name_string());
    if (hop_by_hop(name) || (grpc && iequals(name, "content-type"))) continue;
    if (provider.headers_to_downstream_on_deny.empty() ||
        any_matches(provider.headers_to_downstream_on_deny, name))
      v.reply->set(field.name_string(), field.value());
  }
  v.reply->prepare_payload();
  return v;
}

void apply_upstream_headers(const ExtAuthzVerdict& verdict, Request& request) {
  for (const auto& [name, value] : verdict.upstream_headers) request.erase(name);
  for (const auto& [name, value] : verdict.upstream_headers) request.insert(name, value);
}

}  // namespace zmesh::l7
