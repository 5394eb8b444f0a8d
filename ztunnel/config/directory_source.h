// The standalone config source: Kubernetes YAML files in a directory, hot reloaded.
// Each object is validated alone; an invalid object (or unparsable file) keeps its last
// good version serving and is reported with file, kind, namespace/name and field.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config_source.h"
#include "state/snapshot.h"

namespace zmesh::config {

class DirectorySource : public ConfigSource {
 public:
  using OnSnapshot = std::function<void(std::shared_ptr<const state::Snapshot>)>;

  // Runs its watch on `io` (the control thread); `on_snapshot` is called there.
  // `root_namespace`: Istio's root namespace (mesh-wide policies), for the snapshots.
  DirectorySource(boost::asio::io_context& io, std::string dir, std::string root_namespace,
                  OnSnapshot on_snapshot);
  // With the root namespace "istio-system".
  DirectorySource(boost::asio::io_context& io, std::string dir, OnSnapshot on_snapshot)
      : DirectorySource(io, std::move(dir), state::kDefaultRootNamespace, std::move(on_snapshot)) {}
  ~DirectorySource() override;

  // Loads the directory once (calling on_snapshot) and starts watching it (inotify).
  Result<void> start() override;
  bool synced() const override { return started_; }

  // Errors from the most recent load, one per rejected object or file.
  std::vector<std::string> errors() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool started_ = false;
};

}  // namespace zmesh::config
