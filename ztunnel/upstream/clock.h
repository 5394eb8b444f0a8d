// Time for outlier detection, injected so that tests drive it.
#pragma once

#include <chrono>

namespace zmesh::upstream {

using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace zmesh::upstream
