#include "config/yaml_parser.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "config/kind_decoders.h"
#include "config/kind_registry.h"
#include "config/utf8.h"
#include "config/yaml_documents.h"

namespace zmesh::config {
namespace {

// Larger files are refused rather than parsed: a config directory holds manifests, not data.

class DocumentDecoder {
 public:
  DocumentDecoder(const std::string& file, const std::string& source,
                  std::vector<DecodedObject>& out)
      : file_(file), source_(source), out_(out) {}

  // `where`: "document 2" or "document 1, items[3]" (for objects without a name).
  void decode(const YAML::Node& doc, const std::string& where, const std::string& source_suffix,
              bool allow_list) {
    if (!doc.IsDefined() || doc.IsNull()) return;  // empty document, e.g. a trailing `---`
    FieldErrors errors;
    FieldReader root(doc, "", errors);
    if (!doc.IsMap()) {
      reject_document(where, "must be a Kubernetes object (a map with apiVersion and kind), got " +
                                 root.type_name());
      return;
    }
    std::string api_version = required_string(root.field("apiVersion"));
    std::string kind = required_string(root.field("kind"));
    if (!errors.empty()) {
      reject_document(where, errors.join());
      return;
    }
    if (kind == "List" && allow_list) {
      FieldReader items = root.field("items");
      items.each([&](const FieldReader& item) {
        std::string at = item.path();  // "items[3]"
        decode(item.node(), where + ", " + at, source_suffix + "/" + at, false);
      });
      if (!errors.empty()) reject_document(where, errors.join());
      return;
    }

    auto slash = api_version.rfind('/');
    std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    std::string version = api_version.substr(slash == std::string::npos ? 0 : slash + 1);
    const KindInfo* info = find_kind(group, kind);
    if (info == nullptr) {
      spdlog::debug("config: {}: {}: ignoring kind {} ({})", file_, where, kind, api_version);
      return;
    }
    if (std::find(info->versions.begin(), info->versions.end(), version) == info->versions.end()) {
      root.field("apiVersion").error(quote(api_version) + " is not a supported version of " + kind);
    }

    state::ObjectMeta meta =
        decode_metadata(root.field("metadata"), info->namespaced, info->name_error);
    if (!info->only_name.empty() && meta.name != info->only_name) {
      spdlog::debug("config: {}: {}: ignoring {} {} (only {} is read)", file_, where, kind,
                    meta.name, info->only_name);
      return;
    }
    meta.source = source_ + source_suffix;
    std::optional<ObjectKey> key;
    if (!meta.name.empty()) key = ObjectKey{kind, meta.namespace_, meta.name};
    std::string display = key ? key->display()
                              : kind + " " +
                                    (meta.namespace_.empty() ? "" : meta.namespace_ + "/") +
                                    "<unnamed> (" + where + ")";

    std::shared_ptr<const Object> object;
    try {
      object = std::make_shared<const Object>(info->decode(root, std::move(meta)));
    } catch (const std::exception& e) {  // a decoder bug must not take the daemon down
      errors.add("", std::string("internal error while decoding: ") + e.what());
    }
    if (!errors.empty()) {
      out_.push_back({key, nullptr, file_ + ": " + display + ": " + errors.join()});
    } else {
      out_.push_back({key, std::move(object), ""});
    }
  }

 private:
  static std::string required_string(const FieldReader& field) {
    auto value = field.string();  // records a wrong type itself
    if (value ? value->empty() : !field.present()) field.error("required");
    return value.value_or("");
  }

  void reject_document(const std::string& where, const std::string& problem) {
    out_.push_back({std::nullopt, nullptr, file_ + ": " + where + ": " + problem});
  }

  const std::string& file_;
  const std::string& source_;
  std::vector<DecodedObject>& out_;
};

}  // namespace

Result<std::vector<DecodedObject>> parse_yaml(const std::string& text, const std::string& file,
                                              const std::string& source, size_t first_document) {
  if (text.size() > kMaxYamlBytes) {
    return make_error(file + ": larger than " + std::to_string(kMaxYamlBytes >> 20) + " MiB");
  }
  if (auto at = first_invalid_utf8(text)) {
    return make_error(file + ": invalid YAML: not UTF-8 (byte " + std::to_string(*at + 1) + ")");
  }
  std::vector<YAML::Node> docs;
  try {
    docs = load_all_documents(text);  // not YAML::LoadAll: see yaml_documents.h
  } catch (const YAML::Exception& e) {
    std::string at = e.mark.is_null() ? ""
                                      : "line " + std::to_string(e.mark.line + 1) + ", column " +
                                            std::to_string(e.mark.column + 1) + ": ";
    return make_error(file + ": " + at + "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return make_error(file + ": invalid YAML: " + e.what());
  }

  std::vector<DecodedObject> out;
  DocumentDecoder decoder(file, source, out);
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string n = std::to_string(i + first_document);
    try {
      decoder.decode(docs[i], "document " + n, "#" + n, true);
    } catch (const std::exception& e) {  // yaml-cpp surprises: reject the document, not the file
      out.push_back({std::nullopt, nullptr, file + ": document " + n + ": " + e.what()});
    }
  }
  return out;
}

Result<std::vector<DecodedObject>> parse_object(const std::string& text, const std::string& unit,
                                                const std::string& source) {
  if (text.size() > kMaxYamlBytes) {
    return make_error(unit + ": larger than " + std::to_string(kMaxYamlBytes >> 20) + " MiB");
  }
  if (auto at = first_invalid_utf8(text)) {
    return make_error(unit + ": not UTF-8 (byte " + std::to_string(*at + 1) + ")");
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const std::exception& e) {
    return make_error(unit + ": not JSON or YAML: " + e.what());
  }
  std::vector<DecodedObject> out;
  DocumentDecoder decoder(unit, source, out);
  try {
    decoder.decode(doc, "object", "", false);
  } catch (const std::exception& e) {
    out.push_back({std::nullopt, nullptr, unit + ": " + e.what()});
  }
  return out;
}

}  // namespace zmesh::config
