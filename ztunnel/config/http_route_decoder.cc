// VirtualService http[] routes: decoding and Istio's validation (validateHTTPRoute and the
// functions it calls), each problem at its field path.
#include "config/http_route_decoder.h"

#include <cctype>
#include <set>

#include "config/istio_fields.h"
#include "config/validation.h"
#include "state/http_codes.h"
namespace zmesh::config {
namespace {

bool retry_on_token(const std::string& token) {
  static const std::set<std::string> kPolicies = {"5xx",
                                                  "gateway-error",
                                                  "reset",
                                                  "reset-before-request",
                                                  "connect-failure",
                                                  "envoy-ratelimited",
                                                  "retriable-4xx",
                                                  "refused-stream",
                                                  "retriable-status-codes",
                                                  "retriable-headers",
                                                  "http3-post-connect-failure",
                                                  "cancelled",
                                                  "deadline-exceeded",
                                                  "internal",
                                                  "resource-exhausted",
                                                  "unavailable"};
  if (kPolicies.count(token)) return true;
  if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos) return false;
  return token.size() <= 3 && state::known_http_status(std::stoi(token));
}

std::optional<std::string> base64_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    int v = value(c);
    if (v < 0 || pad > 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (pad > 2 || (in.size() % 4 != 0)) return std::nullopt;
  return out;
}

// set/add maps and the remove list of one direction of a Headers block.
state::HeaderOperations decode_header_ops(const FieldReader& f, bool request) {
  state::HeaderOperations out;
  if (!f.is_map()) return out;
  auto name_error = request ? header_set_name_error : header_remove_name_error;
  for (auto [key, map] : {std::pair{"set", &out.set}, std::pair{"add", &out.add}}) {
    FieldReader ops = f.field(key);
    for (const auto& [name, value] : ops.string_map()) {
      if (auto e = name_error(name); !e.empty()) {
        ops.errors().add(ops.path() + "[" + name + "]", e);
        continue;
      }
      (*map)[name] = value;
    }
  }
  FieldReader remove = f.field("remove");
  remove.each([&](const FieldReader& item) {
    auto name = item.string();
    if (!name) return;
    if (auto e = header_remove_name_error(*name); !e.empty()) item.error(e);
    out.remove.push_back(*name);
  });
  return out;
}

state::HeadersPolicy decode_headers(const FieldReader& f) {
  state::HeadersPolicy out;
  if (!f.is_map()) return out;
  out.request = decode_header_ops(f.field("request"), true);
  out.response = decode_header_ops(f.field("response"), false);
  return out;
}

std::optional<int32_t> read_weight(const FieldReader& field) {
  auto w = read_int(field, 0, INT32_MAX);
  return w ? std::optional<int32_t>(static_cast<int32_t>(*w)) : std::nullopt;
}

// Several destinations whose weights are all 0 send traffic nowhere.
void check_total_weight(const FieldReader& list, size_t count, int64_t total) {
  if (count > 1 && total == 0) list.error("total destination weight = 0");
}

state::HttpRedirect decode_redirect(const FieldReader& r) {
  state::HttpRedirect out;
  if (!r.is_map()) return out;
  out.uri = r.field("uri").string().value_or("");
  out.authority = r.field("authority").string().value_or("");
  out.prefix_rewrite = r.field("prefixRewrite").string().value_or("");
  FieldReader port = r.field("port");
  FieldReader derive = r.field("derivePort");
  if (port.present() && derive.present()) r.error("only one of port or derivePort may be set");
  if (auto p = read_port_number(port)) {
    out.port_kind = state::RedirectPortKind::kPort;
    out.port = *p;
  }
  if (auto d = derive.string()) {
    if (*d == "FROM_PROTOCOL_DEFAULT")
      out.port_kind = state::RedirectPortKind::kFromProtocolDefault;
    else if (*d == "FROM_REQUEST_PORT")
      out.port_kind = state::RedirectPortKind::kFromRequestPort;
    else
      derive.error(quote(*d) + " is not one of FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT");
  }
  FieldReader scheme = r.field("scheme");
  out.scheme = scheme.string().value_or("");
  if (!out.scheme.empty() && out.scheme != "http" && out.scheme != "https") {
    scheme.error("invalid redirect scheme, must be \"http\" or \"https\"");
  }
  FieldReader code = r.field("redirectCode");
  if (auto c = read_uint32(code); c && *c != 0) {
    out.redirect_code = *c;
    if (*c < 300 || *c > 399)
      code.error(std::to_string(*c) + " is not a valid redirect code, must be 3xx");
  }
  if (!out.uri.empty() && !out.prefix_rewrite.empty()) {
    r.error("only one of uri or prefixRewrite may be set");
  }
  if (out.uri.empty() && out.authority.empty() && out.scheme.empty() &&
      out.prefix_rewrite.empty() && !port.present() && !derive.present()) {
    r.error("redirect must specify URI, authority, scheme, or port");
  }
  return out;
}

state::HttpDirectResponse decode_direct_response(const FieldReader& d) {
  state::HttpDirectResponse out;
  if (!d.is_map()) return out;
  FieldReader status = d.field("status");
  out.status = read_uint32(status).value_or(0);
  if (out.status < 200 || out.status > 600) {
    status.error("HTTP status " + std::to_string(out.status) + " is not in range 200-599");
  }
  FieldReader body = d.field("body");
  if (body.is_map()) {
    FieldReader text = body.field("string");
    FieldReader bytes = body.field("bytes");
    if (text.present() && bytes.present()) body.error("only one of string or bytes may be set");
    if (auto s = text.string()) out.body = *s;
    if (auto b = bytes.string()) {
      out.body = base64_decode(*b);
      out.body_is_bytes = true;
      if (!out.body) bytes.error("must be base64");
    }
    if (out.body && out.body->size() > (1u << 20)) {
      body.error(
          "large direct_responses may impact control plane performance, must be less "
          "than 1MB");
    }
  }
  return out;
}

state::HttpRewrite decode_rewrite(const FieldReader& r) {
  state::HttpRewrite out;
  if (!r.is_map()) return out;
  out.uri = r.field("uri").string().value_or("");
  out.authority = r.field("authority").string().value_or("");
  FieldReader regex = r.field("uriRegexRewrite");
  if (regex.is_map()) {
    FieldReader match = regex.field("match");
    state::HttpRewrite::RegexRewrite rr{match.string().value_or(""),
                                        regex.field("rewrite").string().value_or("")};
    if (rr.match.empty() || rr.rewrite.empty()) {
      regex.error("UriRegexRewrite requires both Rewrite and Match fields to be specified");
    } else if (auto e = re2_error(rr.match); !e.empty()) {
      match.error(e);
    }
    out.uri_regex_rewrite = rr;
  }
  if (!out.uri.empty() && out.uri_regex_rewrite) {
    r.error("rewrite may only contain one of URI or UriRegexRewrite");
  }
  if (out.uri.empty() && !out.uri_regex_rewrite && out.authority.empty()) {
    r.error("rewrite must specify at least one of URI, UriRegexRewrite, or authority");
  }
  return out;
}

state::HttpRetry decode_retries(const FieldReader& r) {
  state::HttpRetry out;
  if (!r.is_map()) return out;
  FieldReader attempts = r.field("attempts");
  if (auto a = attempts.integer()) {
    if (*a < 0)
      attempts.error("must be >= 0 (attempts cannot be negative), got " + std::to_string(*a));
    else if (*a > INT32_MAX)
      attempts.error("must be <= " + std::to_string(INT32_MAX));
    else
      out.attempts = static_cast<int32_t>(*a);
  }
  out.per_try_timeout = read_duration(r.field("perTryTimeout"), DurationMin::kOneMs);
  FieldReader retry_on = r.field("retryOn");
  out.retry_on = retry_on.string().value_or("");
  if (!out.retry_on.empty()) {
    size_t start = 0;
    while (start <= out.retry_on.size()) {
      size_t comma = out.retry_on.find(',', start);
      std::string token = out.retry_on.substr(start, comma - start);
      token.erase(0, token.find_first_not_of(' '));
      token.erase(token.find_last_not_of(' ') + 1);
      if (!retry_on_token(token)) retry_on.error(quote(token) + " is not a valid retryOn policy");
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  out.retry_remote_localities = r.field("retryRemoteLocalities").boolean();
  out.retry_ignore_previous_hosts = r.field("retryIgnorePreviousHosts").boolean();
  out.backoff = read_duration(r.field("backoff"), DurationMin::kOneMs);
  return out;
}

state::HttpFaultInjection decode_fault(const FieldReader& f) {
  state::HttpFaultInjection out;
  if (!f.is_map()) return out;
  FieldReader delay = f.field("delay");
  FieldReader abort = f.field("abort");
  if (!delay.present() && !abort.present()) {
    f.error("HTTP fault injection must have an abort and/or a delay");
  }
  if (delay.is_map()) {
    state::HttpFaultInjection::Delay d;
    FieldReader fixed = delay.field("fixedDelay");
    FieldReader exponential = delay.field("exponentialDelay");
    if (fixed.present() && exponential.present()) {
      delay.error("only one of fixedDelay or exponentialDelay may be set");
    }
    d.fixed_delay = read_duration(fixed, DurationMin::kOneMs);
    if (exponential.present()) exponential.error("exponentialDelay not supported yet");
    FieldReader percentage = delay.field("percentage");
    if (percentage.present()) d.percentage = read_percent(percentage);
    FieldReader percent = delay.field("percent");
    if (auto p = read_int(percent, 0, 100)) d.percent = static_cast<int32_t>(*p);
    out.delay = d;
  }
  if (abort.is_map()) {
    state::HttpFaultInjection::Abort a;
    using Kind = state::HttpFaultInjection::Abort::Kind;
    FieldReader http = abort.field("httpStatus");
    FieldReader grpc = abort.field("grpcStatus");
    FieldReader http2 = abort.field("http2Error");
    if (http.present() + grpc.present() + http2.present() > 1) {
      abort.error("only one of httpStatus, grpcStatus or http2Error may be set");
    }
    if (auto s = http.integer()) {
      a.kind = Kind::kHttpStatus;
      if (*s < 200 || *s > 600) {
        http.error("HTTP status " + std::to_string(*s) + " is not in range 200-599");
      } else {
        a.http_status = static_cast<int32_t>(*s);
      }
    }
    if (auto s = grpc.string()) {
      a.kind = Kind::kGrpcStatus;
      a.grpc_status = *s;
      if (!state::grpc_status_code(*s)) {
        grpc.error("gRPC status " + quote(*s) +
                   " is not supported (an upper-case code name such as \"UNAVAILABLE\")");
      }
    }
    if (http2.present()) http2.error("HTTP/2 abort fault injection not supported yet");
    FieldReader percentage = abort.field("percentage");
    if (percentage.present()) a.percentage = read_percent(percentage);
    out.abort = a;
  }
  return out;
}

state::HttpMirrorPolicy decode_mirror_policy(const FieldReader& m) {
  state::HttpMirrorPolicy out;
  if (!m.is_map()) return out;
  FieldReader destination = m.field("destination");
  if (!destination.present()) destination.error("required");
  out.destination = decode_destination(destination);
  FieldReader percentage = m.field("percentage");
  if (percentage.present()) out.percentage = read_percent(percentage);
  return out;
}

std::vector<state::HttpRouteDestination> decode_http_destinations(const FieldReader& list) {
  std::vector<state::HttpRouteDestination> out;
  int64_t total = 0;
  list.each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    state::HttpRouteDestination d;
    FieldReader destination = item.field("destination");
    if (!destination.present()) destination.error("required");
    d.destination = decode_destination(destination);
    d.weight = read_weight(item.field("weight")).value_or(0);
    d.headers = decode_headers(item.field("headers"));
    total += d.weight;
    out.push_back(std::move(d));
  });
  check_total_weight(list, out.size(), total);
  return out;
}

// validateAuthorityRewrite: the authority may be rewritten once, by rewrite or a header.
void check_authority_rewrite(const FieldReader& route, const state::HttpRoute& r) {
  int sources = r.rewrite && !r.rewrite->authority.empty();
  for (const auto* ops : {&r.headers.request.set, &r.headers.request.add}) {
    for (const auto& [name, value] : *ops) {
      std::string lower;
      for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      sources += lower == ":authority" || lower == "host";
    }
  }
  if (sources > 1) route.error("authority header cannot be set multiple times");
}

// validateHTTPRouteConflict: one action per route.
void check_conflicts(const FieldReader& f, const state::HttpRoute& r, bool in_delegate) {
  bool route = !r.route.empty();
  if (r.redirect) {
    if (route) f.error("HTTP route cannot contain both route and redirect");
    if (r.fault) f.error("HTTP route cannot contain both fault and redirect");
    if (r.rewrite) f.error("HTTP route rule cannot contain both rewrite and redirect");
  }
  if (r.direct_response) {
    if (route) f.error("HTTP route cannot contain both route and direct_response");
    if (r.fault) f.error("HTTP route cannot contain both fault and direct_response");
    if (r.rewrite) f.error("HTTP route rule cannot contain both rewrite and direct_response");
    if (r.redirect) f.error("HTTP route rule cannot contain both direct_response and redirect");
  }
  if (r.delegate) {
    if (in_delegate) f.error("http delegate only applies to the root virtual service");
    if (route) f.error("HTTP route cannot contain both route and delegate");
    if (r.redirect) f.error("HTTP route cannot contain both redirect and delegate");
    if (r.direct_response) f.error("HTTP route cannot contain both direct_response and delegate");
  }
  if (!route && !r.redirect && !r.direct_response && !r.delegate) {
    f.error("HTTP route, redirect, direct_response or delegate is required");
  }
  if (r.mirror && !r.mirrors.empty()) f.error("HTTP route cannot contain both mirror and mirrors");
}

}  // namespace

