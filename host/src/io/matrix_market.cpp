#include "attractor/host/io/matrix_market.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <string_view>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/input_file.hpp"

namespace attractor {

namespace {

// Format reference: R. F. Boisvert, R. Pozo, K. Remington, "The Matrix Market Exchange Formats:
// Initial Design", NISTIR 5935 (1996). Keywords are matched case-insensitively, as scipy.io does.
constexpr std::string_view kBannerTag = "%%matrixmarket";
constexpr std::size_t kMaxTokens = 5;
// Bytes of text written per pass when saving.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

enum class Field { Real, Integer, Pattern };
enum class Symmetry { General, Symmetric, SkewSymmetric };

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on blanks into at most kMaxTokens tokens; returns how many there are in all.
std::size_t tokenize(std::string_view line, std::array<std::string_view, kMaxTokens>& tokens) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (true) {
    pos = line.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) return count;
    const std::size_t end = std::min(line.find_first_of(" \t", pos), line.size());
    if (count < kMaxTokens) tokens[count] = line.substr(pos, end - pos);
    ++count;
    pos = end;
  }
}

// from_chars without its refusal of a leading '+', which C's strtod and Python accept.
template <typename T>
bool parse_number(std::string_view token, T& value) {
  if (token.size() > 1 && token[0] == '+' && token[1] != '-') token.remove_prefix(1);
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  return ec == std::errc() && end == token.data() + token.size();
}

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path), file_(path, "a Matrix Market file") {}

  core::CsrMatrix<double> read() {
    read_banner();
    read_size();
    read_entries();
    return core::csr_from_triplets(rows_, cols_, std::move(triplets_), path_);
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw core::InputError(path_ + ": line " + std::to_string(line_no_) + ": " + problem);
  }

  bool next_line() {
    if (!file_.read_line(line_, line_no_ + 1)) return false;
    ++line_no_;
    return true;
  }

  // Next line that is neither blank nor a comment.
  bool next_data_line() {
    while (next_line()) {
      const std::size_t first = line_.find_first_not_of(" \t");
      if (first != std::string::npos && line_[first] != '%') return true;
    }
    return false;
  }

  void read_banner() {
    const std::string expected =
        "expected '%%MatrixMarket matrix coordinate real|integer|pattern "
        "general|symmetric|skew-symmetric'";
    if (!next_line()) throw core::InputError(path_ + ": empty file, " + expected);
    if (lower(line_.substr(0, kBannerTag.size())) != kBannerTag) {
      fail("missing '%%MatrixMarket' banner, " + expected);
    }
    std::array<std::string_view, kMaxTokens> tokens;
    if (tokenize(line_, tokens) != 5 || lower(tokens[0]) != kBannerTag) {
      fail("malformed banner, " + expected);
    }
    const std::string object = lower(tokens[1]);
    const std::string format = lower(tokens[2]);
    const std::string field = lower(tokens[3]);
    const std::string symmetry = lower(tokens[4]);
    if (object != "matrix")
      fail("unsupported object '" + core::printable_excerpt(object) + "' in banner, " + expected);
    if (format == "array") {
      fail(
          "the dense 'array' format is not supported; write the matrix in 'coordinate' format "
          "(e.g. scipy.io.mmwrite of a scipy.sparse matrix)");
    }
    if (format != "coordinate")
      fail("unknown format '" + core::printable_excerpt(format) + "' in banner, " + expected);
    if (field == "real") {
      field_ = Field::Real;
    } else if (field == "integer") {
      field_ = Field::Integer;
    } else if (field == "pattern") {
      field_ = Field::Pattern;
    } else if (field == "complex") {
      fail("complex matrices are not supported");
    } else {
      fail("unknown field '" + core::printable_excerpt(field) + "' in banner, " + expected);
    }
    if (symmetry == "general") {
      symmetry_ = Symmetry::General;
    } else if (symmetry == "symmetric") {
      symmetry_ = Symmetry::Symmetric;
    } else if (symmetry == "skew-symmetric") {
      symmetry_ = Symmetry::SkewSymmetric;
    } else if (symmetry == "hermitian") {
      fail("hermitian matrices are not supported");
    } else {
      fail("unknown symmetry '" + core::printable_excerpt(symmetry) + "' in banner, " + expected);
    }
    // The specification allows a pattern matrix to be general or symmetric only.
    if (field_ == Field::Pattern && symmetry_ == Symmetry::SkewSymmetric) {
      fail("a pattern matrix cannot be skew-symmetric");
    }
  }

  void read_size() {
    if (!next_data_line()) {
      throw core::InputError(path_ + ": truncated: the size line 'rows cols entries' is missing");
    }
    std::array<std::string_view, kMaxTokens> tokens;
    std::array<std::int64_t, 3> size{};
    bool ok = tokenize(line_, tokens) == 3;
    for (std::size_t k = 0; ok && k < 3; ++k) ok = parse_number(tokens[k], size[k]) && size[k] >= 0;
    if (!ok)
      fail("bad size line '" + core::printable_excerpt(line_) + "', expected 'rows cols entries'");
    rows_ = size[0];
    cols_ = size[1];
    entries_ = size[2];
    // Checked before the row offsets are allocated: a few bytes of size line could otherwise
    // ask for gigabytes.
    if (rows_ > core::kMaxNeurons || cols_ > core::kMaxNeurons) {
      fail("more than the limit of " + std::to_string(core::kMaxNeurons) + " rows or columns");
    }
    if (symmetry_ != Symmetry::General && rows_ != cols_) {
      fail("a symmetric or skew-symmetric matrix must be square, the size line says " +
           std::to_string(rows_) + " x " + std::to_string(cols_));
    }
  }

  void read_entries() {
    const std::size_t expected_tokens = field_ == Field::Pattern ? 2 : 3;
    const std::size_t copies = symmetry_ == Symmetry::General ? 1 : 2;
    // An entry line takes at least 4 bytes, so a corrupt count cannot reserve beyond the file.
    const auto max_entries = static_cast<std::int64_t>(file_.size() / 4);
    triplets_.reserve(static_cast<std::size_t>(std::min(entries_, max_entries)) * copies);

    std::int64_t found = 0;
    std::array<std::string_view, kMaxTokens> tokens;
    while (next_data_line()) {
      if (found == entries_) {
        fail("more entries than the " + std::to_string(entries_) + " declared in the size line");
      }
      const std::size_t count = tokenize(line_, tokens);
      if (count != expected_tokens) {
        fail("expected " + std::to_string(expected_tokens) + " fields (" +
             (field_ == Field::Pattern ? "row col" : "row col value") + "), found " +
             std::to_string(count));
      }
      std::int64_t i = 0;
      std::int64_t j = 0;
      if (!parse_number(tokens[0], i) || !parse_number(tokens[1], j)) {
        fail("row and column must be integers, found '" + core::printable_excerpt(tokens[0]) +
             "' and '" + core::printable_excerpt(tokens[1]) + "'");
      }
      if (i < 1 || i > rows_ || j < 1 || j > cols_) {
        fail("entry (" + std::to_string(i) + ", " + std::to_string(j) +
             ") is out of range: outside the " + std::to_string(rows_) + " x " +
             std::to_string(cols_) + " matrix (indices are 1-based)");
      }
      const double value = field_ == Field::Pattern ? 1.0 : parse_value(tokens[2]);
      if (symmetry_ == Symmetry::SkewSymmetric && i == j) {
        fail("a skew-symmetric matrix has no diagonal entries, found (" + std::to_string(i) + ", " +
             std::to_string(j) + ")");
      }
      --i;
      --j;
      triplets_.push_back({i, j, value});
      // Only one triangle is stored; like scipy.io.mmread, mirror every off-diagonal entry.
      if (symmetry_ != Symmetry::General && i != j) {
        triplets_.push_back({j, i, symmetry_ == Symmetry::Symmetric ? value : -value});
      }
      ++found;
    }
    if (found < entries_) {
      throw core::InputError(path_ + ": truncated: the size line declares " +
                             std::to_string(entries_) + " entries but the file ends after " +
                             std::to_string(found));
    }
  }

  double parse_value(std::string_view token) const {
    const auto quoted = [&] { return "'" + core::printable_excerpt(token) + "'"; };
    if (field_ == Field::Integer) {
      std::int64_t v = 0;
      if (!parse_number(token, v)) fail("value " + quoted() + " is not an integer");
      return static_cast<double>(v);
    }
    double v = 0.0;
    if (!parse_number(token, v))
      fail("value " + quoted() + " is not a number (or overflows double)");
    if (!std::isfinite(v)) {
      fail("value " + quoted() + " is not finite (NaN and Inf are not allowed)");
    }
    return v;
  }

  const std::string& path_;
  InputFile file_;
  std::string line_;
  std::int64_t line_no_ = 0;
  Field field_ = Field::Real;
  Symmetry symmetry_ = Symmetry::General;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::int64_t entries_ = 0;
  std::vector<core::Triplet<double>> triplets_;
};

