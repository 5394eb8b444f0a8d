#include "telemetry/connection_record.h"

#include <utility>

namespace zmesh::telemetry {

nlohmann::json to_json(const ConnectionRecord& r) {
  nlohmann::json j = {{"level", "info"}, {"scope", "access"}, {"message", "connection complete"}};
  const std::pair<const char*, const std::string*> strings[] = {
      {"direction", &r.direction},         {"src.addr", &r.src_addr},
      {"src.workload", &r.src_workload},   {"src.namespace", &r.src_namespace},
      {"src.identity", &r.src_identity},   {"src.cluster", &r.src_cluster},
      {"dst.addr", &r.dst_addr},           {"dst.hbone_addr", &r.dst_hbone_addr},
      {"dst.service", &r.dst_service},     {"dst.workload", &r.dst_workload},
      {"dst.namespace", &r.dst_namespace}, {"dst.identity", &r.dst_identity},
      {"dst.cluster", &r.dst_cluster},     {"error", &r.error},
  };
  for (const auto& [key, value] : strings)
    if (!value->empty()) j[key] = *value;
  j["bytes_sent"] = r.bytes_sent;
  j["bytes_recv"] = r.bytes_recv;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count();
  j["duration"] = std::to_string(ms) + "ms";
  if (!r.error.empty()) j["level"] = "warn";
  return j;
}

}  // namespace zmesh::telemetry
