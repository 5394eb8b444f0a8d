// Buffer sizes of the HBONE data path, in one place. Bigger buffers mean fewer wake-ups and
// syscalls per MiB; the bounds keep per-tunnel memory in check. Chosen with
// tests/unit/hbone_throughput_test.cc (CPU seconds per GiB at each tunnel end): halving the
// batch sizes costs 10-25% more CPU, doubling them gains nothing. The per-stream bounds
// (kSendQueueBound, kRelayBuffer) are the exception, chosen in the pinned node lab (l4_bench):
// every stream of a pooled connection may hold that much, so with 8 iperf3 streams at
// 256/128 KiB the bytes parked in user space outgrew the caches and 8 streams carried ~10%
// less than 1 (docs/benchmarks.md, "HBONE mTLS path"); 64 KiB costs one stream nothing.
#pragma once

#include <cstddef>

namespace zmesh::hbone::detail {

// Read buffers start at kInitialBuffer and double (up to their maximum below) whenever a
// read fills them: idle connections and tunnels stay small, busy ones get big batches.
constexpr size_t kInitialBuffer = 16 * 1024;
// Ciphertext taken from the socket per recv().
constexpr size_t kCiphertextBuffer = 256 * 1024;
// Plaintext decrypted per reader round (fed to nghttp2 at once).
constexpr size_t kTlsReadBuffer = 256 * 1024;
// The writer stops collecting frames for one send() beyond this much output.
constexpr size_t kOutputBatch = 256 * 1024;
// Largest DATA frame we send (also capped by the peer's SETTINGS_MAX_FRAME_SIZE).
constexpr size_t kMaxDataFrame = 64 * 1024;
// DATA payloads from this size on are encrypted straight from the stream's send queue;
// smaller ones are copied so that they share a TLS record with the frames around them.
constexpr size_t kDirectEncryptMin = 4 * 1024;
// write() returns once the stream's unsent bytes are below this (back-pressure bound).
constexpr size_t kSendQueueBound = 64 * 1024;
// start_stream_relay's socket reads (each direction).
constexpr size_t kRelayBuffer = 64 * 1024;

}  // namespace zmesh::hbone::detail
