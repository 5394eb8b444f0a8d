#include "telemetry/access_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "telemetry/connection_record.h"
#include "telemetry/json_line.h"

namespace zmesh::telemetry {
namespace {

namespace fs = std::filesystem;

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("zmesh-access-log-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "access.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<nlohmann::json> read_lines() {
    std::vector<nlohmann::json> out;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << line;
      out.push_back(j);
    }
    return out;
  }

  fs::path dir_;
  std::string path_;
};
// Suite names match the file names so `ctest -R access_log` selects them.
using access_log = AccessLogTest;

TEST_F(access_log, WritesOneJsonLinePerRecordWithTimestamp) {
  {
    AccessLog log(path_);
    log.write({{"src.addr", "10.0.0.1:1234"}, {"bytes_sent", 5}});
    log.write({{"message", "second"}, {"timestamp", "given"}});
  }
  auto lines = read_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["src.addr"], "10.0.0.1:1234");
  EXPECT_EQ(lines[0]["bytes_sent"], 5);
  std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  EXPECT_TRUE(std::regex_match(lines[0]["timestamp"].get<std::string>(), rfc3339))
      << lines[0]["timestamp"];
  EXPECT_EQ(lines[1]["timestamp"], "given");
}

TEST_F(access_log, AppendsToExistingFile) {
  { std::ofstream(path_) << "{\"old\":1}\n"; }
  AccessLog(path_).write({{"new", 2}});
  auto lines = read_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["old"], 1);
  EXPECT_EQ(lines[1]["new"], 2);
}

TEST_F(access_log, ConcurrentWritersNeverInterleave) {
  constexpr int kThreads = 8, kEach = 500;
  {
    AccessLog log(path_);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i)
          log.write({{"thread", t}, {"i", i}, {"pad", std::string(200, 'x')}});
      });
    for (auto& th : threads) th.join();
  }
  auto lines = read_lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kEach));
  std::set<std::pair<int, int>> seen;
  for (const auto& j : lines) seen.insert({j["thread"].get<int>(), j["i"].get<int>()});
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(access_log, InvalidUtf8IsReplacedNotThrown) {
  AccessLog log(path_);
  EXPECT_NO_THROW(log.write({{"dst.service", std::string("bad\xff\xfe")}}));
  log.flush();
  EXPECT_EQ(read_lines().size(), 1u);
}

TEST_F(access_log, OpenReportsUnwritablePath) {
  auto log = AccessLog::open((dir_ / "missing-dir" / "x.log").string());
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("missing-dir"), std::string::npos) << log.error().message;
  auto ok = AccessLog::open(path_);
  ASSERT_TRUE(ok) << ok.error().message;
  (*ok)->write({{"a", 1}});
  (*ok)->flush();
  EXPECT_EQ(read_lines().size(), 1u);
}

TEST_F(access_log, LinesReachTheFileWithinTheFlushIntervalWithoutAFlush) {
  AccessLog log(path_);
  log.write({{"a", 1}});
  auto deadline = std::chrono::steady_clock::now() + 20 * AccessLog::kFlushInterval;
  while (read_lines().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(read_lines().size(), 1u);  // the background writer, not the destructor
}

TEST(access_log_record, UsesZtunnelFieldNames) {
  ConnectionRecord r;
  r.direction = "outbound";
  r.src_addr = "10.1.0.2:40000";
  r.src_workload = "client";
  r.dst_addr = "10.1.0.3:8080";
  r.dst_service = "server.default.svc.cluster.local";
  r.bytes_sent = 11;
  r.bytes_recv = 22;
  r.duration = std::chrono::milliseconds(13);
  auto j = to_json(r);
  EXPECT_EQ(j["message"], "connection complete");
  EXPECT_EQ(j["src.addr"], "10.1.0.2:40000");
  EXPECT_EQ(j["src.workload"], "client");
  EXPECT_EQ(j["dst.service"], "server.default.svc.cluster.local");
  EXPECT_EQ(j["bytes_sent"], 11);
  EXPECT_EQ(j["bytes_recv"], 22);
  EXPECT_EQ(j["duration"], "13ms");
  EXPECT_FALSE(j.contains("src.identity"));  // empty fields are left out
  EXPECT_FALSE(j.contains("error"));
}

// The per-request line is built by hand: each value must come out as nlohmann's dump (with
// invalid UTF-8 replaced) wrote it, so readers of the old lines read the new ones.
TEST(access_log_json_line, EscapesStringsAsNlohmannDumps) {
  const std::string cases[] = {
      "",
      "/plain/path?q=1",
      "quote \" and backslash \\",
      std::string("ctl \b\f\n\r\t \x01\x1f end\0nul", 20),
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",  // 2-, 3- and 4-byte UTF-8
      "bad\xff\xfe",
      "lone \x80 continuation, overlong \xC0\xAF",
      "surrogate \xED\xA0\x80",
      "truncated \xE2\x82",
      "cut short \xF0\x9F\x98X",
  };
  for (const auto& s : cases) {
    std::string mine;
    append_json_string(mine, s);
    std::string theirs =
        nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    EXPECT_EQ(mine, theirs) << s;
  }
}

TEST_F(access_log, WriteLineKeepsTheBuiltObject) {
  JsonLine j;
  j.add("attempts", uint64_t{2}).add("path", "/a\"b").add("timestamp", access_log_timestamp());
  std::string line = j.finish();
  {
    AccessLog log(path_);
    log.write_line(line);
  }
  auto lines = read_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["attempts"], 2);
  EXPECT_EQ(lines[0]["path"], "/a\"b");
  std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  EXPECT_TRUE(std::regex_match(lines[0]["timestamp"].get<std::string>(), rfc3339));
  EXPECT_EQ(lines[0].dump(), line);  // sorted keys, no spaces: what nlohmann writes
}

}  // namespace
}  // namespace zmesh::telemetry
