#include "cni/conflist.h"

#include <algorithm>
#include <utility>

namespace zmesh::cni {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_ours(const ConfJson& plugin) {
  return plugin.is_object() && plugin.contains("type") && plugin["type"] == kPluginType;
}

// libcni's ConfFromBytes: an object naming its plugin "type".
Result<void> check_plugin(const ConfJson& plugin, const std::string& what) {
  if (!plugin.is_object()) return make_error(what + " is not a JSON object");
  auto type = plugin.find("type");
  if (type == plugin.end() || !type->is_string() || type->get<std::string>().empty())
    return make_error(what + " has no \"type\"");
  return ok();
}

}  // namespace

bool is_config_file_name(std::string_view name) {
  return ends_with(name, ".conflist") || ends_with(name, ".conf") || ends_with(name, ".json");
}

bool is_conflist(const ConfJson& config) {
  return config.is_object() && config.contains("plugins");
}

Result<ConfJson> parse_config(const ConfFile& file) {
  ConfJson config;
  try {
    config = ConfJson::parse(file.text);
  } catch (const nlohmann::json::exception& e) {
    return make_error(std::string("not JSON (") + e.what() + ")");
  }
  if (!config.is_object()) return make_error("not a JSON object");
  if (ends_with(file.name, ".conflist")) {
    auto plugins = config.find("plugins");
    if (plugins == config.end() || !plugins->is_array())
      return make_error("a .conflist without a \"plugins\" array");
    if (plugins->empty()) return make_error("a .conflist with no plugins");
    for (size_t i = 0; i < plugins->size(); ++i) {
      auto checked = check_plugin((*plugins)[i], "plugin " + std::to_string(i));
      if (!checked) return checked.error();
    }
    return config;
  }
  auto checked = check_plugin(config, "a single-plugin config");
  if (!checked) return checked.error();
  return config;
}

Result<PrimaryConfig> pick_primary(std::vector<ConfFile> files) {
  std::sort(files.begin(), files.end(),
            [](const ConfFile& a, const ConfFile& b) { return a.name < b.name; });
  PrimaryConfig primary;
  for (const auto& file : files) {
    if (!is_config_file_name(file.name)) continue;
    auto config = parse_config(file);
    if (!config) {
      primary.skipped.push_back(file.name + ": " + config.error().message);
      continue;
    }
    primary.name = file.name;
    primary.config = std::move(*config);
    return primary;
  }
  std::string message = "no CNI network configuration (*.conflist, *.conf, *.json) that loads";
  for (const auto& why : primary.skipped) message += "; skipped " + why;
  return make_error(message);
}

ConfJson plugin_entry(const std::string& run_dir,
                      const std::optional<std::vector<std::string>>& exclude_namespaces) {
  ConfJson entry = {{"type", kPluginType}, {"runDir", run_dir}};
  if (exclude_namespaces) entry["excludeNamespaces"] = *exclude_namespaces;
  return entry;
}

ConfJson wrap_single(const ConfJson& plugin) {
  ConfJson list = ConfJson::object();
  auto name = plugin.find("name");
  list["name"] = name != plugin.end() && name->is_string() ? *name : ConfJson("k8s-pod-network");
  auto version = plugin.find("cniVersion");
  list["cniVersion"] =
      version != plugin.end() && version->is_string() ? *version : ConfJson("0.3.1");
  list["plugins"] = ConfJson::array({plugin});
  return list;
}

ConfJson with_plugin(const ConfJson& config, const ConfJson& entry) {
  ConfJson list = without_plugin(is_conflist(config) ? config : wrap_single(config));
  list["plugins"].push_back(entry);
  return list;
}

size_t count_plugin(const ConfJson& config) {
  if (!is_conflist(config) || !config["plugins"].is_array()) return 0;
  const auto& plugins = config["plugins"];
  return static_cast<size_t>(std::count_if(plugins.begin(), plugins.end(), is_ours));
}

ConfJson without_plugin(const ConfJson& list) {
  ConfJson out = list;
  if (!is_conflist(out) || !out["plugins"].is_array()) return out;
  ConfJson kept = ConfJson::array();
  for (const auto& plugin : out["plugins"])
    if (!is_ours(plugin)) kept.push_back(plugin);
  out["plugins"] = std::move(kept);
  return out;
}

std::string conflist_name(const std::string& name) {
  if (ends_with(name, ".conflist")) return name;
  for (std::string_view ext : {".conf", ".json"})
    if (ends_with(name, ext)) return name.substr(0, name.size() - ext.size()) + ".conflist";
  return name + ".conflist";
}

}  // namespace zmesh::cni
