#include "attractor/host/io/npy.hpp"

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include "attractor/core/error.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/input_file.hpp"

namespace attractor {

namespace {

// Format reference: numpy/lib/format.py (NEP 1). A file is the magic string, a two-byte version,
// a little-endian header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), then a Python dict
// literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces and '\n'.
constexpr std::string_view kMagic = "\x93NUMPY";
// NumPy pads so the data starts on a 64-byte boundary, which lets readers map it aligned.
constexpr std::size_t kDataAlignment = 64;
// Bytes decoded or encoded per pass, so a large array is never held twice in memory.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

std::size_t item_size(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::Float32: return 4;
    case NpyDtype::Float64: return 8;
    case NpyDtype::Int8: return 1;
    case NpyDtype::Int32: return 4;
  }
  return 0;
}

const char* descr(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::Float32: return "<f4";
    case NpyDtype::Float64: return "<f8";
    case NpyDtype::Int8: return "|i1";
    case NpyDtype::Int32: return "<i4";
  }
  return "";
}

// Python's repr of a shape tuple: "()", "(3,)", "(3, 4)".
std::string shape_repr(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k > 0) s += ", ";
    s += std::to_string(shape[k]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Number of elements, or nullopt when a dimension is negative or the byte count of an array of
// `bytes_per_item` overflows int64 (so a hostile header cannot make us allocate or wrap around).
std::optional<std::int64_t> element_count(const std::vector<std::int64_t>& shape,
                                          std::size_t bytes_per_item) {
  const auto item = static_cast<std::int64_t>(bytes_per_item);
  const std::int64_t max_count = std::numeric_limits<std::int64_t>::max() / item;
  std::int64_t count = 1;
  for (std::int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    if (dim != 0 && count > max_count / dim) return std::nullopt;
    count *= dim;
  }
  return count;
}

std::string format_value(double v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

std::uint64_t load_le(const unsigned char* p, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

void store_le(unsigned char* p, std::uint64_t v, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

template <typename To, typename From>
To bit_cast_to(From from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

double decode(const unsigned char* p, NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::Float32: return bit_cast_to<float>(static_cast<std::uint32_t>(load_le(p, 4)));
    case NpyDtype::Float64: return bit_cast_to<double>(load_le(p, 8));
    case NpyDtype::Int8: return bit_cast_to<std::int8_t>(p[0]);
    case NpyDtype::Int32:
      return bit_cast_to<std::int32_t>(static_cast<std::uint32_t>(load_le(p, 4)));
  }
  return 0.0;
}

// `v` has been checked by check_representable, so every conversion here is exact or a rounding.
void encode(unsigned char* p, double v, NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::Float32:
      store_le(p, bit_cast_to<std::uint32_t>(static_cast<float>(v)), 4);
      break;
    case NpyDtype::Float64: store_le(p, bit_cast_to<std::uint64_t>(v), 8); break;
    case NpyDtype::Int8: p[0] = bit_cast_to<unsigned char>(static_cast<std::int8_t>(v)); break;
    case NpyDtype::Int32:
      store_le(p, bit_cast_to<std::uint32_t>(static_cast<std::int32_t>(v)), 4);
      break;
  }
}

// Messages are built only on failure: this runs once per value of possibly large arrays.
void check_representable(const std::string& path, core::ConstSpan<double> values, NpyDtype dtype) {
  if (dtype == NpyDtype::Float64) return;
  if (dtype == NpyDtype::Float32) {
    // A finite double beyond the float range has no float value (converting it is undefined).
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (std::isfinite(values[k]) && std::fabs(values[k]) > FLT_MAX) {
        throw core::InputError(path + ": value " + format_value(values[k]) + " at index " +
                               std::to_string(k) + " overflows float32");
      }
    }
    return;
  }
  const bool int8 = dtype == NpyDtype::Int8;
  const double lo =
      int8 ? std::numeric_limits<std::int8_t>::min() : std::numeric_limits<std::int32_t>::min();
  const double hi =
      int8 ? std::numeric_limits<std::int8_t>::max() : std::numeric_limits<std::int32_t>::max();
  for (std::size_t k = 0; k < values.size(); ++k) {
    const double v = values[k];
    if (!(v >= lo && v <= hi && v == std::trunc(v))) {
      throw core::InputError(path + ": value " + format_value(v) + " at index " +
                             std::to_string(k) + " cannot be stored as " + to_string(dtype) +
                             " (needs an integer in [" + format_value(lo) + ", " +
                             format_value(hi) + "])");
    }
  }
}

// The header dict as written, before its values are checked.
struct NpyHeader {
  std::string descr;  // a structured dtype's list of fields is kept as its text, "[...]"
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

// Parses the header dict. NumPy evaluates it as a Python literal; this accepts the subset NumPy
// and other writers produce: string keys, a string descr, True/False, a tuple of integers.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  NpyHeader parse() {
    NpyHeader header;
    bool have_descr = false;
    bool have_fortran = false;
    bool have_shape = false;
    expect('{');
    while (!consume('}')) {
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        require_once(have_descr, key);
        header.descr = parse_descr();
      } else if (key == "fortran_order") {
        require_once(have_fortran, key);
        header.fortran_order = parse_bool();
      } else if (key == "shape") {
        require_once(have_shape, key);
        header.shape = parse_shape();
      } else {
        fail("unexpected key '" + core::printable_excerpt(key) + "'");
      }
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    if (!have_descr || !have_fortran || !have_shape) {
      fail("'descr', 'fortran_order' and 'shape' are all required");
    }
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw core::InputError(path_ + ": malformed .npy header: " + problem + " in \"" +
                           core::printable_excerpt(text_, 120) + "\"");
  }

  void require_once(bool& seen, const std::string& key) const {
    if (seen) fail("key '" + key + "' appears twice");
    seen = true;
  }

  void skip_space() {
    while (pos_ < text_.size() && std::strchr(" \t\r\n", text_[pos_]) != nullptr) ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }

  std::string parse_string() {
    skip_space();
    const char quote = pos_ < text_.size() ? text_[pos_] : '\0';
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return s;
  }

  bool parse_bool() {
    skip_space();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const std::string_view w = word;
      if (text_.substr(pos_, w.size()) == w) {
        pos_ += w.size();
        return value;
      }
    }
    fail("'fortran_order' must be True or False");
  }

  // A structured dtype is a list of (name, descr) tuples; its text is kept to be refused later.
  std::string parse_descr() {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '[') {
      const std::size_t close = text_.find(']', pos_);
      if (close == std::string_view::npos) fail("unterminated list");
      const std::size_t open = pos_;
      pos_ = close + 1;
      return std::string(text_.substr(open, pos_ - open));
    }
    return parse_string();
  }

  std::vector<std::int64_t> parse_shape() {
    std::vector<std::int64_t> shape;
    expect('(');
    bool trailing_comma = false;
    while (!consume(')')) {
      skip_space();
      std::int64_t dim = 0;
      const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), dim);
      if (ec == std::errc::result_out_of_range) fail("a dimension of 'shape' is too large");
      if (ec != std::errc()) fail("'shape' must be a tuple of integers");
      pos_ = static_cast<std::size_t>(end - text_.data());
      shape.push_back(dim);
      trailing_comma = consume(',');
      if (!trailing_comma) {
        expect(')');
        break;
      }
    }
    // Python reads "(3)" as the integer 3, not a tuple.
    if (shape.size() == 1 && !trailing_comma) fail("'shape' must be a tuple");
    return shape;
  }

  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

