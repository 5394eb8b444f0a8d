#include "transport/worker_pool.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <string>

namespace zmesh::transport {

WorkerPool::WorkerPool(size_t workers) {
  for (size_t i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    auto* io = &w->io;
    w->thread = std::thread([io, i] {
      pthread_setname_np(pthread_self(), ("zt-worker-" + std::to_string(i)).c_str());
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          // A bug in one connection handler must not take the node's data path down.
          spdlog::error("worker {}: unhandled exception: {}", i, e.what());
        }
      }
    });
    workers_.push_back(std::move(w));
  }
}

void WorkerPool::stop() {
  for (auto& w : workers_) {
    w->guard.reset();
    w->io.stop();
  }
}

WorkerPool::~WorkerPool() {
  stop();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

}  // namespace zmesh::transport
