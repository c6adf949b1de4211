#pragma once
// One table of names per enum, declared next to the enum as
//
//   constexpr NameTable<Dynamics, 5> enum_names(Dynamics) { return {"dynamics", {{...}}}; }
//
// (found by argument-dependent lookup, so an enum in any namespace, or nested in a class as a
// hidden friend, takes part). The table is the only list of an enum's names: to_string, parsing
// (with the error that lists the choices), the CLI's choices and the names Python accepts all
// read it, so adding a value means adding one row.
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"

namespace attractor::core {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

template <typename E, std::size_t K>
struct NameTable {
  const char* noun;  // what a value is called in messages: "dynamics", "integrator", ...
  std::array<EnumName<E>, K> entries;
};

// "a", "a or b", "a, b or c".
std::string join_choices(const std::vector<std::string>& names);

template <typename E, typename = decltype(enum_names(E{}))>
const char* to_string(E value) {
  for (const auto& entry : enum_names(E{}).entries) {
    if (entry.value == value) return entry.name;
  }
  // Only a value cast from an integer outside the enum gets here: a programming error.
  throw std::logic_error(std::string(enum_names(E{}).noun) + " value outside its name table");
}

// The names in table order: the CLI's choices, Python's, and the order messages list them in.
template <typename E>
std::vector<std::string> enum_choices() {
  std::vector<std::string> names;
  for (const auto& entry : enum_names(E{}).entries) names.emplace_back(entry.name);
  return names;
}

// The value named `name`; InputError "<what>: unknown <noun> '<name>' (expected ...)" otherwise.
template <typename E>
E parse_enum(const std::string& name, const std::string& what) {
  for (const auto& entry : enum_names(E{}).entries) {
    if (name == entry.name) return entry.value;
  }
  throw InputError(what + ": unknown " + enum_names(E{}).noun + " '" + printable_excerpt(name) +
                   "' (expected " + join_choices(enum_choices<E>()) + ")");
}

}  // namespace attractor::core

namespace attractor {
// The host library's enums live in namespace attractor; their callers spell these unqualified.
using core::enum_choices;
using core::parse_enum;
using core::to_string;
}  // namespace attractor
