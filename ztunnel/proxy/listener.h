// Accept loops for one pod's in-pod listeners, one acceptor per worker (SO_REUSEPORT):
// the kernel spreads connections over workers, and each connection stays on its worker.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "common/result.h"
#include "transport/pod_netns.h"
#include "transport/proxy_context.h"
#include "transport/worker_pool.h"

namespace zmesh::proxy {

enum class ListenerKind { kOutbound, kInboundPlain, kInboundHbone };

class PodListeners {
 public:
  // Opens the pod's listeners inside its netns on every worker: 15001 on loopback (redirected
  // app connections), 15006 on loopback (reached only through sk_lookup steering) and 15008
  // on all addresses (HBONE from other ztunnels).
  static Result<std::unique_ptr<PodListeners>> open(transport::ProxyContext& ctx,
                                                    transport::WorkerPool& pool,
                                                    std::vector<transport::WorkerState>& workers,
                                                    std::shared_ptr<const transport::PodNetns> pod);
  ~PodListeners();  // closes the acceptors on their workers; live connections go on

  // A 15006 socket for BPF's sockhash (any member of the reuseport group will do).
  int inbound_fd() const { return inbound_fd_; }

  struct Acceptor;  // one worker's acceptor (defined in listener.cc)

 private:
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
  int inbound_fd_ = -1;
};

}  // namespace zmesh::proxy
