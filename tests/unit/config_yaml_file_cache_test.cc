// The directory source's per-document cache: it must decode exactly as parse_yaml does (every
// corpus file, from a cold and from a primed cache), and re-parse only edited documents.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/yaml_file_cache.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

namespace fs = std::filesystem;

std::string summary(const Result<std::vector<DecodedObject>>& parsed) {
  if (!parsed) return "error: " + parsed.error().message;
  std::string out;
  for (const auto& o : *parsed) {
    out += (o.key ? o.key->display() : "-") + " | " + o.error + " | " +
           (o.object ? meta_of(*o.object).source : "-") + "\n";
  }
  return out;
}

std::string pod(const std::string& name, const std::string& ip) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: ns}\n" +
         "status: {podIP: \"" + ip + "\"}\n";
}

TEST(SplitDocuments, AtMarkerLinesOnly) {
  EXPECT_EQ(*split_documents("a: 1\n---\nb: 2\n"),
            (std::vector<std::string>{"a: 1\n", "---\nb: 2\n"}));
  // A leading marker (and comments before it) start no document of their own.
  EXPECT_EQ(*split_documents("# c\n---\na: 1\n---\nb: 2"),
            (std::vector<std::string>{"---\na: 1\n", "---\nb: 2"}));
  // `----` or ` ---` are content, not markers.
  EXPECT_EQ(split_documents("a: |\n ---\n----\n")->size(), 1u);
  // Directives and end markers: not split (parsed whole).
  EXPECT_FALSE(split_documents("%YAML 1.2\n---\na: 1\n"));
  EXPECT_FALSE(split_documents("a: 1\n...\n---\nb: 2\n"));
}

TEST(YamlFileCache, ReusesUnchangedDocumentsOnly) {
  YamlFileCache cache;
  auto first = cache.parse(pod("p1", "10.0.0.1") + "---\n" + pod("p2", "10.0.0.2"), "f.yaml", "/f");
  auto second =
      cache.parse(pod("p1", "10.0.0.1") + "---\n" + pod("p2", "10.0.0.22"), "f.yaml", "/f");
  ASSERT_TRUE(first && second);
  ASSERT_EQ(first->size(), 2u);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*first)[0].object, (*second)[0].object);  // the same decoded object: no change
  EXPECT_NE((*first)[1].object, (*second)[1].object);  // the edited one, decoded again
  EXPECT_EQ(meta_of(*(*second)[1].object).source, "/f#2");
}

TEST(YamlFileCache, InvalidDocumentGivesTheWholeFilesMessages) {
  YamlFileCache cache;
  std::string text = pod("p1", "10.0.0.1") + "---\n" + pod("p2", "bad") + "---\n[unclosed\n";
  EXPECT_EQ(summary(cache.parse(text, "f.yaml", "/f")), summary(parse_yaml(text, "f.yaml", "/f")));
}

// Texts where a document alone reads differently from the same document in its file.
TEST(YamlFileCache, PieceBoundariesReadAsInTheWholeFile) {
  for (const std::string& text : std::vector<std::string>{
           // A multi-line plain scalar running into the marker: yaml-cpp refuses the file.
           pod("p1", "10.0.0.1") + "  labels:\n    a: b\n c\n---\n" + pod("p2", "10.0.0.2"),
           pod("p1", "10.0.0.1") + "---\n---\n" + pod("p2", "10.0.0.2") + "---\n",
           "# only a comment\n---\n" + pod("p1", "10.0.0.1"),
           // Not UTF-8 in the leading comment, which belongs to no piece: the file is invalid.
           "# \xff\xfe\n---\n" + pod("p1", "10.0.0.1") + "---\n" + pod("p2", "10.0.0.2"),
       }) {
    YamlFileCache cache;
    EXPECT_EQ(summary(cache.parse(text, "f.yaml", "/f")), summary(parse_yaml(text, "f.yaml", "/f")))
        << text;
  }
}

// Every YAML file of the repository's corpora decodes the same through the cache, cold and
// primed with another version of the file (its first half).
TEST(YamlFileCache, SameAsParseYamlOnEveryCorpusFile) {
  size_t files = 0;
  for (const auto* dir : {"tests/unit/config_corpus", "tests/unit/testdata", "tests/fuzz/seeds",
                          "tests/fuzz/regressions"}) {
    fs::path root = fs::path(ZMESH_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      std::string s = text.str();
      YamlFileCache cold, primed;
      (void)primed.parse(s.substr(0, s.size() / 2), "f.yaml", "/f");
      auto expected = summary(parse_yaml(s, "f.yaml", "/f"));
      EXPECT_EQ(summary(cold.parse(s, "f.yaml", "/f")), expected) << entry.path();
      EXPECT_EQ(summary(primed.parse(s, "f.yaml", "/f")), expected) << entry.path();
      ++files;
    }
  }
  EXPECT_GT(files, 50u);
}

}  // namespace
}  // namespace zmesh::config
