#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attractor {

// An 8-bit picture, rows top to bottom, `channels` bytes a pixel (1 gray, 3 RGB).
struct Image {
  int width = 0, height = 0, channels = 3;
  std::vector<std::uint8_t> pixels;
};

// Writes `image` as a PNG, atomically (write_file_atomically).
void write_png(const std::string& path, const Image& image);

// The rows of W (units × rows·cols, row-major) as a grid of rows × cols tiles, `grid_cols` tiles
// a row (0: the smallest count that makes the grid about square), a 1-pixel gap between tiles.
// Each tile is drawn on a blue–white–red scale symmetric about zero and scaled by that unit's
// largest |w|, as Krotov & Hopfield draw their receptive fields: the sign pattern of every unit
// stays visible whatever its norm.
Image receptive_field_grid(const std::vector<float>& W, std::int64_t units, std::int64_t rows,
                           std::int64_t cols, std::int64_t grid_cols = 0);

}  // namespace attractor
