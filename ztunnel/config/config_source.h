// What the daemon needs from a config source (a directory of YAML, or the Kubernetes API):
// start it, know when its first full view is in, and list what it rejected. Snapshots go to
// the callback each source takes at construction, on the control thread.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace zmesh::config {

class ConfigSource {
 public:
  virtual ~ConfigSource() = default;

  // Starts loading and watching. An Error means the source cannot work at all (bad
  // directory, unusable credentials); a source that is merely unreachable keeps retrying.
  virtual Result<void> start() = 0;
  // True once a snapshot of the complete config was published (a directory: after start();
  // the API server: after the first LIST of every kind).
  virtual bool synced() const = 0;
  // One message per rejected object or file, as of the latest snapshot.
  virtual std::vector<std::string> errors() const = 0;
};

}  // namespace zmesh::config
