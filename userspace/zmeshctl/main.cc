// zmeshctl: the operator CLI of a zmesh node.
#include <iostream>
#include <vector>

#include "analyze_command.h"
#include "cli.h"
#include "connection_limits_command.h"
#include "connections_command.h"
#include "daemon_commands.h"
#include "policies_command.h"

int main(int argc, char** argv) {
  using namespace zmesh::zmeshctl;

  CLI::App app{"zmeshctl: operate the zmesh daemon (ztunnel) of this node", "zmeshctl"};
  app.set_version_flag("--version", ZMESH_VERSION);
  app.require_subcommand(0, 1);  // none is checked below, so `zmeshctl bogus` says why
  // Global flags are accepted after the subcommand too (`zmeshctl status -o json`).
  app.fallthrough();

  GlobalOptions options;
  add_global_options(app, options);
  std::vector<Command> commands;
  add_daemon_commands(app, options, commands);
  add_connections_command(app, options, commands);
  add_connection_limits_command(app, options, commands);
  add_policies_command(app, options, commands);
  add_analyze_command(app, options, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a hint to --help
    return kExitUsage;
  }

  for (const auto& command : commands)
    if (command.app->parsed()) return command.run();
  std::cerr << app.help() << "zmeshctl: a command is required\n";
  return kExitUsage;
}
