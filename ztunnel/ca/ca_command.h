// `ztunnel ca <verb>`: the CA's command line (init, issue-node, serve).
#pragma once

namespace zmesh::ca {

// argv[0] is "ztunnel", argv[1] is "ca". Returns the exit code: 0 ok (or --help), 1 the
// verb failed, 2 bad usage.
int run_ca_command(int argc, char** argv);

}  // namespace zmesh::ca
