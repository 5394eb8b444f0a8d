// The bearer token sent to the API server. A token file (projected service-account token)
// is re-read every minute, as client-go does, and at once after a 401, since bound tokens
// rotate under us; a failed re-read keeps the last token.
#pragma once

#include <chrono>
#include <string>

namespace zmesh::kube {

class BearerToken {
 public:
  using Clock = std::chrono::steady_clock;

  BearerToken(std::string static_token, std::string file,
              std::chrono::seconds refresh = std::chrono::seconds(60));

  // The token to send now ("" for none); re-reads the file when due.
  const std::string& current(Clock::time_point now = Clock::now());
  // The server said 401: re-read the file before the next request.
  void invalidate() { read_at_ = Clock::time_point::min(); }

  bool from_file() const { return !file_.empty(); }

 private:
  std::string token_;
  std::string file_;
  std::chrono::seconds refresh_;
  Clock::time_point read_at_ = Clock::time_point::min();
};

}  // namespace zmesh::kube
