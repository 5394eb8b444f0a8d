// The engine's nghttp2 glue (internal to h2/engine.cc): a session whose callbacks forward to
// the engine's Hooks, the engine being their user data.
#pragma once

#include <nghttp2/nghttp2.h>

#include "h2/engine.h"

namespace zmesh::h2::detail {

// Throws std::bad_alloc when nghttp2 cannot allocate (its only failure).
nghttp2_session* new_ng_session(Engine& engine, const EngineOptions& options);
nghttp2_data_provider hooks_data_provider();

}  // namespace zmesh::h2::detail
