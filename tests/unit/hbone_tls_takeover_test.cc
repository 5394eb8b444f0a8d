// The session drives TLS itself after asio's handshake (hbone/tls_channel.h). The delicate
// moment is the switch: bytes the client sent right behind its Finished are already inside
// asio's BIO when the handshake completes, and must not be lost.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "hbone_test_env.h"

namespace zmesh::hbone::test {
namespace {

// A blocking TLS client on memory BIOs, so the test decides what goes out in which send().
class RawTlsClient {
 public:
  RawTlsClient(SSL_CTX* ctx, const tcp::endpoint& server) : ssl_(SSL_new(ctx)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(server.address().to_v4().to_uint());
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval timeout{3, 0};  // a lost byte shows as a failure, not a hung test
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
  }
  ~RawTlsClient() {
    SSL_free(ssl_);
    ::close(fd_);
  }

  // Runs the handshake but keeps its last flight (the Finished) unsent.
  bool handshake_holding_finished() {
    while (ok_) {
      int rv = SSL_connect(ssl_);
      if (rv == 1) return true;
      if (SSL_get_error(ssl_, rv) != SSL_ERROR_WANT_READ) return false;
      flush();
      if (!receive()) return false;
    }
    return false;
  }
  void write(const std::string& plain) {
    SSL_write(ssl_, plain.data(), static_cast<int>(plain.size()));
  }
  // Everything pending (Finished + application records) in one send().
  void flush() {
    char* data = nullptr;
    long n = BIO_get_mem_data(wbio_, &data);
    if (n > 0) ok_ = ok_ && ::send(fd_, data, static_cast<size_t>(n), 0) == n;
    (void)BIO_reset(wbio_);
  }
  bool receive() {
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    BIO_write(rbio_, buf, static_cast<int>(n));
    return true;
  }
  // Decrypted bytes until `want` bytes or the connection ends.
  std::string read(size_t want) {
    std::string out;
    char buf[16384];
    while (out.size() < want) {
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (SSL_get_error(ssl_, n) != SSL_ERROR_WANT_READ || !receive()) break;
    }
    return out;
  }

 private:
  SSL* ssl_;
  BIO* rbio_;
  BIO* wbio_;
  int fd_ = -1;
  bool ok_ = false;
};

std::string frame(uint8_t type, uint8_t flags, const std::string& payload) {
  std::string f(9, '\0');
  f[0] = static_cast<char>(payload.size() >> 16);
  f[1] = static_cast<char>(payload.size() >> 8);
  f[2] = static_cast<char>(payload.size());
  f[3] = static_cast<char>(type);
  f[4] = static_cast<char>(flags);
  return f + payload;
}

// Finds a PING ACK frame (type 6, flag 1) carrying `payload` in a stream of HTTP/2 frames.
bool has_ping_ack(const std::string& frames, const std::string& payload) {
  size_t at = 0;
  while (at + 9 <= frames.size()) {
    size_t length = (static_cast<uint8_t>(frames[at]) << 16) |
                    (static_cast<uint8_t>(frames[at + 1]) << 8) |
                    static_cast<uint8_t>(frames[at + 2]);
    if (frames[at + 3] == 6 && (frames[at + 4] & 1) && frames.compare(at + 9, length, payload) == 0)
      return true;
    at += 9 + length;
  }
  return false;
}

TEST(HboneTlsTakeover, KeepsBytesThatArrivedWithTheHandshake) {
  HboneEnv env;
  auto server = env.start_server({}, echo_handler);
  const std::string ping_payload = "takeover";
  std::atomic<bool> done{false};
  bool handshake_ok = false, acked = false;
  std::thread client([&] {
    RawTlsClient tls(env.client_tls->native_handle(), server);
    handshake_ok = tls.handshake_holding_finished();
    if (handshake_ok) {
      tls.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, "") + frame(6, 0, ping_payload));
      tls.flush();  // Finished + preface + SETTINGS + PING in one segment
      // The server's SETTINGS, its SETTINGS ack... and our PING's ack, somewhere in there.
      std::string got;
      while (!acked) {
        std::string more = tls.read(1);
        if (more.empty()) break;  // closed, or nothing within the receive timeout
        got += more;
        acked = has_ping_ack(got, ping_payload);
      }
    }
    done = true;
  });
  env.run([&]() -> asio::awaitable<void> {
    while (!done) co_await sleep_for(5ms);
  });
  client.join();
  EXPECT_TRUE(handshake_ok);
  EXPECT_TRUE(acked) << "the PING that came with the handshake was lost";
}

}  // namespace
}  // namespace zmesh::hbone::test
