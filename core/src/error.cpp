#include "attractor/core/error.hpp"

namespace attractor::core {

std::string printable_excerpt(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (std::size_t k = 0; k < text.size() && k < max_chars; ++k) {
    const auto c = static_cast<unsigned char>(text[k]);
    out.push_back(c >= ' ' && c <= '~' ? static_cast<char>(c) : '?');
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

}  // namespace attractor::core
