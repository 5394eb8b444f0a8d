#include "connection_limits_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "bpf/datapath.h"
#include "common/endpoint_text.h"
#include "table.h"

namespace zmesh::zmeshctl {
namespace {

using nlohmann::json;

int run_connection_limits(const GlobalOptions& options) {
  auto maps = bpf::PinnedMaps::open(options.pin_root);
  if (!maps) return fail("connection-limits: " + maps.error().message);
  auto limits = maps->connection_limits();

  if (options.json()) {
    json out = json::array();
    for (const auto& l : limits)
      out.push_back({{"destination", endpoint_text(l.destination)},
                     {"maxConnections", l.max_connections},
                     {"active", l.active},
                     {"rejected", l.rejected}});
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : limits)
    rows.push_back({endpoint_text(l.destination),
                    l.max_connections ? std::to_string(l.max_connections) : "- (removed)",
                    std::to_string(l.active), std::to_string(l.rejected)});
  std::cout << render_table({"DESTINATION", "MAX CONNECTIONS", "ACTIVE", "REJECTED"}, rows);
  return kExitOk;
}

}  // namespace

void add_connection_limits_command(CLI::App& app, const GlobalOptions& options,
                                   std::vector<Command>& commands) {
  auto* cmd = app.add_subcommand(
      "connection-limits",
      "DestinationRule maxConnections enforced in the kernel, per Service VIP:port (BPF maps)");
  commands.push_back({cmd, [&options] { return run_connection_limits(options); }});
}

}  // namespace zmesh::zmeshctl
