#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/buffer.hpp"
#include "attractor/core/enum_names.hpp"
#include "attractor/core/state_batch.hpp"

namespace attractor {

// NumPy .npy files (format versions 1.0, 2.0 and 3.0), C order, little-endian, of dtype float32
// ('<f4'), float64 ('<f8'), int8 ('|i1') or int32 ('<i4'). Values are widened to double on read:
// every value of those dtypes is exactly representable.
enum class NpyDtype { Float32, Float64, Int8, Int32 };
constexpr core::NameTable<NpyDtype, 4> enum_names(NpyDtype) {
  return {"dtype",
          {{{NpyDtype::Float32, "float32"},
            {NpyDtype::Float64, "float64"},
            {NpyDtype::Int8, "int8"},
            {NpyDtype::Int32, "int32"}}}};
}

struct NpyArray {
  NpyDtype dtype = NpyDtype::Float64;
  std::vector<std::int64_t> shape;
  std::vector<double> values;  // C order

  std::int64_t size() const;  // product of shape (1 for a 0-d array)
};

// Throws core::InputError("<path>: <problem>") for a missing, truncated or malformed file, a
// dtype outside the list above, Fortran order, or a big-endian array.
NpyArray read_npy(const std::string& path);

// Writes `values` (C order, product of shape entries) converted to `dtype`, atomically. For the
// integer dtypes every value must be an integer in range; otherwise core::InputError.
void write_npy(const std::string& path, const std::vector<std::int64_t>& shape,
               core::ConstSpan<double> values, NpyDtype dtype = NpyDtype::Float64);

// "(2, 3)" / "(3,)": an array's shape as NumPy prints it.
std::string shape_text(const std::vector<std::int64_t>& shape);

// Initial states of an n-neuron network from an array of shape (B, n) or (n,) (a file or a
// NumPy array): InputError naming `what` for another shape or a NaN/Inf value.
core::StateBatch state_batch(NpyArray array, std::int64_t n, const std::string& what);

}  // namespace attractor
