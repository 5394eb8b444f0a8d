// Inbound connections a worker relays, kept so that a policy change ends those the new policy
// no longer admits, as Istio's ztunnel does (its PolicyWatcher): plaintext ones once a
// PeerAuthentication turns STRICT, and any an AuthorizationPolicy now denies. Without this a
// connection opened before a DENY would outlive it for as long as it stays open.
//
// One per worker, touched only on its thread: connections register on the worker that relays
// them; the daemon posts each new snapshot's re-check to every worker.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/relay_deadline.h"
#include "rbac/connection_view.h"
#include "state/snapshot.h"

namespace zmesh::transport {

class InboundWatch {
 public:
  // Watches a connection into pod `pod_uid` (`view`: its addresses and proven source); the
  // returned closer goes into the relay's limits, whose lifetime ends the watch.
  std::shared_ptr<RelayCloser> watch(std::string pod_uid, rbac::ConnectionView view);

  // Closes every watched connection `snapshot` no longer admits; returns how many.
  size_t recheck(const state::Snapshot& snapshot);

  size_t size() const { return live_.size(); }  // including relays just ended

 private:
  struct Watched {
    std::string pod_uid;
    rbac::ConnectionView view;
    std::weak_ptr<RelayCloser> closer;
  };
  void prune();

  std::vector<Watched> live_;
  size_t prune_at_ = 64;  // amortized: prune ended relays when the list doubles
};

}  // namespace zmesh::transport
