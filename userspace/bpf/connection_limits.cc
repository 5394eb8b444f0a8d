#include "bpf/connection_limits.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <string>

#include "bpf/map_keys.h"
#include "common/endpoint_text.h"
#include "zmesh.h"

namespace zmesh::bpf {
namespace {

zmesh_conn_limit_key make_key(const Endpoint& destination) {
  zmesh_conn_limit_key key{};
  key.ip = to_zmesh_ip(destination.address());
  key.port = destination.port();
  return key;
}

Endpoint to_endpoint(const zmesh_conn_limit_key& key) {
  return Endpoint(from_zmesh_ip(key.ip), key.port);
}

// Every key of a map. Bounded by ZMESH_MAX_CONN_LIMITS (the size of both maps).
std::vector<zmesh_conn_limit_key> keys_of(int fd) {
  std::vector<zmesh_conn_limit_key> out;
  zmesh_conn_limit_key next{};
  const zmesh_conn_limit_key* prev = nullptr;
  for (int i = 0; i < ZMESH_MAX_CONN_LIMITS; ++i) {
    if (bpf_map_get_next_key(fd, prev, &next) != 0) break;
    out.push_back(next);
    prev = &out.back();
  }
  return out;
}

}  // namespace

std::vector<ConnectionLimit> read_connection_limits(int limits_fd, int counts_fd) {
  std::map<Endpoint, ConnectionLimit> by_destination;
  for (const auto& key : keys_of(limits_fd)) {
    zmesh_conn_limit limit{};
    if (bpf_map_lookup_elem(limits_fd, &key, &limit) != 0) continue;
    auto& out = by_destination[to_endpoint(key)];
    out.destination = to_endpoint(key);
    out.max_connections = limit.max_connections;
  }
  for (const auto& key : keys_of(counts_fd)) {
    zmesh_conn_count count{};
    if (bpf_map_lookup_elem(counts_fd, &key, &count) != 0) continue;
    auto& out = by_destination[to_endpoint(key)];
    out.destination = to_endpoint(key);
    out.active = count.active;
    out.rejected = count.rejected;
  }
  std::vector<ConnectionLimit> out;
  for (auto& [destination, limit] : by_destination) out.push_back(limit);
  return out;
}

Result<void> sync_connection_limits(int limits_fd, int counts_fd,
                                    const std::map<Endpoint, uint32_t>& wanted,
                                    std::vector<std::string>* changes) {
  if (wanted.size() > ZMESH_MAX_CONN_LIMITS)
    return make_error("more connection limits (" + std::to_string(wanted.size()) +
                      ") than the kernel map holds (" + std::to_string(ZMESH_MAX_CONN_LIMITS) +
                      ")");
  auto note = [&](const std::string& line) {
    if (changes) changes->push_back(line);
  };
  // Deletions first, so a full map has room for the new entries.
  for (const auto& key : keys_of(limits_fd)) {
    if (wanted.contains(to_endpoint(key))) continue;
    if (bpf_map_delete_elem(limits_fd, &key) != 0 && errno != ENOENT)
      return errno_error("delete connection limit of " + endpoint_text(to_endpoint(key)), errno);
    note("removed limit of " + endpoint_text(to_endpoint(key)));
  }
  for (const auto& [destination, max_connections] : wanted) {
    zmesh_conn_limit_key key = make_key(destination);
    zmesh_conn_limit current{};
    if (bpf_map_lookup_elem(limits_fd, &key, &current) == 0 &&
        current.max_connections == max_connections)
      continue;
    zmesh_conn_limit value{};
    value.max_connections = max_connections;
    if (bpf_map_update_elem(limits_fd, &key, &value, BPF_ANY) != 0)
      return errno_error("set connection limit of " + endpoint_text(destination), errno);
    note("maxConnections " + std::to_string(max_connections) + " for " +
         endpoint_text(destination));
  }
  // A count whose limit is gone and that nobody holds is dead weight. One with active slots
  // stays, so the limit, if it comes back, still sees those connections.
  for (const auto& key : keys_of(counts_fd)) {
    zmesh_conn_limit limit{};
    zmesh_conn_count count{};
    if (bpf_map_lookup_elem(limits_fd, &key, &limit) == 0) continue;
    if (bpf_map_lookup_elem(counts_fd, &key, &count) != 0 || count.active != 0) continue;
    bpf_map_delete_elem(counts_fd, &key);
  }
  return ok();
}

}  // namespace zmesh::bpf
