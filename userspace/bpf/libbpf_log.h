// Routes libbpf's own messages (warnings and up, e.g. verifier logs) to spdlog.
#pragma once

namespace zmesh::bpf {

// Idempotent; libbpf keeps one process-wide print callback.
void route_libbpf_logs_to_spdlog();

}  // namespace zmesh::bpf
