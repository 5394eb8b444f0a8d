// zping - tiny TCP request/response latency tool for the zmesh benchmarks (no dependencies).
//
//   zping server [--port 7000] [--bind 0.0.0.0]
//       echoes every message back (thread per connection); runs until killed
//   zping client --host H [--port 7000] [--size 64] [--rate 2000] [--seconds 5] [--warmup 0.5]
//                [--conns 1]
//       each connection sends a --size message, waits for the whole echo, and records the round
//       trip; requests are paced open-loop-ish at --rate per second in total (a late request is
//       sent at once, never skipped). Prints one JSON line: count, errors, min/p50/p90/p99/p999/max
//       and mean round-trip in microseconds.
//   zping connect --host H [--port 7000] [--size 64] [--seconds 5] [--warmup 0.5] [--conns 8]
//       new connections per second: each of --conns threads loops connect, one --size
//       request/response, close (closed loop, as fast as the path allows). Prints one JSON line:
//       count (completed after the warm-up), errors (failed connect/request, with the first
//       reason), attempts (all connects, warm-up included: to compare with a netns's TCP
//       counters), conns_per_s, and p50/p99 of the whole connect-to-response time.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  std::string bind = "0.0.0.0";
  int port = 7000;
  size_t size = 64;
  double rate = 2000;
  double seconds = 5;
  double warmup = 0.5;
  int conns = 1;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "zping: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t k = ::recv(fd, p, n, 0);
    if (k == 0) return false;
    if (k < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

void nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int serve(const Options& o) {
  int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.bind.c_str(), &a.sin_addr) != 1) die("bad --bind");
  if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
  if (::listen(ls, 512) < 0) die("listen");
  std::printf("{\"listening\": %d}\n", o.port);
  std::fflush(stdout);
  for (;;) {
    int fd = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    nodelay(fd);
    std::thread([fd] {
      std::vector<char> buf(64 * 1024);
      for (;;) {
        ssize_t k = ::recv(fd, buf.data(), buf.size(), 0);
        if (k <= 0) break;
        if (!write_all(fd, buf.data(), static_cast<size_t>(k))) break;
      }
      ::close(fd);
    }).detach();
  }
}

sockaddr_in resolve(const Options& o) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(o.port);
  if (::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res) != 0 || !res) die("resolve");
  sockaddr_in a{};
  std::memcpy(&a, res->ai_addr, sizeof a);
  ::freeaddrinfo(res);
  return a;
}

int connect_to(const Options& o) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(o.port);
  if (::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res) != 0 || !res) die("resolve");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (::connect(fd, res->ai_addr, res->ai_addrlen) < 0) die("connect");
  ::freeaddrinfo(res);
  nodelay(fd);
  return fd;
}

struct Result {
  std::vector<double> us;
  long errors = 0;
};

void client_conn(const Options& o, Result& r, Clock::time_point start) {
  int fd = connect_to(o);
  std::vector<char> msg(o.size, 'z'), back(o.size);
  const double per_conn_rate = o.rate / o.conns;
  const auto interval = std::chrono::duration<double>(1.0 / per_conn_rate);
  const auto warm_end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  const auto end = warm_end + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.seconds));
  auto next = start;
  r.us.reserve(static_cast<size_t>(per_conn_rate * o.seconds) + 16);
  for (;;) {
    auto now = Clock::now();
    if (now >= end) break;
    if (now < next) {
      std::this_thread::sleep_until(next);
    }
    next += std::chrono::duration_cast<Clock::duration>(interval);
    auto t0 = Clock::now();
    if (!write_all(fd, msg.data(), msg.size()) || !read_all(fd, back.data(), back.size())) {
      ++r.errors;
      ::close(fd);
      fd = connect_to(o);
      continue;
    }
    auto t1 = Clock::now();
    if (t0 >= warm_end) r.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  ::close(fd);
}

// One thread of `zping connect`: a fresh connection per request, closed by us (the client
// side keeps TIME_WAIT; the bench turns on tcp_tw_reuse so ports are not the limit).
struct ConnResult {
  std::vector<double> us;
  long errors = 0;
  long attempts = 0;
  std::string first_error;
};