NpyDtype checked_dtype(const std::string& path, const std::string& text) {
  core::require(text.empty() || text[0] != '[', path,
                "unsupported dtype: structured arrays are not supported");
  if (text == "<f8") return NpyDtype::Float64;
  if (text == "<f4") return NpyDtype::Float32;
  if (text == "<i4") return NpyDtype::Int32;
  // Byte order is meaningless for one-byte items; NumPy writes '|i1'.
  if (text == "|i1" || text == "<i1" || text == ">i1" || text == "=i1" || text == "i1") {
    return NpyDtype::Int8;
  }
  core::require(text.empty() || text[0] != '>', path,
                "big-endian dtype '" + core::printable_excerpt(text) +
                    "' is not supported; save a little-endian array "
                    "(array.astype(array.dtype.newbyteorder('<')))");
  throw core::InputError(path + ": unsupported dtype '" + core::printable_excerpt(text) +
                         "' (supported: '<f4', '<f8', '|i1', '<i4')");
}

}  // namespace

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (std::int64_t dim : shape) n *= dim;
  return n;
}

NpyArray read_npy(const std::string& path) {
  InputFile file(path, "a .npy file");
  const auto file_bytes = static_cast<std::streamoff>(file.size());
  const auto read_exactly = [&](void* dst, std::size_t bytes) { file.read_exactly(dst, bytes); };

  // Magic (6 bytes), version (2), header length (2 in 1.0, 4 otherwise).
  unsigned char prefix[12] = {};
  const auto available = static_cast<std::size_t>(std::min<std::streamoff>(file_bytes, 8));
  read_exactly(prefix, available);
  core::require(std::memcmp(prefix, kMagic.data(), std::min(available, kMagic.size())) == 0, path,
                "not a .npy file (bad magic string)");
  core::require(available == 8, path,
                "truncated header: the file has only " + std::to_string(file_bytes) + " bytes");
  const int major = prefix[6];
  const int minor = prefix[7];
  core::require((major == 1 || major == 2 || major == 3) && minor == 0, path,
                "unsupported .npy format version " + std::to_string(major) + "." +
                    std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t prefix_bytes = 8 + length_bytes;
  core::require(static_cast<std::size_t>(file_bytes) >= prefix_bytes, path,
                "truncated header: the file has only " + std::to_string(file_bytes) + " bytes");
  read_exactly(prefix + 8, length_bytes);
  const std::uint64_t header_bytes = load_le(prefix + 8, length_bytes);
  const std::uint64_t after_prefix = static_cast<std::uint64_t>(file_bytes) - prefix_bytes;
  core::require(header_bytes <= after_prefix, path,
                "truncated header: it declares " + std::to_string(header_bytes) +
                    " bytes but only " + std::to_string(after_prefix) + " follow");
  // Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8; a valid header is ASCII either way.
  std::string header_text(header_bytes, '\0');
  read_exactly(header_text.data(), header_text.size());
  const NpyHeader header = HeaderParser(path, header_text).parse();
  const NpyDtype dtype = checked_dtype(path, header.descr);
  core::require(!header.fortran_order, path,
                "Fortran-order (column-major) arrays are not supported; save a C-order array "
                "(numpy.ascontiguousarray)");
  for (std::int64_t dim : header.shape) {
    if (dim < 0) {
      throw core::InputError(path + ": negative dimension " + std::to_string(dim) + " in shape " +
                             shape_repr(header.shape));
    }
  }

  const std::size_t item = item_size(dtype);
  const std::optional<std::int64_t> count = element_count(header.shape, item);
  core::require(count.has_value(), path,
                "shape " + shape_repr(header.shape) + " is too large (over 2^63 bytes)");
  const auto expected_bytes = static_cast<std::uint64_t>(*count) * item;
  const std::uint64_t data_bytes = after_prefix - header_bytes;
  const std::string what = shape_repr(header.shape) + " " + descr(dtype);
  core::require(data_bytes >= expected_bytes, path,
                "truncated data: expected " + std::to_string(expected_bytes) + " bytes for shape " +
                    what + ", found " + std::to_string(data_bytes));
  core::require(data_bytes == expected_bytes, path,
                std::to_string(data_bytes - expected_bytes) +
                    " trailing bytes after the data (expected " + std::to_string(expected_bytes) +
                    " bytes for shape " + what + ")");

  NpyArray array;
  array.dtype = dtype;
  array.shape = header.shape;
  array.values.resize(static_cast<std::size_t>(*count));
  std::vector<unsigned char> chunk(std::min<std::uint64_t>(expected_bytes, kChunkBytes));
  for (std::size_t done = 0; done < array.values.size();) {
    const std::size_t n = std::min(array.values.size() - done, chunk.size() / item);
    read_exactly(chunk.data(), n * item);
    for (std::size_t k = 0; k < n; ++k) {
      array.values[done + k] = decode(chunk.data() + k * item, dtype);
    }
    done += n;
  }
  return array;
}

void write_npy(const std::string& path, const std::vector<std::int64_t>& shape,
               core::ConstSpan<double> values, NpyDtype dtype) {
  const std::size_t item = item_size(dtype);
  const std::optional<std::int64_t> count = element_count(shape, item);
  core::require(
      count.has_value(), path,
      "cannot write shape " + shape_repr(shape) + ": negative dimension or over 2^63 bytes");
  core::require(static_cast<std::uint64_t>(*count) == values.size(), path,
                "shape " + shape_repr(shape) + " holds " + std::to_string(*count) + " values but " +
                    std::to_string(values.size()) + " were given");
  check_representable(path, values, dtype);

  // Keys in sorted order, as NumPy writes them.
  std::string header = std::string("{'descr': '") + descr(dtype) +
                       "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  // Version 1.0 stores the header length in 2 bytes; 2.0 is needed only beyond that.
  std::size_t prefix_bytes = 10;
  const auto padded = [&] {
    const std::size_t unpadded = prefix_bytes + header.size() + 1;  // + the closing '\n'
    return (unpadded + kDataAlignment - 1) / kDataAlignment * kDataAlignment - prefix_bytes;
  };
  if (padded() > std::numeric_limits<std::uint16_t>::max()) prefix_bytes = 12;
  const std::size_t header_bytes = padded();
  header.resize(header_bytes - 1, ' ');
  header += '\n';

  std::string prefix(kMagic);
  prefix += static_cast<char>(prefix_bytes == 10 ? 1 : 2);
  prefix += '\0';
  unsigned char length[4];
  store_le(length, header_bytes, prefix_bytes - 8);
  prefix.append(reinterpret_cast<const char*>(length), prefix_bytes - 8);

  write_file_atomically(path, [&](std::ostream& out) {
    out << prefix << header;
    std::vector<unsigned char> chunk(std::min(values.size() * item, kChunkBytes));
    for (std::size_t done = 0; done < values.size();) {
      const std::size_t n = std::min(values.size() - done, chunk.size() / item);
      for (std::size_t k = 0; k < n; ++k) encode(chunk.data() + k * item, values[done + k], dtype);
      out.write(reinterpret_cast<const char*>(chunk.data()),
                static_cast<std::streamsize>(n * item));
      done += n;
    }
  });
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

core::StateBatch state_batch(NpyArray array, std::int64_t n, const std::string& what) {
  const auto& shape = array.shape;
  const bool one = shape.size() == 1 && shape[0] == n;
  const bool batch = shape.size() == 2 && shape[1] == n;
  const std::string nn = std::to_string(n);
  core::require(one || batch, what,
                "initial states must have shape (B, " + nn + ") or (" + nn + ",) to match the " +
                    nn + "-neuron weights, got " + shape_text(shape));
  core::require(one || shape[0] >= 1, what, "holds no states: its shape is " + shape_text(shape));
  core::require(core::all_finite(array.values), what, "contains NaN or Inf");
  core::StateBatch states;
  states.n = n;
  states.batch = one ? 1 : shape[0];
  states.values = std::move(array.values);
  return states;
}

}  // namespace attractor
