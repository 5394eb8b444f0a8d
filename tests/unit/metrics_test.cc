#include "telemetry/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

namespace zmesh::telemetry {
namespace {

// One exposition line: comment, or name{labels} value.
const std::regex kSample(
    R"re(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? [0-9]+$)re");
const std::regex kComment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// name{labels} -> value for every sample line.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& l : lines(text)) {
    if (l.empty() || l[0] == '#') continue;
    auto sp = l.rfind(' ');
    out[l.substr(0, sp)] = l.substr(sp + 1);
  }
  return out;
}

TcpLabels labels(const std::string& src, const std::string& dst) {
  TcpLabels l;
  l.reporter = "source";
  l.source_workload = src;
  l.source_workload_namespace = "default";
  l.destination_workload = dst;
  l.destination_service = dst + ".default.svc.cluster.local";
  l.connection_security_policy = "none";
  return l;
}

TEST(metrics, RenderIsValidExposition) {
  Metrics m(2, "0.1.0");
  auto& c = m.tcp(0, labels("a", "b"));
  c.opened += 1;
  c.sent += 10;
  std::string text = m.render_prometheus();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  for (const auto& l : lines(text))
    EXPECT_TRUE(std::regex_match(l, kSample) || std::regex_match(l, kComment)) << l;
  for (const char* name :
       {"istio_tcp_connections_opened_total", "istio_tcp_connections_closed_total",
        "istio_tcp_sent_bytes_total", "istio_tcp_received_bytes_total"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " counter\n"), std::string::npos) << name;
    EXPECT_NE(text.find(std::string("# HELP ") + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(text.find("istio_build{component=\"ztunnel\",tag=\"0.1.0\"} 1\n"), std::string::npos);
}

TEST(metrics, LabelsUseIstioNamesAndUnknownForEmpty) {
  Metrics m(1);
  m.tcp(0, labels("a", "b")).opened += 1;
  std::string text = m.render_prometheus();
  std::string expected =
      "istio_tcp_connections_opened_total{reporter=\"source\",source_workload=\"a\","
      "source_workload_namespace=\"default\",source_principal=\"unknown\",source_app=\"unknown\","
      "source_version=\"unknown\",source_canonical_service=\"unknown\","
      "source_canonical_revision=\"unknown\",source_cluster=\"unknown\","
      "destination_workload=\"b\",destination_workload_namespace=\"unknown\","
      "destination_principal=\"unknown\",destination_app=\"unknown\","
      "destination_version=\"unknown\","
      "destination_service=\"b.default.svc.cluster.local\","
      "destination_service_name=\"unknown\",destination_service_namespace=\"unknown\","
      "destination_canonical_service=\"unknown\",destination_canonical_revision=\"unknown\","
      "destination_cluster=\"unknown\",request_protocol=\"tcp\",response_flags=\"-\","
      "connection_security_policy=\"none\"} 1\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
}

TEST(metrics, SumsAcrossShardsOneSeriesPerLabelSet) {
  Metrics m(3);
  for (size_t shard = 0; shard < 3; ++shard) {
    auto& c = m.tcp(shard, labels("a", "b"));
    c.opened += 1;
    c.closed += 1;
    c.sent += 100 * (shard + 1);
    c.received += 7;
  }
  m.tcp(1, labels("x", "y")).opened += 5;
  auto s = samples(m.render_prometheus());
  const std::string ab = render_tcp_labels(labels("a", "b"));
  const std::string xy = render_tcp_labels(labels("x", "y"));
  EXPECT_EQ(s["istio_tcp_connections_opened_total" + ab], "3");
  EXPECT_EQ(s["istio_tcp_connections_closed_total" + ab], "3");
  EXPECT_EQ(s["istio_tcp_sent_bytes_total" + ab], "600");
  EXPECT_EQ(s["istio_tcp_received_bytes_total" + ab], "21");
  EXPECT_EQ(s["istio_tcp_connections_opened_total" + xy], "5");
  EXPECT_EQ(s["istio_tcp_connections_closed_total" + xy], "0");
  // 4 families x 2 label sets + istio_build.
  EXPECT_EQ(s.size(), 9u);
}

TEST(metrics, SameLabelsSameCellPerShard) {
  Metrics m(2);
  auto& a = m.tcp(0, labels("a", "b"));
  EXPECT_EQ(&a, &m.tcp(0, labels("a", "b")));
  EXPECT_NE(&a, &m.tcp(1, labels("a", "b")));
  EXPECT_NE(&a, &m.tcp(0, labels("a", "c")));
  // Many more insertions must not move the first cell.
  for (int i = 0; i < 1000; ++i) m.tcp(0, labels("w" + std::to_string(i), "b"));
  EXPECT_EQ(&a, &m.tcp(0, labels("a", "b")));
  EXPECT_EQ(&m.tcp(2, labels("a", "b")), &a);  // out-of-range shard wraps
}

TEST(metrics, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("line1\nline2"), R"(line1\nline2)");
  Metrics m(1, "v\"1");
  auto l = labels("we\"ird\\name\n", "b");
  m.tcp(0, l).opened += 1;
  std::string text = m.render_prometheus();
  EXPECT_NE(text.find(R"(source_workload="we\"ird\\name\n")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(tag="v\"1")"), std::string::npos);
  for (const auto& line : lines(text))
    EXPECT_TRUE(std::regex_match(line, kSample) || std::regex_match(line, kComment)) << line;
}

TEST(metrics, CollectorsAppendedAfterIstioMetrics) {
  Metrics m(1);
  m.add_collector([] { return std::string("# TYPE zmesh_x counter\nzmesh_x 4"); });
  m.add_collector([] { return std::string(); });
  std::string text = m.render_prometheus();
  EXPECT_GT(text.find("zmesh_x 4\n"), text.find("istio_build"));
  EXPECT_EQ(text.back(), '\n');
}

TEST(metrics, ConcurrentWorkersAndScrapes) {
  constexpr size_t kWorkers = 4;
  constexpr int kConns = 2000;
  Metrics m(kWorkers);
  std::vector<std::thread> workers;
  for (size_t w = 0; w < kWorkers; ++w)
    workers.emplace_back([&, w] {
      for (int i = 0; i < kConns; ++i) {
        auto& c = m.tcp(w, labels("a", "dst" + std::to_string(i % 10)));
        c.opened.fetch_add(1, std::memory_order_relaxed);
        c.sent.fetch_add(3, std::memory_order_relaxed);
      }
    });
  for (int i = 0; i < 20; ++i) (void)m.render_prometheus();
  for (auto& t : workers) t.join();
  auto s = samples(m.render_prometheus());
  uint64_t opened = 0;
  for (const auto& [k, v] : s)
    if (k.rfind("istio_tcp_connections_opened_total{", 0) == 0) opened += std::stoull(v);
  EXPECT_EQ(opened, kWorkers * kConns);
}

}  // namespace
}  // namespace zmesh::telemetry
