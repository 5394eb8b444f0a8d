// Config input must be UTF-8: a non-UTF-8 byte in one object would make every JSON dump of
// the snapshot throw (found by tests/fuzz, regressions/invalid-utf8-in-scalar.yaml).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/utf8.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

// Whether nlohmann::json, which dumps the snapshot, accepts the bytes as a string.
bool json_accepts(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

TEST(Utf8, AgreesWithTheJsonDumperOnEdgeCases) {
  const std::vector<std::string> cases = {"",
                                          "plain",
                                          "caf\xC3\xA9",
                                          "\xE2\x82\xAC",
                                          "\xF0\x9F\x98\x80",
                                          "\xEF\xBB\xBFkind: Pod",
                                          "\xED\x9F\xBF",
                                          "\xEE\x80\x80",
                                          "\xF4\x8F\xBF\xBF",  // last before surrogates, after, max
                                          "\x87",
                                          "caf\xC3",
                                          "\xC0\x80",
                                          "\xC1\xBF",
                                          "\xE0\x80\x80",  // stray, truncated, overlong
                                          "\xE0\x9F\xBF",
                                          "\xED\xA0\x80",
                                          "\xED\xBF\xBF",
                                          "\xF0\x8F\xBF\xBF",  // overlong, surrogates
                                          "\xF4\x90\x80\x80",
                                          "\xF5\x80\x80\x80",
                                          "\xFF",
                                          "\xE2\x82",
                                          "\xE2\x28\xA1"};
  for (const auto& s : cases) {
    EXPECT_EQ(!first_invalid_utf8(s).has_value(), json_accepts(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, ReportsTheFirstBadByte) {
  EXPECT_EQ(first_invalid_utf8("ab\xC3\xA9"
                               "cd\x87"
                               "ef"),
            6u);
  EXPECT_EQ(first_invalid_utf8("abc\xE2\x82"), 3u);
}

TEST(Utf8, ParseYamlRejectsTheFileAndParseObjectTheObject) {
  std::string yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xE9\n";
  auto file = parse_yaml(yaml, "ns.yaml", "/dir/ns.yaml");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message, "ns.yaml: invalid YAML: not UTF-8 (byte 53)");

  auto object = parse_object(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                                 std::string("\xFF") + "\"}}",
                             "kube Namespace", "kube://Namespace");
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().message, "kube Namespace: not UTF-8 (byte 59)");
}

TEST(Utf8, ValidMultibyteTextStillParses) {
  auto file = parse_yaml(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations: {team: "
      "caf\xC3\xA9}\n",
      "ns.yaml", "/dir/ns.yaml");
  ASSERT_TRUE(file.ok()) << file.error().message;
  ASSERT_EQ(file->size(), 1u);
  EXPECT_TRUE((*file)[0].object) << (*file)[0].error;
}

}  // namespace
}  // namespace zmesh::config
