#include "config/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>

#include <map>
#include <optional>
#include <sstream>

namespace zmesh::config {
namespace {

// Builds nodes from parser events as yaml-cpp's internal NodeBuilder does (same node types,
// tags, styles, shared nodes for aliases), with the public Node API. Every Node is copy-
// constructed, never assigned: Node::operator= rebinds what other handles see.
class DocumentBuilder final : public YAML::EventHandler {
 public:
  std::vector<YAML::Node> documents;

  void OnDocumentStart(const YAML::Mark& mark) override {
    // A document that consumed no token starts where the previous one started: the parser
    // is stuck and would return this document forever.
    if (last_start_ && last_start_->pos == mark.pos) {
      throw YAML::ParserException(mark, "unexpected token where a document should start");
    }
    last_start_ = mark;
    stack_.clear();
    anchors_.clear();
    root_.reset();
  }
  void OnDocumentEnd() override { documents.push_back(root_ ? *root_ : YAML::Node()); }

  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
    add(YAML::Node(YAML::NodeType::Null), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw YAML::ParserException(mark, "alias to an unknown anchor");
    attach(it->second);
  }
  void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YAML::Node node(value);
    node.SetTag(tag);
    add(node, anchor);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(YAML::NodeType::Sequence, tag, anchor, style);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(YAML::NodeType::Map, tag, anchor, style);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::Node node;
    std::optional<YAML::Node> key;  // a map's key waiting for its value
  };

  void open(YAML::NodeType::value type, const std::string& tag, YAML::anchor_t anchor,
            YAML::EmitterStyle::value style) {
    YAML::Node node(type);
    node.SetTag(tag);
    node.SetStyle(style);
    add(node, anchor);
    stack_.push_back({node, std::nullopt});
  }
  void close() {
    if (!stack_.empty()) stack_.pop_back();
  }
  void add(const YAML::Node& node, YAML::anchor_t anchor) {
    if (anchor) anchors_.emplace(anchor, node);
    attach(node);
  }
  void attach(const YAML::Node& node) {
    if (stack_.empty()) {
      root_.emplace(node);
      return;
    }
    Open& parent = stack_.back();
    if (parent.node.IsSequence()) {
      parent.node.push_back(node);
    } else if (!parent.key) {
      parent.key.emplace(node);
    } else {
      parent.node.force_insert(*parent.key, node);
      parent.key.reset();
    }
  }

  std::optional<YAML::Mark> last_start_;
  std::vector<Open> stack_;
  std::map<YAML::anchor_t, YAML::Node> anchors_;
  std::optional<YAML::Node> root_;
};

}  // namespace

std::vector<YAML::Node> load_all_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentBuilder builder;
  while (parser.HandleNextDocument(builder)) {
  }
  return std::move(builder.documents);
}

}  // namespace zmesh::config
