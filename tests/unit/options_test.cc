// ztunnel's flags: required ones, address parsing, clear errors.
#include "app/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/duration.h"

namespace zmesh::app {
namespace {

std::variant<Options, ShowHelp, Error> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ztunnel");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

const std::vector<std::string> kRequired = {"--node",        "n1", "--config-dir", "/c",
                                            "--cgroup-root", "/g"};

TEST(OptionsTest, RequiredFlagsAndDefaults) {
  auto r = parse(kRequired);
  ASSERT_TRUE(std::holds_alternative<Options>(r));
  const auto& o = std::get<Options>(r);
  EXPECT_EQ(o.node, "n1");
  EXPECT_EQ(o.admin_addr.port(), 15000);
  EXPECT_EQ(o.admin_addr.address().to_string(), "127.0.0.1");
  EXPECT_EQ(o.stats_addr.port(), 15020);
  EXPECT_EQ(o.readiness_addr.port(), 15021);
  EXPECT_GE(o.workers, 1u);
}

TEST(OptionsTest, MissingRequiredFlagIsNamed) {
  auto r = parse({"--node", "n1", "--config-dir", "/c"});
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_NE(std::get<Error>(r).message.find("--cgroup-root"), std::string::npos);
}

TEST(OptionsTest, MissingConfigSourceIsNamedFirst) {
  auto r = parse({"--node", "n1"});
  ASSERT_TRUE(std::holds_alternative<Error>(r));
  EXPECT_NE(std::get<Error>(r).message.find("--config-dir (or --kubeconfig, --in-cluster)"),
            std::string::npos)
      << std::get<Error>(r).message;
}

TEST(OptionsTest, BadValuesAreRejectedWithTheFlag) {
  struct Case {
    std::vector<std::string> extra;
    std::string expect;
  };
  for (const auto& c : std::vector<Case>{
           {{"--admin-addr", "localhost:1"}, "--admin-addr"},
           {{"--stats-addr", "1.2.3.4:99999"}, "--stats-addr"},
           {{"--readiness-addr", "1.2.3.4"}, "--readiness-addr"},
           {{"--log-level", "loud"}, "--log-level"},
           {{"--bogus"}, "bogus"},
           {{"--workers", "many"}, "workers"},
           {{"--cert-ttl", "soon"}, "--cert-ttl"},
           {{"--cert-ttl", "0s"}, "--cert-ttl"},
           {{"--ca-addr", "127.0.0.1:15012"}, "--ca-credentials"},
           {{"--trust-domain", "a/b"}, "--trust-domain"},
       }) {
    auto args = kRequired;
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = parse(args);
    ASSERT_TRUE(std::holds_alternative<Error>(r)) << c.expect;
    EXPECT_NE(std::get<Error>(r).message.find(c.expect), std::string::npos)
        << std::get<Error>(r).message;
  }
}

TEST(OptionsTest, Ipv6AddressInBrackets) {
  auto args = kRequired;
  args.insert(args.end(), {"--stats-addr", "[::1]:9100"});
  auto r = parse(args);
  ASSERT_TRUE(std::holds_alternative<Options>(r));
  EXPECT_EQ(std::get<Options>(r).stats_addr.address().to_string(), "::1");
  EXPECT_EQ(std::get<Options>(r).stats_addr.port(), 9100);
}

TEST(OptionsTest, IdentityFlags) {
  auto args = kRequired;
  args.insert(args.end(),
              {"--cert-ttl", "90s", "--trust-domain", "example.org", "--ca-dir", "/ca"});
  auto r = parse(args);
  ASSERT_TRUE(std::holds_alternative<Options>(r));
  const auto& o = std::get<Options>(r);
  EXPECT_EQ(o.cert_ttl, std::chrono::seconds(90));
  EXPECT_EQ(o.trust_domain, "example.org");
  EXPECT_EQ(o.ca_dir, "/ca");
  EXPECT_EQ(std::get<Options>(parse(kRequired)).cert_ttl, std::chrono::hours(24));
}

TEST(OptionsTest, HbonePoolFlags) {
  const Options defaults = std::get<Options>(parse(kRequired));
  EXPECT_EQ(defaults.hbone_max_streams, 100u);
  EXPECT_TRUE(defaults.hbone_pool);
  auto args = kRequired;
  args.insert(args.end(), {"--hbone-max-streams", "8", "--no-hbone-pool"});
  auto r = parse(args);
  ASSERT_TRUE(std::holds_alternative<Options>(r));
  EXPECT_EQ(std::get<Options>(r).hbone_max_streams, 8u);
  EXPECT_FALSE(std::get<Options>(r).hbone_pool);
  auto zero = kRequired;
  zero.insert(zero.end(), {"--hbone-max-streams", "0"});
  ASSERT_TRUE(std::holds_alternative<Error>(parse(zero)));
  EXPECT_NE(std::get<Error>(parse(zero)).message.find("--hbone-max-streams"), std::string::npos);
}

// --kubeconfig or --in-cluster replace --config-dir: exactly one config source.
TEST(OptionsTest, ConfigSourceFlags) {
  const std::vector<std::string> base = {"--node", "n1", "--cgroup-root", "/g"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(args);
  };
  auto kubeconfig = with({"--kubeconfig", "/k/config"});
  ASSERT_TRUE(std::holds_alternative<Options>(kubeconfig));
  EXPECT_EQ(std::get<Options>(kubeconfig).kubeconfig, "/k/config");
  EXPECT_FALSE(std::get<Options>(kubeconfig).in_cluster);
  EXPECT_TRUE(uses_kubernetes_api(std::get<Options>(kubeconfig)));

  auto in_cluster = with({"--in-cluster"});
  ASSERT_TRUE(std::holds_alternative<Options>(in_cluster));
  EXPECT_TRUE(std::get<Options>(in_cluster).in_cluster);
  EXPECT_TRUE(uses_kubernetes_api(std::get<Options>(in_cluster)));

  auto dir = with({"--config-dir", "/c"});
  ASSERT_TRUE(std::holds_alternative<Options>(dir));
  EXPECT_FALSE(uses_kubernetes_api(std::get<Options>(dir)));

  struct Case {
    std::vector<std::string> extra;
    std::string expect;
  };
  for (const auto& c : std::vector<Case>{
           {{}, "--config-dir"},
           {{"--kubeconfig", "/k", "--in-cluster"}, "exclusive"},
           {{"--config-dir", "/c", "--kubeconfig", "/k"}, "exclusive"},
           {{"--config-dir", "/c", "--in-cluster"}, "exclusive"},
           {{"--kubeconfig", ""}, "--kubeconfig"},
       }) {
    auto r = with(c.extra);
    ASSERT_TRUE(std::holds_alternative<Error>(r)) << c.expect;
    EXPECT_NE(std::get<Error>(r).message.find(c.expect), std::string::npos)
        << std::get<Error>(r).message;
  }
}

TEST(OptionsTest, Durations) {
  EXPECT_EQ(*parse_duration("5s"), std::chrono::seconds(5));
  EXPECT_EQ(*parse_duration("1h30m"), std::chrono::seconds(5400));
  EXPECT_EQ(*parse_duration("24h"), std::chrono::seconds(86400));
  EXPECT_EQ(*parse_duration("1500ms"), std::chrono::seconds(2));
  EXPECT_EQ(*parse_duration("7"), std::chrono::seconds(7));
  EXPECT_FALSE(parse_duration("5d").ok());
  EXPECT_FALSE(parse_duration("").ok());
  for (const char* bad :
       {"h", "0s", "0", "-5s", "1h30", "1.5h", "99999999999999999999h", "10 s", "5 m"})
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  EXPECT_EQ(*parse_duration("87600h"), std::chrono::hours(87600));
}

TEST(OptionsTest, HelpListsTheFlags) {
  auto r = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<ShowHelp>(r));
  for (const char* flag : {"--node", "--config-dir", "--cgroup-root", "--bpf-pin-root", "--run-dir",
                           "--ca-dir", "--cert-ttl", "--trust-domain", "--state-dir",
                           "--root-namespace", "--kubeconfig", "--in-cluster"})
    EXPECT_NE(std::get<ShowHelp>(r).text.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace zmesh::app
