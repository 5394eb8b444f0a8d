#include "daemon_commands.h"

#include <fcntl.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <optional>

#include "certs_view.h"
#include "common/unique_fd.h"
#include "control/control.h"
#include "control/ops.h"
#include "mesh_views.h"
#include "status_view.h"

namespace zmesh::zmeshctl {
namespace {

using nlohmann::json;

// Sends `request`; on success returns the reply, else prints why and returns nothing.
std::optional<json> ask_daemon(const GlobalOptions& options, const std::string& command,
                               const json& request, int fd = -1) {
  auto reply = control::call(control::socket_path(options.run_dir), request, fd);
  if (!reply) {
    fail(reply.error().message);
    return std::nullopt;
  }
  auto checked = control::check_reply(*reply);
  if (!checked) {
    fail(command + ": " + checked.error().message);
    return std::nullopt;
  }
  return std::move(checked.value());
}

void print_json(const json& j) {
  std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

int run_enroll(const GlobalOptions& options, const std::string& pod, const std::string& netns) {
  UniqueFd fd(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(errno_error("cannot open network namespace " + netns, errno).message);
  auto reply = ask_daemon(options, "enroll " + pod, control::enroll_request(pod, netns), fd.get());
  if (!reply) return kExitFailure;
  if (options.json()) {
    print_json(*reply);
    return kExitOk;
  }
  std::cout << "enrolled " << pod;
  if (const json cookie = field(*reply, {"netnsCookie", "netns_cookie"}); !cookie.is_null())
    std::cout << " (netns cookie " << cookie.dump() << ")";
  std::cout << "\n";
  return kExitOk;
}

int run_unenroll(const GlobalOptions& options, const std::string& pod) {
  auto reply = ask_daemon(options, "unenroll " + pod, control::unenroll_request(pod));
  if (!reply) return kExitFailure;
  if (options.json())
    print_json(*reply);
  else
    std::cout << "unenrolled " << pod << "\n";
  return kExitOk;
}

int run_status(const GlobalOptions& options) {
  auto reply = ask_daemon(options, "status", control::status_request());
  if (!reply) return kExitFailure;
  // The daemon nests its status under "status"; accept a flat reply too.
  json status = reply->contains("status") ? (*reply)["status"] : *reply;
  if (status.is_object()) status.erase("ok");
  if (options.json())
    print_json(status);
  else
    std::cout << render_status(status);
  return kExitOk;
}

int run_config_dump(const GlobalOptions& options) {
  auto reply = ask_daemon(options, "config-dump", control::config_dump_request());
  if (!reply) return kExitFailure;
  if (reply->contains("config")) {
    print_json((*reply)["config"]);
  } else {
    reply->erase("ok");
    print_json(*reply);
  }
  return kExitOk;
}

// workloads, services, policies: one part of the daemon's config_dump as a table or JSON.
int run_view(const GlobalOptions& options, const std::string& what) {
  auto reply = ask_daemon(options, what, control::config_dump_request());
  if (!reply) return kExitFailure;
  const json config = reply->contains("config") ? (*reply)["config"] : *reply;
  json part = what == "policies" ? policies_of(config) : config.value(what, json::array());
  if (options.json()) {
    print_json(part);
  } else if (what == "workloads") {
    std::cout << render_workloads(part);
  } else if (what == "services") {
    std::cout << render_services(part);
  } else {
    std::cout << render_policies(part);
  }
  return kExitOk;
}

int run_certs(const GlobalOptions& options) {
  auto reply = ask_daemon(options, "certs", control::certs_request());
  if (!reply) return kExitFailure;
  json certs = reply->contains("certs") ? (*reply)["certs"] : json::object();
  if (options.json())
    print_json(certs);
  else
    std::cout << render_certs(certs);
  return kExitOk;
}

}  // namespace

void add_daemon_commands(CLI::App& app, const GlobalOptions& options,
                         std::vector<Command>& commands) {
  struct PodArgs {
    std::string pod, netns;
  };
  auto args = std::make_shared<PodArgs>();

  auto* enroll = app.add_subcommand("enroll", "Hand a pod's network namespace to ztunnel");
  enroll->add_option("--pod", args->pod, "Pod as NAMESPACE/NAME")
      ->required()
      ->check(pod_key_validator());
  enroll->add_option("--netns", args->netns, "Path of the pod's netns (e.g. /run/netns/X)")
      ->required();
  commands.push_back(
      {enroll, [&options, args] { return run_enroll(options, args->pod, args->netns); }});

  auto* unenroll = app.add_subcommand("unenroll", "Take a pod out of the mesh");
  unenroll->add_option("--pod", args->pod, "Pod as NAMESPACE/NAME")
      ->required()
      ->check(pod_key_validator());
  commands.push_back({unenroll, [&options, args] { return run_unenroll(options, args->pod); }});

  auto* status = app.add_subcommand("status", "Show the node daemon's state");
  commands.push_back({status, [&options] { return run_status(options); }});

  auto* dump = app.add_subcommand("config-dump", "Print the daemon's configuration (JSON)");
  commands.push_back({dump, [&options] { return run_config_dump(options); }});

  for (const char* what : {"workloads", "services", "policies"}) {
    auto* view = app.add_subcommand(
        what, std::string("List the daemon's current ") + what + " (from its config view)");
    commands.push_back({view, [&options, what] { return run_view(options, what); }});
  }

  auto* certs =
      app.add_subcommand("certs", "List workload certificates (identity, serial, validity, chain)");
  commands.push_back({certs, [&options] { return run_certs(options); }});
}

}  // namespace zmesh::zmeshctl
