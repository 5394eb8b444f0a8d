#include "control/control.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/ops.h"
#include "net/control_server.h"

namespace zmesh::control {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using nlohmann::json;

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("zmesh-control-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    path_ = socket_path((dir_ / "run").string());  // the server creates run/
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }

  void start(net::ControlServer::Handler handler) {
    server_ = std::make_unique<net::ControlServer>(io_, path_, std::move(handler));
    auto r = server_->start();
    ASSERT_TRUE(r) << r.error().message;
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  fs::path dir_;
  std::string path_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<net::ControlServer> server_;
  std::thread thread_;
};
// Suite names match the file names so `ctest -R control` selects them.
using control = ControlTest;

TEST_F(control, RequestReplyWithoutFd) {
  start([](const json& req, UniqueFd fd) {
    return ok_reply({{"echo", req}, {"had_fd", fd.valid()}});
  });
  auto reply = call(path_, status_request());
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ((*reply)["ok"], true);
  EXPECT_EQ((*reply)["echo"]["op"], "status");
  EXPECT_EQ((*reply)["had_fd"], false);
}

TEST_F(control, PassesARealFd) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  UniqueFd read_end(pipefd[0]), write_end(pipefd[1]);
  // The server reads from the fd it received: proof that it is the same pipe.
  start([](const json& req, UniqueFd fd) {
    if (!fd) return error_reply("no fd");
    char buf[64] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    return ok_reply({{"pod", req["pod"]}, {"read", std::string(buf, n > 0 ? n : 0)}});
  });
  ASSERT_EQ(::write(write_end.get(), "through-the-fd", 14), 14);
  auto reply = call(path_, enroll_request("default/a", "/proc/self/ns/net"), read_end.get());
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ((*reply)["ok"], true) << reply->dump();
  EXPECT_EQ((*reply)["pod"], "default/a");
  EXPECT_EQ((*reply)["read"], "through-the-fd");
}

TEST_F(control, SocketIsPrivateAndReplacesStaleFile) {
  // A stale socket file from a dead daemon.
  fs::create_directories(fs::path(path_).parent_path());
  {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path_.c_str());
    ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }  // closed without unlink: stale
  start([](const json&, UniqueFd) { return ok_reply(); });
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto reply = call(path_, status_request());
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ((*reply)["ok"], true);
}

TEST_F(control, SecondServerIsRefusedAndFirstKeepsItsSocket) {
  start([](const json&, UniqueFd) { return ok_reply({{"who", "first"}}); });
  asio::io_context other;
  net::ControlServer second(other, path_, [](const json&, UniqueFd) { return ok_reply(); });
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path_), std::string::npos) << r.error().message;
  auto reply = call(path_, status_request());
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ((*reply)["who"], "first");
}

TEST_F(control, SocketRemovedOnShutdown) {
  start([](const json&, UniqueFd) { return ok_reply(); });
  EXPECT_TRUE(fs::exists(path_));
  stop();
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(control, BadRequestsGetErrorReplies) {
  start([](const json& req, UniqueFd) -> json {
    if (req["op"] == "throw") throw std::runtime_error("handler failed");
    return error_reply("unknown op \"" + req.value("op", "") + "\"");
  });
  auto thrown = call(path_, {{"op", "throw"}});
  ASSERT_TRUE(thrown) << thrown.error().message;
  EXPECT_EQ((*thrown)["ok"], false);
  EXPECT_EQ((*thrown)["error"], "handler failed");
  auto unknown = call(path_, {{"op", "nope"}});
  ASSERT_TRUE(unknown);
  auto checked = check_reply(*unknown);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, "unknown op \"nope\"");
  auto not_object = call(path_, json::array({1, 2}));
  ASSERT_TRUE(not_object);
  EXPECT_EQ((*not_object)["ok"], false);
}

TEST_F(control, RawClientGarbageAndEarlyClose) {
  start([](const json&, UniqueFd) { return ok_reply(); });
  auto raw = [&](const std::string& bytes) {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path_.c_str());
    EXPECT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    if (!bytes.empty()) {
      EXPECT_GT(::send(s.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL), 0);
    }
    ::shutdown(s.get(), SHUT_WR);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(s.get(), buf, sizeof buf)) > 0;) out.append(buf, n);
    return out;
  };
  EXPECT_EQ(raw(""), "");
  auto garbage = json::parse(raw("{{{ not json\n"));
  EXPECT_EQ(garbage["ok"], false);
  // No trailing newline: EOF ends the request.
  EXPECT_EQ(json::parse(raw(R"({"op":"status"})"))["ok"], true);
  EXPECT_EQ(json::parse(raw(std::string(2 << 20, 'x')))["ok"], false);  // too large
  auto after = call(path_, status_request());
  ASSERT_TRUE(after) << after.error().message;
}

TEST_F(control, DaemonNotRunningIsAClearError) {
  auto reply = call(path_, status_request());
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().message.rfind("cannot reach ztunnel at " + path_ + ": ", 0), 0u)
      << reply.error().message;
}

TEST_F(control, ClientTimesOutOnSilentServer) {
  // Listens but never answers.
  fs::create_directories(fs::path(path_).parent_path());
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path_.c_str());
  ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s.get(), 4), 0);
  auto t0 = std::chrono::steady_clock::now();
  auto reply = call(path_, status_request(), -1, std::chrono::milliseconds(200));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("did not reply"), std::string::npos)
      << reply.error().message;
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(control_ops, RequestShapesAndPodKeys) {
  EXPECT_EQ(enroll_request("ns/a", "/run/netns/x"),
            json({{"op", "enroll"}, {"pod", "ns/a"}, {"netns", "/run/netns/x"}}));
  EXPECT_EQ(unenroll_request("ns/a"), json({{"op", "unenroll"}, {"pod", "ns/a"}}));
  EXPECT_EQ(status_request(), json({{"op", "status"}}));
  EXPECT_EQ(config_dump_request(), json({{"op", "config_dump"}}));
  EXPECT_TRUE(valid_pod_key("default/web-1"));
  for (const char* bad : {"", "web", "/web", "default/", "a/b/c"}) EXPECT_FALSE(valid_pod_key(bad));
  EXPECT_EQ(socket_path("/var/run/zmesh"), "/var/run/zmesh/ztunnel.sock");
  EXPECT_EQ(socket_path("/var/run/zmesh/"), "/var/run/zmesh/ztunnel.sock");
  EXPECT_TRUE(check_reply(ok_reply({{"x", 1}})));
  EXPECT_EQ(check_reply(json::object()).error().message,
            "daemon returned an error without a message");
}

}  // namespace
}  // namespace zmesh::control
