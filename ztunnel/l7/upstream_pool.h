// Idle upstream HTTP/1.1 connections of one worker, kept for reuse by the next request to the
// same endpoint from the same pod (the key), as Envoy keeps per-worker connection pools.
// Idle connections past kIdleTimeout are dropped when next looked at.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "l7/upstream_channel.h"

namespace zmesh::l7 {

inline constexpr std::chrono::seconds kIdleTimeout{30};
inline constexpr size_t kMaxIdlePerKey = 32;

struct UpstreamConnection {
  std::unique_ptr<UpstreamChannel> channel;
  boost::beast::flat_buffer buffer;  // bytes read from the upstream not yet parsed
  uint64_t served = 0;               // requests answered on it
  bool reused = false;               // came from the pool (may have been closed meanwhile)
  std::chrono::steady_clock::time_point idle_since;
  std::string security_policy = "none", source_principal, destination_principal;  // as opened
};

class UpstreamPool {
 public:
  std::unique_ptr<UpstreamConnection> take(const std::string& key);
  void put(const std::string& key, std::unique_ptr<UpstreamConnection> connection);
  size_t idle() const;

 private:
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace zmesh::l7
