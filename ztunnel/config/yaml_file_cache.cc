#include "config/yaml_file_cache.h"

#include <string_view>

#include "config/utf8.h"
#include "config/yaml_parser.h"

namespace zmesh::config {
namespace {

// A document start marker: `---` at column 0, then end of line, a space or a tab.
bool is_marker(std::string_view line) {
  return line.starts_with("---") &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Only blank lines and comments: before the first marker, YAML sees no document there.
bool only_comments(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') return false;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> split_documents(const std::string& text) {
  std::vector<std::string> pieces;
  std::string_view all(text);
  size_t start = 0, pos = 0;
  bool any_marker = false;
  while (pos <= all.size()) {
    size_t end = all.find('\n', pos);
    std::string_view line = all.substr(pos, end == std::string_view::npos ? all.npos : end - pos);
    if (line.starts_with("...") || line.starts_with("%")) return std::nullopt;
    if (is_marker(line)) {
      if (any_marker || !only_comments(all.substr(start, pos - start))) {
        pieces.emplace_back(all.substr(start, pos - start));
      }
      any_marker = true;
      start = pos;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (start < all.size() || any_marker) pieces.emplace_back(all.substr(start));
  return pieces;
}

Result<std::vector<DecodedObject>> YamlFileCache::parse(const std::string& text,
                                                        const std::string& file,
                                                        const std::string& source) {
  auto whole = [&]() {
    documents_.clear();
    return parse_yaml(text, file, source);
  };
  // A comment before the first marker belongs to no piece, but its bytes still make the whole
  // file invalid: the whole file's verdict, as parse_yaml gives it.
  if (text.size() > kMaxYamlBytes || first_invalid_utf8(text)) return whole();
  auto pieces = split_documents(text);
  if (!pieces || pieces->size() < 2) return whole();

  std::vector<Document> next;
  next.reserve(pieces->size());
  std::vector<DecodedObject> out;
  for (size_t i = 0; i < pieces->size(); ++i) {
    std::string& piece = (*pieces)[i];
    if (i < documents_.size() && documents_[i].text == piece) {
      next.push_back(std::move(documents_[i]));
    } else {
      // With the next marker: how a piece ends can make that marker an error (yaml-cpp
      // refuses `---` where a multi-line plain scalar would continue), which the piece alone
      // would not show. The marker adds an empty document, which decodes to nothing.
      bool last = i + 1 == pieces->size();
      auto parsed = parse_yaml(last ? piece : piece + "---\n", file, source, i + 1);
      if (!parsed) return whole();
      next.push_back({std::move(piece), std::move(parsed).value()});
    }
    for (const auto& o : next.back().objects) {
      if (!o.object) return whole();  // messages must be the whole file's
    }
    out.insert(out.end(), next.back().objects.begin(), next.back().objects.end());
  }
  documents_ = std::move(next);
  return out;
}

}  // namespace zmesh::config
