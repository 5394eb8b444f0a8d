#include "kube/relist_diff.h"

#include <set>

namespace zmesh::kube {

RelistDiff diff_relist(const std::map<std::string, std::string>& cached,
                       const std::vector<ApiObject>& listed) {
  RelistDiff diff;
  std::set<std::string> present;
  for (size_t i = 0; i < listed.size(); ++i) {
    std::string key = listed[i].key();
    auto it = cached.find(key);
    if (it == cached.end() || it->second != listed[i].resource_version) diff.upserts.push_back(i);
    present.insert(std::move(key));
  }
  for (const auto& [key, rv] : cached) {
    if (present.count(key) == 0) diff.deletes.push_back(key);
  }
  return diff;
}

}  // namespace zmesh::kube
