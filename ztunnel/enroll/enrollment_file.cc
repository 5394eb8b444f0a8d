#include "enroll/enrollment_file.h"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace zmesh::enroll {

Result<EnrolledPaths> load_enrollment_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return EnrolledPaths{};  // first start
  try {
    auto j = nlohmann::json::parse(in);
    EnrolledPaths pods;
    for (const auto& entry : j.at("pods")) pods[entry.at("pod")] = entry.at("netns");
    return pods;
  } catch (const std::exception& e) {
    return make_error(path + ": " + e.what());
  }
}

Result<void> save_enrollment_file(const std::string& path, const EnrolledPaths& pods) {
  nlohmann::json j = {{"pods", nlohmann::json::array()}};
  for (const auto& [pod, netns] : pods) j["pods"].push_back({{"pod", pod}, {"netns", netns}});
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
