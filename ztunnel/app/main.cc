#include <spdlog/spdlog.h>

#include <cstdio>
#include <variant>

#include "app/daemon.h"
#include "app/options.h"

int main(int argc, char** argv) {
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
