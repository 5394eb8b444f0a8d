#include "route/header_list.h"

#include <algorithm>

namespace zmesh::route {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::optional<std::string_view> HeaderList::get(std::string_view name, std::string& scratch) const {
  const Field* first = nullptr;
  bool joined = false;
  for (const Field& f : fields_) {
    if (!iequals(f.name, name)) continue;
    if (first == nullptr) {
      first = &f;
      continue;
    }
    if (!joined) {
      scratch = first->value;
      joined = true;
    }
    scratch += ',';
    scratch += f.value;
  }
  if (first == nullptr) return std::nullopt;
  if (joined) return std::string_view(scratch);
  return std::string_view(first->value);
}

std::optional<std::string> HeaderList::get(std::string_view name) const {
  std::string scratch;
  auto v = get(name, scratch);
  if (!v) return std::nullopt;
  return std::string(*v);
}

bool HeaderList::contains(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const Field& f) { return iequals(f.name, name); });
}

void HeaderList::add(std::string name, std::string value) {
  fields_.push_back({std::move(name), std::move(value)});
}

void HeaderList::set(std::string name, std::string value) {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [&](const Field& f) { return iequals(f.name, name); });
  if (first == fields_.end()) {
    add(std::move(name), std::move(value));
    return;
  }
  first->value = std::move(value);
  auto rest = std::remove_if(first + 1, fields_.end(),
                             [&](const Field& f) { return iequals(f.name, name); });
  fields_.erase(rest, fields_.end());
}

size_t HeaderList::remove(std::string_view name) {
  auto rest = std::remove_if(fields_.begin(), fields_.end(),
                             [&](const Field& f) { return iequals(f.name, name); });
  size_t n = static_cast<size_t>(fields_.end() - rest);
  fields_.erase(rest, fields_.end());
  return n;
}

}  // namespace zmesh::route
