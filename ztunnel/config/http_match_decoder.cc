// http[].match[] (HTTPMatchRequest) and http[].corsPolicy: decoding and Istio's validation
// (validateHTTPRouteMatchRequest, validateCORSPolicy).
#include <set>

#include "config/http_route_decoder.h"
#include "config/istio_fields.h"
#include "config/kind_decoders.h"
#include "config/validation.h"

namespace zmesh::config {
namespace {

// headers / withoutHeaders / queryParams: name -> StringMatch, where `{}` and `regex: "*"`
// mean presence.
std::map<std::string, state::PresenceOrMatch> read_match_map(const FieldReader& field,
                                                             bool header_names) {
  std::map<std::string, state::PresenceOrMatch> out;
  if (!field.is_map()) return out;
  for (const auto& entry : field.node()) {
    if (!entry.first.IsScalar()) {
      field.error("keys must be strings");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    FieldReader value(entry.second, field.path() + "[" + key + "]", field.errors());
    if (header_names) {
      if (auto e = match_header_name_error(key); !e.empty()) {
        value.error(e);
        continue;
      }
    }
    if (!value.present()) {
      value.error("must be an object, got null");
      continue;
    }
    FieldReader regex = value.field("regex");
    if (value.node().IsMap() && value.node().size() == 1 && regex.node().IsScalar() &&
        regex.node().Scalar() == "*") {
      out[key] = std::nullopt;  // presence, as Istio translates it
      continue;
    }
    bool empty = false;
    auto match = read_string_match(value, &empty);
    if (match || empty) out[key] = match;
  }
  return out;
}

}  // namespace

state::HttpMatchRequest decode_http_match(const FieldReader& m) {
  state::HttpMatchRequest out;
  if (!m.is_map()) return out;
  out.name = m.field("name").string().value_or("");
  out.uri = read_string_match(m.field("uri"), nullptr);
  out.scheme = read_string_match(m.field("scheme"), nullptr);
  out.method = read_string_match(m.field("method"), nullptr);
  out.authority = read_string_match(m.field("authority"), nullptr);
  out.headers = read_match_map(m.field("headers"), true);
  out.without_headers = read_match_map(m.field("withoutHeaders"), true);
  out.query_params = read_match_map(m.field("queryParams"), false);
  out.port = read_port_number(m.field("port"));
  FieldReader labels = m.field("sourceLabels");
  if (labels.present()) out.source_labels = decode_label_map(labels);
  out.gateways = read_gateway_names(m.field("gateways"));
  FieldReader ns = m.field("sourceNamespace");
  out.source_namespace = ns.string().value_or("");
  if (!out.source_namespace.empty() && !dns1123_label_error(out.source_namespace).empty()) {
    ns.error("sourceNamespace match " + quote(out.source_namespace) + " is invalid");
  }
  out.ignore_uri_case = m.field("ignoreUriCase").boolean().value_or(false);
  out.stat_prefix = m.field("statPrefix").string().value_or("");
  return out;
}

state::CorsPolicy decode_cors_policy(const FieldReader& c) {
  static const std::set<std::string> kMethods = {"GET",    "HEAD",    "POST",    "PUT",  "PATCH",
                                                 "DELETE", "CONNECT", "OPTIONS", "TRACE"};
  state::CorsPolicy out;
  if (!c.is_map()) return out;
  c.field("allowOrigins").each([&](const FieldReader& item) {
    bool empty = false;
    auto match = read_string_match(item, &empty);
    if (match && match->value.empty()) empty = true;
    if (empty) item.error("'' is not a valid match type for CORS allow origins");
    if (match && !empty) out.allow_origins.push_back(*match);
  });
  out.allow_origin = read_string_list(c.field("allowOrigin"));
  c.field("allowMethods").each([&](const FieldReader& item) {
    auto method = item.string();
    if (!method) return;
    if (!kMethods.count(*method)) item.error(quote(*method) + " is not a supported HTTP method");
    out.allow_methods.push_back(*method);
  });
  for (auto [key, list] : {std::pair{"allowHeaders", &out.allow_headers},
                           std::pair{"exposeHeaders", &out.expose_headers}}) {
    c.field(key).each([&](const FieldReader& item) {
      auto name = item.string();
      if (!name) return;
      if (auto e = cors_header_name_error(*name); !e.empty()) item.error(e);
      list->push_back(*name);
    });
  }
  FieldReader max_age = c.field("maxAge");
  out.max_age = read_duration(max_age, DurationMin::kOneMs);
  if (out.max_age && out.max_age->count() % 1000 != 0) {
    max_age.error("max_age duration is accurate only to seconds precision");
  }
  out.allow_credentials = c.field("allowCredentials").boolean();
  FieldReader unmatched = c.field("unmatchedPreflights");
  if (auto s = unmatched.string()) {
    using U = state::UnmatchedPreflights;
    if (*s == "UNSPECIFIED")
      out.unmatched_preflights = U::kUnspecified;
    else if (*s == "FORWARD")
      out.unmatched_preflights = U::kForward;
    else if (*s == "IGNORE")
      out.unmatched_preflights = U::kIgnore;
    else
      unmatched.error(quote(*s) + " is not one of UNSPECIFIED, FORWARD or IGNORE");
  }
  return out;
}

}  // namespace zmesh::config