template <typename T>
void append_number(std::string& out, T value) {
  char buf[32];
  const auto end = [&] {
    if constexpr (std::is_floating_point_v<T>) {
      // 17 significant digits identify every double uniquely (IEEE 754-2008, 5.12.2).
      return std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 17).ptr;
    } else {
      return std::to_chars(buf, buf + sizeof buf, value).ptr;
    }
  }();
  out.append(buf, end);
}

}  // namespace

core::CsrMatrix<double> read_matrix_market(const std::string& path) { return Reader(path).read(); }

void write_matrix_market(const std::string& path, const core::CsrMatrix<double>& matrix,
                         bool symmetric) {
  const auto& m = matrix;
  core::require(m.rows >= 0 && static_cast<std::int64_t>(m.row_ptr.size()) == m.rows + 1 &&
                    m.row_ptr.back() == m.nnz() && m.col_idx.size() == m.values.size(),
                path, "cannot write inconsistent CSR arrays");
  core::require(!symmetric || m.rows == m.cols, path,
                "a symmetric matrix must be square, got " + std::to_string(m.rows) + " x " +
                    std::to_string(m.cols));
  // The reader rejects non-finite values, so writing one would make a file nothing reads back.
  core::require(core::all_finite(m.values), path, "the matrix holds NaN or Inf values");

  const auto written = [&](std::int64_t i, std::int64_t k) {
    return !symmetric || m.col_idx[k] <= i;
  };
  std::int64_t entries = 0;
  for (std::int64_t i = 0; i < m.rows; ++i) {
    for (std::int64_t k = m.row_ptr[i]; k < m.row_ptr[i + 1]; ++k) entries += written(i, k) ? 1 : 0;
  }

  write_file_atomically(path, [&](std::ostream& out) {
    std::string text = "%%MatrixMarket matrix coordinate real ";
    text += symmetric ? "symmetric\n" : "general\n";
    append_number(text, m.rows);
    text += ' ';
    append_number(text, m.cols);
    text += ' ';
    append_number(text, entries);
    text += '\n';
    for (std::int64_t i = 0; i < m.rows; ++i) {
      for (std::int64_t k = m.row_ptr[i]; k < m.row_ptr[i + 1]; ++k) {
        if (!written(i, k)) continue;
        append_number(text, i + 1);
        text += ' ';
        append_number(text, std::int64_t{m.col_idx[k]} + 1);
        text += ' ';
        append_number(text, m.values[k]);
        text += '\n';
        if (text.size() >= kChunkBytes) {
          out << text;
          text.clear();
        }
      }
    }
    out << text;
  });
}

}  // namespace attractor
