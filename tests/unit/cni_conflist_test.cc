// The installer's pure JSON part (cni/conflist.h), table-driven: which file is the primary CNI
// configuration, and the edits that chain zmesh-cni in (append, replace, wrap a .conf) and out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cni/conflist.h"

namespace zmesh::cni {
namespace {

const char* kBridge =
    R"({"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.244.0.0/24"}})";
const char* kPortmap = R"({"type":"portmap","capabilities":{"portMappings":true}})";

std::string list_of(const std::vector<std::string>& plugins, const std::string& name = "k8s") {
  std::string out = R"({"cniVersion":"1.0.0","name":")" + name + R"(","plugins":[)";
  for (size_t i = 0; i < plugins.size(); ++i) out += (i ? "," : "") + plugins[i];
  return out + "]}";
}

ConfJson j(const std::string& text) {
  return ConfJson::parse(text);
}

struct PrimaryCase {
  const char* name;
  std::vector<ConfFile> files;
  const char* want;                  // file picked, "" = error
  std::vector<std::string> skipped;  // names skipped on the way
  const char* error_has;
};

class PickPrimaryTest : public testing::TestWithParam<PrimaryCase> {};

TEST_P(PickPrimaryTest, PicksTheFirstLoadableFileInNameOrder) {
  const auto& c = GetParam();
  auto got = pick_primary(c.files);
  if (std::string(c.want).empty()) {
    ASSERT_FALSE(got) << "picked " << got->name;
    EXPECT_NE(got.error().message.find(c.error_has), std::string::npos) << got.error().message;
    return;
  }
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->name, c.want);
  std::vector<std::string> skipped;
  for (const auto& s : got->skipped) skipped.push_back(s.substr(0, s.find(':')));
  EXPECT_EQ(skipped, c.skipped);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PickPrimaryTest,
    testing::Values(
        PrimaryCase{
            "one_conflist", {{"10-k8s.conflist", list_of({kBridge})}}, "10-k8s.conflist", {}, ""},
        PrimaryCase{"sorted_not_listed_order",
                    {{"20-b.conflist", list_of({kBridge})}, {"10-a.conf", kBridge}},
                    "10-a.conf",
                    {},
                    ""},
        PrimaryCase{"byte_order_upper_first",
                    {{"a.conflist", list_of({kBridge})}, {"Z.conflist", list_of({kBridge})}},
                    "Z.conflist",
                    {},
                    ""},
        PrimaryCase{"json_counts", {{"99-x.json", kBridge}}, "99-x.json", {}, ""},
        PrimaryCase{"other_names_ignored",
                    {{"00-readme.txt", "hello"},
                     {"05-x.conflist.bak", "{"},
                     {"10-k8s.conflist", list_of({kBridge})}},
                    "10-k8s.conflist",
                    {},
                    ""},
        PrimaryCase{
            "unparsable_skipped",
            {{"00-broken.conflist", "{\"plugins\": ["}, {"10-k8s.conflist", list_of({kBridge})}},
            "10-k8s.conflist",
            {"00-broken.conflist"},
            ""},
        PrimaryCase{"conflist_without_plugins_skipped",
                    {{"00-empty.conflist", R"({"name":"x","plugins":[]})"},
                     {"01-noplugins.conflist", R"({"name":"x"})"},
                     {"02-untyped.conflist", R"({"name":"x","plugins":[{"bridge":"b"}]})"},
                     {"10-k8s.conflist", list_of({kBridge})}},
                    "10-k8s.conflist",
                    {"00-empty.conflist", "01-noplugins.conflist", "02-untyped.conflist"},
                    ""},
        PrimaryCase{"conf_holding_a_list_skipped",
                    {{"00-list.conf", list_of({kBridge})}, {"10-k8s.conflist", list_of({kBridge})}},
                    "10-k8s.conflist",
                    {"00-list.conf"},
                    ""},
        PrimaryCase{"not_an_object_skipped",
                    {{"00-array.conf", "[1,2]"}, {"10-k8s.conf", kBridge}},
                    "10-k8s.conf",
                    {"00-array.conf"},
                    ""},
        PrimaryCase{"nothing_at_all", {}, "", {}, "no CNI network configuration"},
        PrimaryCase{"nothing_loadable",
                    {{"10-bad.conflist", "not json"}},
                    "",
                    {},
                    "skipped 10-bad.conflist: not JSON"}),
    [](const auto& info) { return std::string(info.param.name); });

struct EditCase {
  const char* name;
  std::string before;  // a config file's JSON
  std::string after;   // with_plugin(before, entry)
};

const ConfJson kEntry = plugin_entry("/var/run/zmesh");
const std::string kOurs = R"({"type":"zmesh-cni","runDir":"/var/run/zmesh"})";
const std::string kOldOurs = R"({"type":"zmesh-cni","runDir":"/old"})";

class WithPluginTest : public testing::TestWithParam<EditCase> {};

TEST_P(WithPluginTest, PutsOurEntryLastOnce) {
  const auto& c = GetParam();
  ConfJson got = with_plugin(j(c.before), kEntry);
  EXPECT_EQ(got, j(c.after)) << got.dump();
  EXPECT_EQ(count_plugin(got), 1u);
  EXPECT_EQ(with_plugin(got, kEntry), got) << "not idempotent";
  // Taking it out again leaves the list as it was, minus any zmesh-cni entry.
  ConfJson list = is_conflist(j(c.before)) ? j(c.before) : wrap_single(j(c.before));
  EXPECT_EQ(without_plugin(got), without_plugin(list));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WithPluginTest,
    testing::Values(
        EditCase{"append", list_of({kBridge, kPortmap}), list_of({kBridge, kPortmap, kOurs})},
        EditCase{"already_last", list_of({kBridge, kOurs}), list_of({kBridge, kOurs})},
        EditCase{"replace_stale", list_of({kBridge, kOldOurs}), list_of({kBridge, kOurs})},
        EditCase{"move_to_end", list_of({kOurs, kBridge, kPortmap}),
                 list_of({kBridge, kPortmap, kOurs})},
        EditCase{"drop_duplicates", list_of({kOldOurs, kBridge, kOurs, kOurs}),
                 list_of({kBridge, kOurs})},
        EditCase{"wrap_conf_keeps_name_and_version",
                 R"({"cniVersion":"0.4.0","name":"mynet","type":"bridge","bridge":"b0"})",
                 R"({"name":"mynet","cniVersion":"0.4.0","plugins":[)"
                 R"({"cniVersion":"0.4.0","name":"mynet","type":"bridge","bridge":"b0"},)" +
                     kOurs + "]}"},
        EditCase{"wrap_conf_defaults_as_istio", R"({"type":"bridge"})",
                 R"({"name":"k8s-pod-network","cniVersion":"0.3.1","plugins":[{"type":"bridge"},)" +
                     kOurs + "]}"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ConflistTest, KeepsKeyOrderAndUnknownKeys) {
  std::string text =
      R"({"zz":1,"cniVersion":"1.0.0","name":"k","plugins":[{"type":"bridge","z":1,"a":2}],"aa":[]})";
  ConfJson got = with_plugin(j(text), kEntry);
  std::string dumped = got.dump();
  EXPECT_EQ(dumped,
            R"({"zz":1,"cniVersion":"1.0.0","name":"k","plugins":[{"type":"bridge","z":1,"a":2},)" +
                kOurs + R"(],"aa":[]})");
  EXPECT_EQ(without_plugin(got).dump(), j(text).dump());
}

TEST(ConflistTest, EntryCarriesExcludedNamespacesWhenGiven) {
  EXPECT_EQ(plugin_entry("/r"), j(R"({"type":"zmesh-cni","runDir":"/r"})"));
  EXPECT_EQ(plugin_entry("/r", std::vector<std::string>{"kube-system", "infra"}),
            j(R"({"type":"zmesh-cni","runDir":"/r","excludeNamespaces":["kube-system","infra"]})"));
  EXPECT_EQ(plugin_entry("/r", std::vector<std::string>{}),
            j(R"({"type":"zmesh-cni","runDir":"/r","excludeNamespaces":[]})"));
}

TEST(ConflistTest, WithoutPluginLeavesOtherConfigsAlone) {
  EXPECT_EQ(without_plugin(j(kBridge)), j(kBridge));
  EXPECT_EQ(count_plugin(j(kBridge)), 0u);
  EXPECT_EQ(count_plugin(j(list_of({kOurs, kBridge, kOldOurs}))), 2u);
  EXPECT_EQ(without_plugin(j(list_of({kOurs}))), j(list_of({})));
}

TEST(ConflistTest, ConflistNames) {
  struct {
    const char* in;
    const char* out;
  } cases[] = {{"10-k8s.conflist", "10-k8s.conflist"},
               {"10-bridge.conf", "10-bridge.conflist"},
               {"99-x.json", "99-x.conflist"}};
  for (const auto& c : cases) EXPECT_EQ(conflist_name(c.in), c.out) << c.in;
  EXPECT_TRUE(is_config_file_name("a.conf"));
  EXPECT_TRUE(is_config_file_name("a.conflist"));
  EXPECT_TRUE(is_config_file_name("a.json"));
  EXPECT_FALSE(is_config_file_name("a.conf.bak"));
  EXPECT_FALSE(is_config_file_name(".10-k8s.conflist.zmesh-tmp.abc123"));
}

}  // namespace
}  // namespace zmesh::cni
