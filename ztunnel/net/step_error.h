// One spelling for a failed step of a client exchange (the Kubernetes API client, the remote CA
// client): "connect: Connection refused", "read reply: timed out".
#pragma once

#include <boost/system/error_code.hpp>

#include "common/result.h"

namespace zmesh {

// "<step>: <reason>", where Beast's stream timeout (an expired expires_at) reads "timed out".
Error step_error(const char* step, const boost::system::error_code& ec);

}  // namespace zmesh
