// Re-parses a changed YAML file document by document, reusing what was decoded for the
// documents whose text did not change: editing one object of a 1,000-object file costs one
// document's parse, and the store sees the other objects unchanged (same pointers), so the
// snapshot recompiles only what was edited.
//
// The split is textual, at `---` lines (YAML forbids that marker inside any content). Files
// whose structure a textual split could misread (directives `%`, end markers `...`, a piece
// that is not exactly one document) and files with any error are parsed whole, so results
// and messages are always what parse_yaml gives for the whole file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/object.h"

namespace zmesh::config {

class YamlFileCache {
 public:
  // As parse_yaml(text, file, source).
  Result<std::vector<DecodedObject>> parse(const std::string& text, const std::string& file,
                                           const std::string& source);

 private:
  struct Document {
    std::string text;
    std::vector<DecodedObject> objects;
  };
  std::vector<Document> documents_;  // by document number - 1, as of the last parse
};

// The documents of `text` as split at `---` lines, or nothing when the text is not safe to
// split that way. Exposed for tests.
std::optional<std::vector<std::string>> split_documents(const std::string& text);

}  // namespace zmesh::config
