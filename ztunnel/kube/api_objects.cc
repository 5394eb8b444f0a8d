#include "kube/api_objects.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace zmesh::kube {
namespace {

using json = nlohmann::json;

std::string string_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<ApiObject> to_api_object(json object, const std::string& api_version,
                                const std::string& kind) {
  if (!object.is_object()) return make_error("object is not a JSON object");
  ApiObject out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return make_error("object has no metadata");
  out.namespace_ = string_at(*meta, "namespace");
  out.name = string_at(*meta, "name");
  out.resource_version = string_at(*meta, "resourceVersion");
  // Server bookkeeping, often the largest part of an object; no decoder reads it.
  meta->erase("managedFields");
  object["apiVersion"] = api_version;
  object["kind"] = kind;
  out.json = object.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

Result<json> parse_json(std::string_view text, const char* what) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return make_error(std::string(what) + ": not JSON");
  if (!doc.is_object()) return make_error(std::string(what) + ": not a JSON object");
  return doc;
}

}  // namespace

Result<ListPage> parse_list_page(std::string_view body, const std::string& api_version,
                                 const std::string& kind) {
  auto doc = parse_json(body, "list");
  if (!doc) return doc.error();
  ListPage page;
  auto meta = doc->find("metadata");
  if (meta != doc->end() && meta->is_object()) {
    page.resource_version = string_at(*meta, "resourceVersion");
    page.continue_token = string_at(*meta, "continue");
  }
  if (page.resource_version.empty()) return make_error("list: no metadata.resourceVersion");
  auto items = doc->find("items");
  if (items == doc->end() || items->is_null()) return page;  // an empty list may say null
  if (!items->is_array()) return make_error("list: items is not an array");
  page.items.reserve(items->size());
  for (auto& item : *items) {
    auto object = to_api_object(std::move(item), api_version, kind);
    if (!object) return make_error("list: " + object.error().message);
    page.items.push_back(std::move(*object));
  }
  return page;
}

Result<WatchEvent> parse_watch_event(std::string_view line, const std::string& api_version,
                                     const std::string& kind) {
  auto doc = parse_json(line, "watch event");
  if (!doc) return doc.error();
  static const std::pair<std::string_view, EventType> kTypes[] = {
      {"ADDED", EventType::kAdded},     {"MODIFIED", EventType::kModified},
      {"DELETED", EventType::kDeleted}, {"BOOKMARK", EventType::kBookmark},
      {"ERROR", EventType::kError},
  };
  std::string type = string_at(*doc, "type");
  auto known = std::find_if(std::begin(kTypes), std::end(kTypes),
                            [&](const auto& t) { return t.first == type; });
  if (known == std::end(kTypes)) return make_error("watch event: unknown type \"" + type + "\"");
  WatchEvent event;
  event.type = known->second;
  auto object = doc->find("object");
  if (object == doc->end() || !object->is_object())
    return make_error("watch event " + type + ": no object");
  if (event.type == EventType::kError) {  // the object is a Status
    auto code = object->find("code");
    event.error_code = code != object->end() && code->is_number_integer() ? code->get<int>() : 0;
    event.error_message = string_at(*object, "message");
    return event;
  }
  if (event.type == EventType::kBookmark) {  // only metadata.resourceVersion is meaningful
    auto meta = object->find("metadata");
    if (meta != object->end() && meta->is_object())
      event.object.resource_version = string_at(*meta, "resourceVersion");
    if (event.object.resource_version.empty())
      return make_error("watch event BOOKMARK: no resourceVersion");
    return event;
  }
  auto parsed = to_api_object(std::move(*object), api_version, kind);
  if (!parsed) return make_error("watch event " + type + ": " + parsed.error().message);
  if (parsed->name.empty()) return make_error("watch event " + type + ": object has no name");
  event.object = std::move(*parsed);
  return event;
}

std::string describe_error_body(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_object() && string_at(doc, "kind") == "Status") {
    std::string reason = string_at(doc, "reason");
    std::string message = string_at(doc, "message");
    return reason.empty() ? message : reason + ": " + message;
  }
  std::string excerpt(body.substr(0, 200));
  std::replace(excerpt.begin(), excerpt.end(), '\n', ' ');
  return excerpt;
}

Result<std::string> choose_version_of(std::string_view discovery_body,
                                      const std::vector<std::string>& accepted) {
  auto doc = parse_json(discovery_body, "discovery");
  if (!doc) return doc.error();
  std::vector<std::string> served;
  if (auto versions = doc->find("versions"); versions != doc->end() && versions->is_array()) {
    for (const auto& v : *versions) {
      if (v.is_object()) served.push_back(string_at(v, "version"));
    }
  }
  auto is_accepted = [&](const std::string& v) {
    return std::find(accepted.begin(), accepted.end(), v) != accepted.end();
  };
  if (auto preferred = doc->find("preferredVersion");
      preferred != doc->end() && preferred->is_object()) {
    std::string v = string_at(*preferred, "version");
    if (is_accepted(v)) return v;
  }
  for (const auto& v : accepted) {
    if (std::find(served.begin(), served.end(), v) != served.end()) return v;
  }
  std::string list;
  for (const auto& v : served) list += (list.empty() ? "" : ", ") + v;
  return make_error("the server serves " + (list.empty() ? std::string("no versions") : list) +
                    ", none of which is supported");
}

}  // namespace zmesh::kube
