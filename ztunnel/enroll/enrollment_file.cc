#include "enroll/enrollment_file.h"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace zmesh::enroll {

Result<Sandboxes> load_enrollment_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Sandboxes{};  // first start
  try {
    auto j = nlohmann::json::parse(in);
    Sandboxes pods;
    for (const auto& entry : j.at("pods")) {
      Sandbox s;
      s.netns = entry.at("netns");
      s.container_id = entry.value("containerId", "");
      s.ips = entry.value("ips", std::vector<std::string>{});
      s.enrolled = entry.value("enrolled", true);
      s.seen = entry.value("seen", true);
      pods[entry.at("pod")] = std::move(s);
    }
    return pods;
  } catch (const std::exception& e) {
    return make_error(path + ": " + e.what());
  }
}

Result<void> save_enrollment_file(const std::string& path, const Sandboxes& pods) {
  nlohmann::json j = {{"pods", nlohmann::json::array()}};
  for (const auto& [pod, s] : pods)
    j["pods"].push_back({{"pod", pod},
                         {"netns", s.netns},
                         {"containerId", s.container_id},
                         {"ips", s.ips},
                         {"enrolled", s.enrolled},
                         {"seen", s.seen}});
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return errno_error("write " + tmp, errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp, errno);
  return ok();
}

}  // namespace zmesh::enroll