void connect_loop(const Options& o, const sockaddr_in& addr, ConnResult& r,
                  Clock::time_point start) {
  std::vector<char> msg(o.size, 'c'), back(o.size);
  const auto warm_end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  const auto end = warm_end + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.seconds));
  for (;;) {
    auto t0 = Clock::now();
    if (t0 >= end) break;
    ++r.attempts;
    const char* failed = nullptr;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
      failed = "connect";
    } else {
      nodelay(fd);
      if (!write_all(fd, msg.data(), msg.size()))
        failed = "send";
      else if (!read_all(fd, back.data(), back.size()))
        failed = "recv";
    }
    int err = errno;
    ::close(fd);
    if (failed) {
      // counted whenever it happens (warm-up too): a failure is never hidden by timing
      if (r.errors++ == 0) r.first_error = std::string(failed) + ": " + std::strerror(err);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no hot loop on refusal
      continue;
    }
    auto t1 = Clock::now();
    if (t0 >= warm_end && t1 <= end)
      r.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
}

double pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  i = std::clamp<size_t>(i, 1, v.size());
  return v[i - 1];
}

int client(const Options& o) {
  std::vector<Result> results(static_cast<size_t>(o.conns));
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < o.conns; ++i)
    threads.emplace_back(client_conn, std::cref(o), std::ref(results[static_cast<size_t>(i)]),
                         start);
  for (auto& t : threads) t.join();
  std::vector<double> all;
  long errors = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.us.begin(), r.us.end());
    errors += r.errors;
  }
  std::sort(all.begin(), all.end());
  double sum = 0;
  for (double x : all) sum += x;
  std::printf(
      "{\"count\": %zu, \"errors\": %ld, \"size\": %zu, \"rate\": %.0f, \"conns\": %d, \"min_us\": "
      "%.1f, "
      "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, "
      "\"mean_us\": %.1f}\n",
      all.size(), errors, o.size, o.rate, o.conns, all.empty() ? 0 : all.front(), pct(all, 50),
      pct(all, 90), pct(all, 99), pct(all, 99.9), all.empty() ? 0 : all.back(),
      all.empty() ? 0 : sum / static_cast<double>(all.size()));
  return all.empty() ? 1 : 0;
}

int connect_rate(const Options& o) {
  const sockaddr_in addr = resolve(o);
  std::vector<ConnResult> results(static_cast<size_t>(o.conns));
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int i = 0; i < o.conns; ++i)
    threads.emplace_back(connect_loop, std::cref(o), std::cref(addr),
                         std::ref(results[static_cast<size_t>(i)]), start);
  for (auto& t : threads) t.join();
  std::vector<double> all;
  long errors = 0, attempts = 0;
  std::string first_error;
  for (auto& r : results) {
    all.insert(all.end(), r.us.begin(), r.us.end());
    errors += r.errors;
    attempts += r.attempts;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::sort(all.begin(), all.end());
  for (char& c : first_error)
    if (c == '"' || c == '\\') c = '\'';
  std::printf(
      "{\"count\": %zu, \"errors\": %ld, \"attempts\": %ld, \"conns\": %d, \"size\": %zu, "
      "\"seconds\": %.2f, \"conns_per_s\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, "
      "\"p99_us\": %.1f, \"max_us\": %.1f, \"first_error\": \"%s\"}\n",
      all.size(), errors, attempts, o.conns, o.size, o.seconds,
      static_cast<double>(all.size()) / o.seconds, pct(all, 50), pct(all, 90), pct(all, 99),
      all.empty() ? 0 : all.back(), first_error.c_str());
  return all.empty() ? 1 : 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: zping server [--port P] [--bind A]\n"
               "       zping client --host H [--port P] [--size B] [--rate R] [--seconds S] "
               "[--warmup S] [--conns N]\n"
               "       zping connect --host H [--port P] [--size B] [--seconds S] [--warmup S] "
               "[--conns N]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage();
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    if (k == "--host")
      o.host = v;
    else if (k == "--bind")
      o.bind = v;
    else if (k == "--port")
      o.port = std::stoi(v);
    else if (k == "--size")
      o.size = static_cast<size_t>(std::stoul(v));
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--seconds")
      o.seconds = std::stod(v);
    else if (k == "--warmup")
      o.warmup = std::stod(v);
    else if (k == "--conns")
      o.conns = std::max(1, std::stoi(v));
    else
      usage();
  }
  if (o.size == 0 || o.rate <= 0) usage();
  if (o.mode == "server") return serve(o);
  if (o.mode == "client") return client(o);
  if (o.mode == "connect") return connect_rate(o);
  usage();
}
