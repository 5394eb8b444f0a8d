// The validation corpus: tests/unit/config_corpus/<Kind>/<name>.yaml, one object per file,
// whose first line says what the daemon must make of it:
//   # expect: ok                      -> the object is accepted
//   # expect: <substring of the error> -> the object is rejected with an error containing it
// Kind-agnostic: every kind's directory is run the same way, each file its own test case, so
// adding a case is adding a file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(ZMESH_SOURCE_DIR) / "tests/unit/config_corpus";

struct CorpusFile {
  std::string kind;  // the directory name
  fs::path path;
  std::string test_name;  // Kind_file_name, gtest-safe (gtest itself rejects duplicates)
};

std::vector<CorpusFile> corpus_files() {
  std::vector<CorpusFile> out;
  std::error_code ec;
  if (!fs::is_directory(kCorpus, ec)) return out;
  for (const auto& kind_dir : fs::directory_iterator(kCorpus)) {
    if (!kind_dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(kind_dir.path())) {
      if (file.path().extension() != ".yaml") continue;
      std::string kind = kind_dir.path().filename().string();
      std::string name = kind + "_" + file.path().stem().string();
      std::replace_if(
          name.begin(), name.end(), [](unsigned char c) { return !std::isalnum(c); }, '_');
      out.push_back({kind, file.path(), name});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
  return out;
}

void PrintTo(const CorpusFile& f, std::ostream* os) {
  *os << f.path.string();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text after "# expect:" on the first line, trimmed; nullopt without that header.
std::optional<std::string> expectation(const std::string& text) {
  const std::string tag = "# expect:";
  std::string first = text.substr(0, text.find('\n'));
  if (!first.starts_with(tag)) return std::nullopt;
  std::string value = first.substr(tag.size());
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t\r") + 1);
  return value;
}

class Corpus : public testing::TestWithParam<CorpusFile> {};

TEST_P(Corpus, MeetsExpectation) {
  const CorpusFile& f = GetParam();
  std::string text = read_file(f.path);
  auto expect = expectation(text);
  ASSERT_TRUE(expect.has_value() && !expect->empty())
      << f.path << ": first line must be '# expect: ok' or '# expect: <error substring>'";

  std::string name = f.path.filename().string();
  auto parsed = parse_yaml(text, name, f.path.string());
  std::vector<DecodedObject> objects;
  std::string error;  // a file-level error (not YAML at all) or the object's
  if (parsed.ok()) {
    objects = std::move(parsed).value();
    ASSERT_EQ(objects.size(), 1u) << f.path
                                  << ": must hold exactly one object of a known kind and group";
    error = objects[0].error;
    // The directory names the kind, so a file cannot silently test another kind.
    if (objects[0].key) {
      EXPECT_EQ(objects[0].key->kind, f.kind) << f.path;
    }
  } else {
    error = parsed.error().message;
  }

  if (*expect == "ok") {
    EXPECT_TRUE(error.empty()) << f.path << ": expected ok, rejected: " << error;
    if (!objects.empty()) {
      EXPECT_NE(objects[0].object, nullptr) << f.path;
    }
  } else {
    EXPECT_FALSE(error.empty()) << f.path << ": expected an error containing \"" << *expect
                                << "\", but the object was accepted";
    EXPECT_NE(error.find(*expect), std::string::npos)
        << f.path << ":\n  expected an error containing: " << *expect
        << "\n  actual error: " << error;
    if (!objects.empty()) {
      EXPECT_EQ(objects[0].object, nullptr) << f.path;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Corpus, testing::ValuesIn(corpus_files()),
                         [](const auto& info) { return info.param.test_name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Corpus);

TEST(CorpusLayout, IsNotEmpty) {
  EXPECT_FALSE(corpus_files().empty()) << "no corpus under " << kCorpus;
}

}  // namespace
}  // namespace zmesh::config
