// What the API server sends back, parsed: one object of a LIST page or WATCH event (with
// apiVersion and kind filled in, since LIST items omit them), a LIST page, a watch event,
// a Status (errors), and the version choice from a discovery document.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace zmesh::kube {

struct ApiObject {
  std::string namespace_;  // "" for cluster-scoped kinds
  std::string name;
  std::string resource_version;
  std::string json;  // the whole object, managedFields dropped, apiVersion and kind set

  // "ns/name" or "name": the object's key within its kind.
  std::string key() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
};

struct ListPage {
  std::vector<ApiObject> items;
  std::string resource_version;  // of the whole list: where the watch starts
  std::string continue_token;    // "" on the last page
};

// `api_version` and `kind` are what the items are (the list's own kind is <Kind>List).
Result<ListPage> parse_list_page(std::string_view body, const std::string& api_version,
                                 const std::string& kind);

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  EventType type = EventType::kError;
  ApiObject object;    // ADDED, MODIFIED, DELETED; BOOKMARK carries only resource_version
  int error_code = 0;  // ERROR: the Status's code (410 = resourceVersion too old)
  std::string error_message;
};

// One line of a watch stream: {"type": "...", "object": {...}}.
Result<WatchEvent> parse_watch_event(std::string_view line, const std::string& api_version,
                                     const std::string& kind);

// "NotFound: pods is forbidden ..." from a Status body, or a short excerpt of any other body.
std::string describe_error_body(std::string_view body);

// From /apis/<group>: the server's preferred version when `accepted` lists it, else the
// first of `accepted` (in order) that the server serves. Error when none is served.
template <typename Versions>
Result<std::string> choose_version(std::string_view discovery_body, const Versions& accepted);

// Non-template core of choose_version.
Result<std::string> choose_version_of(std::string_view discovery_body,
                                      const std::vector<std::string>& accepted);

template <typename Versions>
Result<std::string> choose_version(std::string_view discovery_body, const Versions& accepted) {
  std::vector<std::string> list;
  for (const auto& v : accepted) list.emplace_back(v);
  return choose_version_of(discovery_body, list);
}

}  // namespace zmesh::kube
