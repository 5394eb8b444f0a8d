// Trailers on an nghttp2 stream, for both directions of the L7 path: a server's response and a
// client's request send them the same way, after the body's last DATA frame.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>

#include "route/header_list.h"

namespace zmesh::l7 {

// Call from a data source's read callback once the body is out (`flags` already has EOF):
// queues `trailers` (names lower-cased; nghttp2 copies them) to end the stream in place of the
// last DATA frame. Nothing to do without trailers.
void submit_trailers_at_eof(nghttp2_session* ng, int32_t stream_id,
                            const route::HeaderList& trailers, uint32_t* flags);

}  // namespace zmesh::l7
