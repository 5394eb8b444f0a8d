// An ordered list of HTTP header fields. Names compare case-insensitively (RFC 9110) but keep
// the case they arrived in, so an HTTP/1.1 request goes out looking the way it came in.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zmesh::route {

bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

class HeaderList {
 public:
  struct Field {
    std::string name;
    std::string value;
    bool operator==(const Field&) const = default;
  };

  HeaderList() = default;
  HeaderList(std::initializer_list<Field> fields) : fields_(fields) {}

  // The value as Envoy's matchers see it: every field of that name, joined with ",". A single
  // field is returned without copying; several are joined into `scratch`.
  std::optional<std::string_view> get(std::string_view name, std::string& scratch) const;
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const;

  void add(std::string name, std::string value);  // append another field
  // Envoy's OVERWRITE_IF_EXISTS_OR_ADD: the first field of that name takes the value in place,
  // the others go.
  void set(std::string name, std::string value);
  size_t remove(std::string_view name);

  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  bool operator==(const HeaderList&) const = default;

 private:
  std::vector<Field> fields_;
};

}  // namespace zmesh::route
