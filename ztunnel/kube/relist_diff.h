// After a re-LIST (410 Gone, or a new start), what changed against the reflector's cache:
// objects to (re)decode, and deletions the watch never told us about, to synthesise.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kube/api_objects.h"

namespace zmesh::kube {

struct RelistDiff {
  std::vector<size_t> upserts;       // indexes into the listed objects: new or changed
  std::vector<std::string> deletes;  // keys cached but no longer listed
};

// `cached`: key -> resourceVersion as last seen. An object listed with the same
// resourceVersion is unchanged (resourceVersions are opaque: compared only for equality).
RelistDiff diff_relist(const std::map<std::string, std::string>& cached,
                       const std::vector<ApiObject>& listed);

}  // namespace zmesh::kube
