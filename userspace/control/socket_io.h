// Non-blocking send/receive on an AF_UNIX stream socket with SCM_RIGHTS fd passing.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace zmesh::control {

// Appends what is readable now to `buf`. The first fd received (SCM_RIGHTS) goes to `fd`
// if it is still empty; any others are closed. Returns bytes read, 0 at EOF, or -errno
// (-EAGAIN when nothing is readable yet).
ssize_t recv_some(int sock, std::string& buf, UniqueFd& fd);

// Sends what fits now, attaching `fd` when >= 0 (pass it with the first chunk only).
// Returns bytes sent or -errno. Never raises SIGPIPE.
ssize_t send_some(int sock, std::string_view data, int fd);

}  // namespace zmesh::control