state::RouteDestinationRef decode_destination(const FieldReader& field) {
  state::RouteDestinationRef out;
  if (!field.is_map()) return out;
  FieldReader host = field.field("host");
  auto text = host.string();
  out.host = text.value_or("");
  if (!host.present()) {
    host.error("required");
  } else if (!text) {
    // wrong type, recorded
  } else if (out.host.empty()) {
    host.error("empty domain name not allowed");
  } else if (out.host == "*") {
    host.error("invalid destination host *");
  } else if (auto e = wildcard_domain_error(out.host); !e.empty()) {
    host.error(e);
  }
  FieldReader subset = field.field("subset");
  out.subset = subset.string().value_or("");
  if (!out.subset.empty() && !istio_dns1123_label(out.subset)) {
    subset.error("subset name is invalid: " + quote(out.subset));
  }
  out.port = read_port_number(field.field("port").field("number"));
  return out;
}

std::vector<state::RouteDestination> decode_route_destinations(const FieldReader& list) {
  std::vector<state::RouteDestination> out;
  int64_t total = 0;
  list.each([&](const FieldReader& item) {
    if (!item.is_map()) return;
    state::RouteDestination d;
    FieldReader destination = item.field("destination");
    if (!destination.present()) destination.error("required");
    d.destination = decode_destination(destination);
    d.weight = read_weight(item.field("weight")).value_or(0);
    total += d.weight;
    out.push_back(std::move(d));
  });
  check_total_weight(list, out.size(), total);
  return out;
}

