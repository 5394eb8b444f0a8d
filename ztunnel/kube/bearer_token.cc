#include "kube/bearer_token.h"

#include <spdlog/spdlog.h>

#include "kube/text_file.h"

namespace zmesh::kube {

BearerToken::BearerToken(std::string static_token, std::string file, std::chrono::seconds refresh)
    : token_(std::move(static_token)), file_(std::move(file)), refresh_(refresh) {}

const std::string& BearerToken::current(Clock::time_point now) {
  if (file_.empty() || (read_at_ != Clock::time_point::min() && now - read_at_ < refresh_))
    return token_;
  read_at_ = now;
  auto text = read_text_file(file_);
  if (!text) {
    spdlog::warn("kube: cannot re-read token: {}; keeping the previous one", text.error().message);
    return token_;
  }
  std::string token = *text;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token != token_ && !token_.empty()) spdlog::info("kube: token from {} changed", file_);
  token_ = std::move(token);
  return token_;
}

}  // namespace zmesh::kube
