#include "connections_command.h"

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "bpf/datapath.h"
#include "common/endpoint_text.h"
#include "table.h"

namespace zmesh::zmeshctl {
namespace {

using nlohmann::json;

int run_connections(const GlobalOptions& options, const std::string& pod_filter) {
  auto maps = bpf::PinnedMaps::open(options.pin_root);
  if (!maps) return fail("connections: " + maps.error().message);

  auto connections = maps->connections();
  std::erase_if(connections, [&](const bpf::Connection& c) {
    return !pod_filter.empty() && c.pod != pod_filter;
  });

  if (options.json()) {
    json out = json::array();
    for (const auto& c : connections)
      out.push_back({{"pod", c.pod},
                     {"src", endpoint_text(c.src)},
                     {"orig_dst", endpoint_text(c.orig_dst)},
                     {"redirected_to", endpoint_text(c.dst)},
                     {"netns_cookie", c.netns_cookie}});
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : connections)
    rows.push_back({c.pod.empty() ? "-" : c.pod, endpoint_text(c.src), endpoint_text(c.orig_dst),
                    std::to_string(c.netns_cookie)});
  std::cout << render_table({"POD", "SRC", "ORIG DST", "NETNS COOKIE"}, rows);
  return kExitOk;
}

}  // namespace

void add_connections_command(CLI::App& app, const GlobalOptions& options,
                             std::vector<Command>& commands) {
  auto pod = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("connections", "List live redirected connections (BPF maps)");
  cmd->add_option("--pod", *pod, "Only this pod (NAMESPACE/NAME)")->check(pod_key_validator());
  commands.push_back({cmd, [&options, pod] { return run_connections(options, *pod); }});
}

}  // namespace zmesh::zmeshctl
