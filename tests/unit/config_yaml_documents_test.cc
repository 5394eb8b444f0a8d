// load_all_documents must return what YAML::LoadAll returns (it replaces it to avoid
// yaml-cpp 0.7's endless loop), and must stop where LoadAll never would.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/yaml_documents.h"

namespace zmesh::config {
namespace {

namespace fs = std::filesystem;

// Documents as text, tags and styles included, for comparing two loads.
std::vector<std::string> dump(const std::vector<YAML::Node>& docs) {
  std::vector<std::string> out;
  for (const auto& d : docs) out.push_back(YAML::Dump(d));
  return out;
}

void expect_same_as_load_all(const std::string& text, const std::string& what) {
  std::vector<std::string> want, got;
  std::string want_error, got_error;
  try {
    want = dump(YAML::LoadAll(text));
  } catch (const YAML::Exception& e) {
    want_error = e.what();
  }
  try {
    got = dump(load_all_documents(text));
  } catch (const YAML::Exception& e) {
    got_error = e.what();
  }
  EXPECT_EQ(got, want) << what;
  EXPECT_EQ(got_error, want_error) << what;
}

TEST(YamlDocuments, SameAsLoadAllOnEdgeCases) {
  const std::vector<std::string> cases = {
      "",
      "# only a comment\n",
      "a: 1\n",
      "---\n---\n---\n",
      "a: 1\n---\nb: 2\n...\n---\n- c\n",
      "--- !!map\n? [k, 1]\n: {x: ~, y: null, z: !!str 3}\n",
      "base: &b {p: 80, q: [1, 2]}\nuse: *b\nmore: [*b, *b]\n",
      "a: &x 1\nb: &x 2\nc: *x\n",
      "k: v\nk: w\n",
      "s: |\n  line\n  two\n'q': \"d\\tq\"\nf: >-\n  folded\n",
      "!custom {a: [!t x, 'y', \"z\"]}\n",
      "%YAML 1.2\n--- \"doc\"\n",
      "- [a, {b: c}]\n- {d: [e]}\n",
      "a: [1, 2\n",  // errors are the same too
      "a: *missing\n",
      "{a: b}}\n",
  };
  for (const auto& c : cases) expect_same_as_load_all(c, testing::PrintToString(c));
}

TEST(YamlDocuments, SameAsLoadAllOnTheConfigCorpus) {
  int files = 0;
  for (const auto& dir : {"tests/unit/config_corpus", "tests/unit/testdata/config"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(ZMESH_SOURCE_DIR) / dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path());
      std::ostringstream text;
      text << in.rdbuf();
      expect_same_as_load_all(text.str(), e.path().string());
      ++files;
    }
  }
  EXPECT_GT(files, 20);
}

TEST(YamlDocuments, AStrayCommaIsAnErrorNotAnEndlessLoop) {
  // YAML::LoadAll(",") never returns with yaml-cpp 0.7
  // (regressions/stray-comma-loops-forever.yaml).
  for (const std::string text : {",", "kind: Pod\n---\n, \n", "{a: 1},\n"}) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(load_all_documents(text), YAML::ParserException) << text;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << text;
  }
}

}  // namespace
}  // namespace zmesh::config
