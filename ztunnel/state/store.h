// Holds the current Snapshot. Readers (workers) load it without taking a lock the writer
// (control thread) could hold for long; a config change is one atomic pointer swap.
#pragma once

#include <atomic>
#include <memory>

#include "state/snapshot.h"

namespace zmesh::state {

class Store {
 public:
  Store() : current_(std::make_shared<const Snapshot>()) {}
  std::shared_ptr<const Snapshot> current() const {
    return current_.load(std::memory_order_acquire);
  }
  void publish(std::shared_ptr<const Snapshot> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace zmesh::state
