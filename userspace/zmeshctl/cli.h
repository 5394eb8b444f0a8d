// Shared pieces of zmeshctl's command line. Parsing is CLI11 (Debian's libcli11-dev,
// header-only); each command group registers its subcommands and a runner.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace zmesh::zmeshctl {

// Exit codes: 0 success, 1 the operation failed (daemon error, unreachable, ...), 2 usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string run_dir;           // where the daemon's control socket lives
  std::string pin_root;          // where the BPF maps are pinned
  std::string output = "table";  // "table" | "json"
  bool json() const { return output == "json"; }
};

struct Command {
  CLI::App* app;
  std::function<int()> run;  // called when `app` was the parsed subcommand
};

// Defaults: flag, else environment (ZMESH_RUN_DIR, ZMESH_BPF_PIN_ROOT), else the
// standard paths /var/run/zmesh and /sys/fs/bpf/zmesh.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Validator for "NAMESPACE/NAME".
CLI::Validator pod_key_validator();

// "zmeshctl: <message>" on stderr; returns kExitFailure.
int fail(const std::string& message);

}  // namespace zmesh::zmeshctl
