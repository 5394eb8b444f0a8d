// Field-level validation errors collected while decoding one object, each at a field path
// in Kubernetes notation (spec.ports[1].port, metadata.labels[app]).
#pragma once

#include <string>
#include <vector>

namespace zmesh::config {

struct FieldError {
  std::string path;
  std::string message;
};

class FieldErrors {
 public:
  void add(std::string path, std::string message) {
    errors_.push_back({std::move(path), std::move(message)});
  }
  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& all() const { return errors_; }
  // "path: message; path: message" (a document-level error has no path).
  std::string join() const;

 private:
  std::vector<FieldError> errors_;
};

// A value as it appears in an error message: JSON-style quoted, long values shortened.
std::string quote(const std::string& value);

}  // namespace zmesh::config
