#include "state/virtual_service.h"

#include <cstdio>

namespace zmesh::state {
namespace {

using nlohmann::json;

const char* kind_name(StringMatch::Kind k) {
  switch (k) {
    case StringMatch::Kind::kExact:
      return "exact";
    case StringMatch::Kind::kPrefix:
      return "prefix";
    case StringMatch::Kind::kRegex:
      return "regex";
  }
  return "exact";
}

json match_json(const StringMatch& m) {
  return {{kind_name(m.kind), m.value}};
}

json presence_map_json(const std::map<std::string, PresenceOrMatch>& m) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = v ? match_json(*v) : json::object();
  return out;
}

// Only what was written: empty strings, lists and maps are left out.
template <typename T>
void put(json& j, const char* key, const T& value) {
  if (!value.empty()) j[key] = value;
}
template <typename T>
void put(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}
void put(json& j, const char* key, const std::optional<Duration>& value) {
  if (value) j[key] = duration_json(*value);
}

std::string base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

json percent_json(double value) {
  return {{"value", value}};
}

json destination_json(const RouteDestinationRef& d) {
  json j = {{"host", d.host}};
  put(j, "subset", d.subset);
  if (d.port) j["port"] = {{"number", *d.port}};
  return j;
}

json header_ops_json(const HeaderOperations& ops) {
  json j = json::object();
  put(j, "set", ops.set);
  put(j, "add", ops.add);
  put(j, "remove", ops.remove);
  return j;
}

void put_headers(json& j, const HeadersPolicy& h) {
  if (h.empty()) return;
  json out = json::object();
  if (!h.request.empty()) out["request"] = header_ops_json(h.request);
  if (!h.response.empty()) out["response"] = header_ops_json(h.response);
  j["headers"] = out;
}

json http_match_json(const HttpMatchRequest& m) {
  json j = json::object();
  put(j, "name", m.name);
  for (auto [key, v] : {std::pair{"uri", &m.uri}, std::pair{"scheme", &m.scheme},
                        std::pair{"method", &m.method}, std::pair{"authority", &m.authority}}) {
    if (*v) j[key] = match_json(**v);
  }
  if (!m.headers.empty()) j["headers"] = presence_map_json(m.headers);
  if (!m.without_headers.empty()) j["withoutHeaders"] = presence_map_json(m.without_headers);
  if (!m.query_params.empty()) j["queryParams"] = presence_map_json(m.query_params);
  put(j, "port", m.port);
  put(j, "sourceLabels", m.source_labels);
  put(j, "gateways", m.gateways);
  put(j, "sourceNamespace", m.source_namespace);
  if (m.ignore_uri_case) j["ignoreUriCase"] = true;
  put(j, "statPrefix", m.stat_prefix);
  return j;
}

json redirect_json(const HttpRedirect& r) {
  json j = json::object();
  put(j, "uri", r.uri);
  put(j, "authority", r.authority);
  if (r.port_kind == RedirectPortKind::kPort) j["port"] = r.port;
  if (r.port_kind == RedirectPortKind::kFromProtocolDefault)
    j["derivePort"] = "FROM_PROTOCOL_DEFAULT";
  if (r.port_kind == RedirectPortKind::kFromRequestPort) j["derivePort"] = "FROM_REQUEST_PORT";
  put(j, "scheme", r.scheme);
  if (r.redirect_code != 0) j["redirectCode"] = r.redirect_code;
  put(j, "prefixRewrite", r.prefix_rewrite);
  return j;
}

json fault_json(const HttpFaultInjection& f) {
  json j = json::object();
  if (f.delay) {
    json d = json::object();
    put(d, "fixedDelay", f.delay->fixed_delay);
    if (f.delay->percentage) d["percentage"] = percent_json(*f.delay->percentage);
    put(d, "percent", f.delay->percent);
    j["delay"] = d;
  }
  if (f.abort) {
    json a = json::object();
    using Kind = HttpFaultInjection::Abort::Kind;
    if (f.abort->kind == Kind::kHttpStatus) a["httpStatus"] = f.abort->http_status;
    if (f.abort->kind == Kind::kGrpcStatus) a["grpcStatus"] = f.abort->grpc_status;
    if (f.abort->percentage) a["percentage"] = percent_json(*f.abort->percentage);
    j["abort"] = a;
  }
  return j;
}

json cors_json(const CorsPolicy& c) {
  json j = json::object();
  if (!c.allow_origins.empty()) {
    json origins = json::array();
    for (const auto& m : c.allow_origins) origins.push_back(match_json(m));
    j["allowOrigins"] = origins;
  }
  put(j, "allowOrigin", c.allow_origin);
  put(j, "allowMethods", c.allow_methods);
  put(j, "allowHeaders", c.allow_headers);
  put(j, "exposeHeaders", c.expose_headers);
  put(j, "maxAge", c.max_age);
  put(j, "allowCredentials", c.allow_credentials);
  if (c.unmatched_preflights == UnmatchedPreflights::kForward) j["unmatchedPreflights"] = "FORWARD";
  if (c.unmatched_preflights == UnmatchedPreflights::kIgnore) j["unmatchedPreflights"] = "IGNORE";
  return j;
}

json http_route_json(const HttpRoute& r) {
  json j = json::object();
  put(j, "name", r.name);
  if (!r.match.empty()) {
    j["match"] = json::array();
    for (const auto& m : r.match) j["match"].push_back(http_match_json(m));
  }
  if (!r.route.empty()) {
    j["route"] = json::array();
    for (const auto& d : r.route) {
      json dj = {{"destination", destination_json(d.destination)}};
      if (d.weight != 0) dj["weight"] = d.weight;
      put_headers(dj, d.headers);
      j["route"].push_back(dj);
    }
  }
  if (r.redirect) j["redirect"] = redirect_json(*r.redirect);
  if (r.direct_response) {
    json d = {{"status", r.direct_response->status}};
    if (r.direct_response->body) {
      // Bytes go back to base64, as written: raw bytes are not valid JSON strings.
      const std::string& body = *r.direct_response->body;
      d["body"] =
          r.direct_response->body_is_bytes ? json{{"bytes", base64(body)}} : json{{"string", body}};
    }
    j["directResponse"] = d;
  }
  if (r.delegate) {
    j["delegate"] = {{"name", r.delegate->name}};
    put(j["delegate"], "namespace", r.delegate->namespace_);
  }
  if (r.rewrite) {
    json w = json::object();
    put(w, "uri", r.rewrite->uri);
    put(w, "authority", r.rewrite->authority);
    if (r.rewrite->uri_regex_rewrite) {
      w["uriRegexRewrite"] = {{"match", r.rewrite->uri_regex_rewrite->match},
                              {"rewrite", r.rewrite->uri_regex_rewrite->rewrite}};
    }
    j["rewrite"] = w;
  }
  put(j, "timeout", r.timeout);
  if (r.retries) {
    json t = {{"attempts", r.retries->attempts}};
    put(t, "perTryTimeout", r.retries->per_try_timeout);
    put(t, "retryOn", r.retries->retry_on);
    put(t, "retryRemoteLocalities", r.retries->retry_remote_localities);
    put(t, "retryIgnorePreviousHosts", r.retries->retry_ignore_previous_hosts);
    put(t, "backoff", r.retries->backoff);
    j["retries"] = t;
  }
  if (r.fault) j["fault"] = fault_json(*r.fault);
  if (r.mirror) j["mirror"] = destination_json(*r.mirror);
  if (r.mirror_percentage) j["mirrorPercentage"] = percent_json(*r.mirror_percentage);
  put(j, "mirrorPercent", r.mirror_percent);
  if (!r.mirrors.empty()) {
    j["mirrors"] = json::array();
    for (const auto& m : r.mirrors) {
      json mj = {{"destination", destination_json(m.destination)}};
      if (m.percentage) mj["percentage"] = percent_json(*m.percentage);
      j["mirrors"].push_back(mj);
    }
  }
  if (r.cors_policy) j["corsPolicy"] = cors_json(*r.cors_policy);
  put_headers(j, r.headers);
  return j;
}

json l4_route_json(const L4Route& r) {
  json j = json::object();
  if (!r.match.empty()) {
    j["match"] = json::array();
    for (const auto& m : r.match) {
      json mj = json::object();
      put(mj, "sniHosts", m.sni_hosts);
      put(mj, "destinationSubnets", m.destination_subnets);
      put(mj, "port", m.port);
      put(mj, "sourceLabels", m.source_labels);
      put(mj, "gateways", m.gateways);
      put(mj, "sourceNamespace", m.source_namespace);
      put(mj, "sourceSubnet", m.source_subnet);
      j["match"].push_back(mj);
    }
  }
  j["route"] = json::array();
  for (const auto& d : r.route) {
    json dj = {{"destination", destination_json(d.destination)}};
    if (d.weight != 0) dj["weight"] = d.weight;
    j["route"].push_back(dj);
  }
  return j;
}

}  // namespace

std::string duration_json(Duration d) {
  auto ms = d.count();
  std::string sign = ms < 0 ? "-" : "";
  if (ms < 0) ms = -ms;
  if (ms % 1000 == 0) return sign + std::to_string(ms / 1000) + "s";
  char frac[8];
  std::snprintf(frac, sizeof frac, "%03lld", static_cast<long long>(ms % 1000));
  return sign + std::to_string(ms / 1000) + "." + frac + "s";
}

void to_json(nlohmann::json& j, const VirtualService& object) {
  j = {{"name", object.meta.name}, {"namespace", object.meta.namespace_}};
  put(j, "hosts", object.hosts);
  put(j, "gateways", object.gateways);
  for (auto [key, routes] : {std::pair{"tls", &object.tls}, std::pair{"tcp", &object.tcp}}) {
    if (routes->empty()) continue;
    j[key] = json::array();
    for (const auto& r : *routes) j[key].push_back(l4_route_json(r));
  }
  if (!object.http.empty()) {
    j["http"] = json::array();
    for (const auto& r : object.http) j["http"].push_back(http_route_json(r));
  }
  put(j, "exportTo", object.export_to);
}

}  // namespace zmesh::state
