// Thread-per-core: each worker owns one io_context and runs it on its own thread. A
// connection is accepted on a worker and lives there for its whole life.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace zmesh::transport {

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers);
  ~WorkerPool();  // stops and joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return workers_.size(); }
  boost::asio::io_context& context(size_t index) { return workers_[index]->io; }
  void stop();

 private:
  struct Worker {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace zmesh::transport
