#include "cli.h"

#include <iostream>

#include "control/ops.h"

namespace zmesh::zmeshctl {

void add_global_options(CLI::App& app, GlobalOptions& options) {
  options.run_dir = "/var/run/zmesh";
  options.pin_root = "/sys/fs/bpf/zmesh";
  app.add_option("--run-dir", options.run_dir, "Directory of the ztunnel control socket")
      ->envname("ZMESH_RUN_DIR")
      ->capture_default_str();
  app.add_option("--bpf-pin-root", options.pin_root, "Directory of the pinned BPF maps")
      ->envname("ZMESH_BPF_PIN_ROOT")
      ->capture_default_str();
  app.add_option("-o,--output", options.output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

CLI::Validator pod_key_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return control::valid_pod_key(value) ? "" : "expected NAMESPACE/NAME, got '" + value + "'";
      },
      "NS/NAME");
}

int fail(const std::string& message) {
  std::cerr << "zmeshctl: " << message << "\n";
  return kExitFailure;
}

}  // namespace zmesh::zmeshctl
