#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string_view>
#include <variant>

#include "app/daemon.h"
#include "app/options.h"
#include "ca/ca_command.h"

int main(int argc, char** argv) {
  // splice(2) into a socket whose peer is gone raises SIGPIPE (it has no MSG_NOSIGNAL);
  // the relay handles EPIPE as a value instead.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && std::string_view(argv[1]) == "ca") return zmesh::ca::run_ca_command(argc, argv);
  auto parsed = zmesh::app::parse_options(argc, argv);
  if (auto* help = std::get_if<zmesh::app::ShowHelp>(&parsed)) {
    std::fputs(help->text.c_str(), stdout);
    return 0;
  }
  if (auto* error = std::get_if<zmesh::Error>(&parsed)) {
    std::fprintf(stderr, "ztunnel: %s\nRun 'ztunnel --help' for usage.\n", error->message.c_str());
    return 2;
  }
  return zmesh::app::run_daemon(std::get<zmesh::app::Options>(parsed));
}
