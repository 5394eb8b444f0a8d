#include "transport/inbound_watch.h"

#include <spdlog/spdlog.h>

#include "rbac/inbound_decision.h"

namespace zmesh::transport {
std::shared_ptr<RelayCloser> InboundWatch::watch(std::string pod_uid, rbac::ConnectionView view) {
  if (live_.size() >= prune_at_) {
    prune();
    prune_at_ = std::max<size_t>(64, live_.size() * 2);
  }
  auto closer = std::make_shared<RelayCloser>();
  live_.push_back({std::move(pod_uid), std::move(view), closer});
  return closer;
}

void InboundWatch::prune() {
  std::erase_if(live_, [](const Watched& w) { return w.closer.expired(); });
}

size_t InboundWatch::recheck(const state::Snapshot& snapshot) {
  prune();
  size_t closed = 0;
  for (const auto& w : live_) {
    auto destination = snapshot.workload_by_uid(w.pod_uid);
    if (!destination) continue;  // the pod is going away: its own teardown ends these
    auto why = rbac::recheck_denial(snapshot, *destination, w.view);
    if (!why) continue;
    auto closer = w.closer.lock();
    if (!closer) continue;
    spdlog::info("closing {} -> {}:{} of pod {}: {}", w.view.src_ip.to_string(),
                 w.view.dst_ip.to_string(), w.view.dst_port, w.pod_uid, *why);
    closer->close("policy changed: " + *why);
    ++closed;
  }
  prune();
  return closed;
}

}  // namespace zmesh::transport
