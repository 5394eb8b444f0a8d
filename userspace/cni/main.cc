// zmesh-cni: the chained CNI plugin (CNI_COMMAND set: ADD/DEL/CHECK/VERSION, see plugin.h)
// and its installer (`zmesh-cni install|uninstall`, see installer.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "cni/installer.h"
#include "cni/plugin.h"

namespace {

int run_installer(int argc, char** argv) {
  CLI::App app{"zmesh-cni: install or remove the zmesh CNI plugin on this node", "zmesh-cni"};
  app.require_subcommand(1, 1);
  zmesh::cni::InstallOptions o;
  auto add_dirs = [&o](CLI::App* sub) {
    sub->add_option("--cni-bin-dir", o.bin_dir, "the node's CNI binary directory")->required();
    sub->add_option("--cni-conf-dir", o.conf_dir, "the node's CNI configuration directory")
        ->required();
  };
  // The chart's uninstall path: ownership by the zmesh pod's UID (see installer.h). A preStop
  // hook's command gets no $(VAR) expansion, hence --owner-env.
  std::string owner_env;
  auto add_owner = [&o, &owner_env](CLI::App* sub, const char* what) {
    auto* owner = sub->add_option("--owner", o.owner, what);
    sub->add_option("--owner-env", owner_env, "like --owner, the UID read from this variable")
        ->excludes(owner);
  };
  auto* install = app.add_subcommand("install", "copy the binary and chain the plugin");
  add_dirs(install);
  install->add_option("--run-dir", o.run_dir, "the daemon's --run-dir on the node")->required();
  install->add_option("--binary", o.binary, "the zmesh-cni to install (default: this one)");
  std::string excluded;
  auto* exclude = install->add_option(
      "--exclude-namespaces", excluded,
      "comma-separated namespaces the plugin passes through (\"\" = none; default: the plugin's)");
  add_owner(install, "record this zmesh pod UID as the owner in <run-dir>/cni-owner");
  auto* uninstall = app.add_subcommand("uninstall", "unchain the plugin and remove the binary");
  add_dirs(uninstall);
  uninstall->add_option("--run-dir", o.run_dir, "the daemon's --run-dir (holds cni-owner)");
  add_owner(uninstall, "remove only if <run-dir>/cni-owner names this UID (or nobody)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!owner_env.empty()) {
    const char* value = std::getenv(owner_env.c_str());
    if (value == nullptr || *value == '\0') {
      std::cerr << "zmesh-cni: --owner-env " << owner_env << ": the variable is not set\n";
      return 2;
    }
    o.owner = value;
  }
  if (exclude->count() > 0) {
    o.exclude_namespaces.emplace();
    std::stringstream names(excluded);
    for (std::string ns; std::getline(names, ns, ',');)
      if (!ns.empty()) o.exclude_namespaces->push_back(ns);
  }
  if (o.binary.empty()) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) o.binary.assign(self, static_cast<size_t>(n));
  }
  auto done = install->parsed() ? zmesh::cni::install(o) : zmesh::cni::uninstall(o);
  if (!done) {
    std::cerr << "zmesh-cni: " << done.error().message << "\n";
    return 1;
  }
  for (const auto& line : *done) std::cout << line << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (std::getenv("CNI_COMMAND") == nullptr) return run_installer(argc, argv);
  std::string stdin_text(std::istreambuf_iterator<char>(std::cin), {});
  auto out = zmesh::cni::run_plugin(zmesh::cni::environment_from(::getenv), stdin_text,
                                    zmesh::cni::system_host());
  std::cout << out.stdout_text;
  std::cout.flush();
  return out.exit_code;
}
