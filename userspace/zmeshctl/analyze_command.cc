#include "analyze_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/http_policy_ports.h"
#include "config/object_store.h"
#include "config/yaml_parser.h"

namespace zmesh::zmeshctl {
namespace {

namespace fs = std::filesystem;

bool is_yaml(const fs::path& path) {
  auto ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// The files named on the command line, directories walked recursively in name order.
Result<std::vector<fs::path>> collect(const std::vector<std::string>& args) {
  std::vector<fs::path> files;
  for (const auto& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(arg, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && is_yaml(it->path())) found.push_back(it->path());
      }
      if (ec) return make_error(arg + ": " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(arg, ec)) {
      files.emplace_back(arg);
    } else {
      return make_error(arg + ": no such file or directory");
    }
  }
  return files;
}

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int run_analyze(const GlobalOptions& options, const std::vector<std::string>& args) {
  auto files = collect(args);
  if (!files) return fail(files.error().message);
  // The daemon's path: each file decoded and validated object by object, then merged with
  // the same duplicate and last-good rules.
  config::ObjectStore store;
  for (const auto& path : *files) {
    auto text = read_text(path);
    if (!text) return fail(text.error().message);
    store.set_file(path.string(), config::parse_yaml(*text, path.string(), path.string()));
  }
  store.commit();
  const auto& errors = store.errors();
  // Then what the valid objects mean together (warnings: they do not fail the run, as
  // istioctl analyze's default failure threshold is Error).
  std::vector<std::string> warnings;
  auto config = routing::L7Config::build(store.build_snapshot());
  for (const auto& f : analysis::http_rules_on_l4_ports(*config))
    warnings.push_back(f.object + ": " + f.message);

  if (options.json()) {
    nlohmann::json out = {{"files", files->size()},
                          {"objects", store.size()},
                          {"errors", errors},
                          {"warnings", warnings}};
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& e : errors) std::cout << "Error: " << e << "\n";
    for (const auto& w : warnings) std::cout << "Warning: " << w << "\n";
    if (errors.empty() && warnings.empty())
      std::cout << "No validation issues found when analyzing " << files->size() << " file(s), "
                << store.size() << " object(s).\n";
    else
      std::cout << errors.size() << " error(s), " << warnings.size() << " warning(s) in "
                << files->size() << " file(s); " << store.size() << " valid object(s).\n";
  }
  return errors.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_analyze_command(CLI::App& app, const GlobalOptions& options,
                         std::vector<Command>& commands) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* analyze = app.add_subcommand(
      "analyze",
      "Validate Kubernetes and Istio YAML offline, as the daemon would (exit 1 on errors)");
  analyze->add_option("paths", *paths, "Files or directories (*.yaml, *.yml, *.json)")->required();
  commands.push_back({analyze, [&options, paths] { return run_analyze(options, *paths); }});
}

}  // namespace zmesh::zmeshctl