state::HttpRoute decode_http_route(const FieldReader& f, bool in_delegate) {
  state::HttpRoute r;
  if (!f.is_map()) return r;
  r.name = f.field("name").string().value_or("");
  f.field("match").each([&](const FieldReader& m) { r.match.push_back(decode_http_match(m)); });
  r.route = decode_http_destinations(f.field("route"));
  if (FieldReader x = f.field("redirect"); x.is_map()) r.redirect = decode_redirect(x);
  if (FieldReader x = f.field("directResponse"); x.is_map()) {
    r.direct_response = decode_direct_response(x);
  }
  if (FieldReader x = f.field("delegate"); x.is_map()) {
    state::HttpDelegate d;
    FieldReader name = x.field("name");
    d.name = name.string().value_or("");
    if (d.name.empty()) name.error("required");
    FieldReader ns = x.field("namespace");
    d.namespace_ = ns.string().value_or("");
    if (!d.namespace_.empty()) {
      if (auto e = dns1123_label_error(d.namespace_); !e.empty()) ns.error(e);
    }
    r.delegate = d;
  }
  if (FieldReader x = f.field("rewrite"); x.is_map()) r.rewrite = decode_rewrite(x);
  r.timeout = read_duration(f.field("timeout"), DurationMin::kOneMs);
  if (FieldReader x = f.field("retries"); x.is_map()) r.retries = decode_retries(x);
  if (FieldReader x = f.field("fault"); x.is_map()) r.fault = decode_fault(x);
  if (FieldReader x = f.field("mirror"); x.is_map()) r.mirror = decode_destination(x);
  if (FieldReader x = f.field("mirrorPercentage"); x.present())
    r.mirror_percentage = read_percent(x);
  for (const char* key : {"mirrorPercent", "mirror_percent"}) {
    if (auto p = read_int(f.field(key), 0, 100)) r.mirror_percent = static_cast<uint32_t>(*p);
  }
  f.field("mirrors").each(
      [&](const FieldReader& m) { r.mirrors.push_back(decode_mirror_policy(m)); });
  if (FieldReader x = f.field("corsPolicy"); x.is_map()) r.cors_policy = decode_cors_policy(x);
  r.headers = decode_headers(f.field("headers"));
  check_authority_rewrite(f, r);
  check_conflicts(f, r, in_delegate);
  return r;
}

}  // namespace zmesh::config
