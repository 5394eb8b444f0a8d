// The pure part of the zmesh-cni installer, over JSON values and file names only (installer.cc
// does the file work): which file of a CNI configuration directory is the node's primary network
// configuration (the first one, in name order, that libcni would load), and the edits that chain
// zmesh-cni into it as the last plugin, wrap a single-plugin .conf into a conflist as istio-cni
// does, and take zmesh-cni out again. JSON keeps the file's key order (ordered_json), so a
// rewritten file differs from the original only by our entry.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace zmesh::cni {

using ConfJson = nlohmann::ordered_json;

// The plugin "type" (= binary name) of our entry.
inline constexpr std::string_view kPluginType = "zmesh-cni";

// One file of a CNI configuration directory: its name (no directory) and its bytes.
struct ConfFile {
  std::string name;
  std::string text;
};

// Whether libcni reads a file of this name: *.conflist, *.conf, *.json.
bool is_config_file_name(std::string_view name);

// Whether `config` is a plugin list (has "plugins"), as opposed to a single-plugin .conf.
bool is_conflist(const ConfJson& config);

// Parses a file as libcni would load it: a *.conflist must be an object with a non-empty
// "plugins" array of objects that each name a "type"; a *.conf or *.json one plugin object with
// a "type". The error says what is wrong (no file name: the caller adds it).
Result<ConfJson> parse_config(const ConfFile& file);

struct PrimaryConfig {
  std::string name;  // the file chosen
  ConfJson config;   // its parsed contents
  std::vector<std::string>
      skipped;  // "<name>: <why>" for each earlier config file that did not load
};

// The first config file in name order (byte order, as libcni sorts) that parses; files whose
// names are not config names are ignored. An error when none does, listing the files skipped.
Result<PrimaryConfig> pick_primary(std::vector<ConfFile> files);

// Our conflist entry: {"type":"zmesh-cni","runDir":R} and, when given, "excludeNamespaces".
ConfJson plugin_entry(const std::string& run_dir,
                      const std::optional<std::vector<std::string>>& exclude_namespaces = {});

// A single-plugin config wrapped into a list, as istio-cni does:
// {"name":"k8s-pod-network","cniVersion":"0.3.1","plugins":[plugin]}, keeping the plugin's own
// "name" and "cniVersion" when it has them.
ConfJson wrap_single(const ConfJson& plugin);

// `config` (a list, or a single plugin that is wrapped first) with every zmesh-cni entry dropped
// and `entry` appended as the last plugin. Applied to its own result it changes nothing.
ConfJson with_plugin(const ConfJson& config, const ConfJson& entry);

// How many plugins of a list are zmesh-cni entries (0 for a single-plugin config).
size_t count_plugin(const ConfJson& config);

// A list without its zmesh-cni entries; everything else as it was.
ConfJson without_plugin(const ConfJson& list);

// The name a config file is written back under once it holds a list: unchanged for *.conflist,
// "<base>.conflist" for "<base>.conf" / "<base>.json" (libcni reads lists only from .conflist).
std::string conflist_name(const std::string& name);

}  // namespace zmesh::cni
