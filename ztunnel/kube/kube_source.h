// The Kubernetes API config source: one Reflector per kind in the registry feeds the same
// last-good ObjectStore as the directory source (each API object is one unit,
// "k8s:Pod/ns/name"; a deleted object removes its unit), and every change compiles a new
// Snapshot. Bursts are batched (at most one snapshot every 20 ms), so a LIST of thousands
// of objects makes one snapshot; the first snapshot waits for the initial LIST of every
// kind, so the data path never sees a half-listed cluster.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config_source.h"
#include "kube/credentials.h"
#include "kube/reflector.h"
#include "state/snapshot.h"

namespace zmesh::kube {

class KubeSource : public config::ConfigSource {
 public:
  using OnSnapshot = std::function<void(std::shared_ptr<const state::Snapshot>)>;

  // Runs on `io` (the control thread); `on_snapshot` is called there.
  KubeSource(boost::asio::io_context& io, Credentials credentials, std::string root_namespace,
             OnSnapshot on_snapshot, ReflectorOptions options = {});
  ~KubeSource() override;

  // Fails only for unusable credentials (bad server URL, unreadable CA or key); an
  // unreachable server is retried with backoff.
  Result<void> start() override;
  bool synced() const override;
  std::vector<std::string> errors() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zmesh::kube
