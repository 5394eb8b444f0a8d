#include "route/client_hello.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace zmesh::route {
namespace {

using State = ClientHelloSni::State;

// A bounds-checked reader: every read fails once past the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool skip(size_t n) {
    if (b_.size() - pos_ < n) return ok_ = false;
    pos_ += n;
    return true;
  }
  uint32_t number(size_t bytes) {
    uint32_t v = 0;
    if (b_.size() - pos_ < bytes) {
      ok_ = false;
      return 0;
    }
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | b_[pos_++];
    return v;
  }
  std::span<const uint8_t> take(size_t n) {
    if (b_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  bool empty() const { return pos_ == b_.size(); }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

constexpr uint8_t kHandshake = 22, kClientHello = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr size_t kMaxHello = 64 * 1024;  // beyond this, give up (no SNI)

ClientHelloSni sni_from_hello(std::span<const uint8_t> body) {
  Reader r(body);
  r.skip(2 + 32);       // legacy_version, random
  r.skip(r.number(1));  // legacy_session_id
  r.skip(r.number(2));  // cipher_suites
  r.skip(r.number(1));  // legacy_compression_methods
  if (!r.ok()) return {State::kNotTls, std::nullopt};
  if (r.empty()) return {State::kDone, std::nullopt};  // no extensions at all
  Reader ext(r.take(r.number(2)));
  if (!r.ok()) return {State::kNotTls, std::nullopt};
  while (!ext.empty() && ext.ok()) {
    uint32_t type = ext.number(2);
    Reader data(ext.take(ext.number(2)));
    if (!ext.ok()) break;
    if (type != kServerNameExtension) continue;
    Reader list(data.take(data.number(2)));
    while (!list.empty() && list.ok()) {
      uint32_t name_type = list.number(1);
      auto name = list.take(list.number(2));
      if (!list.ok() || name_type != 0) continue;
      std::string host(name.begin(), name.end());
      std::transform(host.begin(), host.end(), host.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return {State::kDone, host};
    }
    return {State::kNotTls, std::nullopt};
  }
  if (!ext.ok()) return {State::kNotTls, std::nullopt};
  return {State::kDone, std::nullopt};
}

}  // namespace

ClientHelloSni parse_client_hello_sni(std::span<const uint8_t> bytes) {
  // Join the handshake fragments of consecutive handshake records.
  std::vector<uint8_t> handshake;
  size_t pos = 0;
  for (;;) {
    if (bytes.size() - pos < 5) return {State::kNeedMore, std::nullopt};
    if (bytes[pos] != kHandshake || bytes[pos + 1] != 3) return {State::kNotTls, std::nullopt};
    size_t length = (size_t{bytes[pos + 3]} << 8) | bytes[pos + 4];
    if (length == 0) return {State::kNotTls, std::nullopt};
    if (bytes.size() - pos - 5 < length) {
      // The part of this record we have may already hold the whole ClientHello.
      auto have = bytes.subspan(pos + 5);
      handshake.insert(handshake.end(), have.begin(), have.end());
      pos = bytes.size();
    } else {
      auto record = bytes.subspan(pos + 5, length);
      handshake.insert(handshake.end(), record.begin(), record.end());
      pos += 5 + length;
    }
    if (handshake.size() >= 4) {
      if (handshake[0] != kClientHello) return {State::kNotTls, std::nullopt};
      size_t hello = (size_t{handshake[1]} << 16) | (size_t{handshake[2]} << 8) | handshake[3];
      if (hello > kMaxHello) return {State::kNotTls, std::nullopt};
      if (handshake.size() >= 4 + hello)
        return sni_from_hello(std::span<const uint8_t>(handshake).subspan(4, hello));
    }
    if (pos >= bytes.size()) return {State::kNeedMore, std::nullopt};
  }
}

}  // namespace zmesh::route
