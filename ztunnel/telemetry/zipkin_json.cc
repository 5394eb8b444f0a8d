#include "telemetry/zipkin_json.h"

#include <nlohmann/json.hpp>

namespace zmesh::telemetry {

std::string encode_zipkin_json(const std::vector<Span>& spans) {
  auto out = nlohmann::json::array();
  for (const auto& s : spans) {
    const auto& c = s.context;
    nlohmann::json j = {
        {"traceId", to_hex(c.trace_id)},
        {"id", to_hex(c.span_id)},
        {"name", s.name},
        {"kind", s.kind == SpanKind::kServer ? "SERVER" : "CLIENT"},
        {"timestamp", s.start_unix_ns / 1000},
        {"duration", std::max<int64_t>(1, (s.end_unix_ns - s.start_unix_ns) / 1000)}};
    if (c.parent_span_id != 0) j["parentId"] = to_hex(c.parent_span_id);
    nlohmann::json local = {{"serviceName", s.service_name}};
    if (!s.local_ip.empty())
      local[s.local_ip.find(':') == std::string::npos ? "ipv4" : "ipv6"] = s.local_ip;
    j["localEndpoint"] = std::move(local);
    auto tags = nlohmann::json::object();
    for (const auto& [k, v] : s.attributes) tags[k] = v;
    if (s.error) tags["error"] = "true";
    j["tags"] = std::move(tags);
    out.push_back(std::move(j));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace zmesh::telemetry
