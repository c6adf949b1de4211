#include "attractor/host/io/image.hpp"

#include <algorithm>
#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "io/stb_codecs.hpp"

namespace attractor {

void write_png(const std::string& path, const Image& image) {
  core::require(image.width > 0 && image.height > 0 && (image.channels == 1 || image.channels == 3),
                path, "an image needs a positive size and 1 or 3 channels");
  core::require(image.pixels.size() == static_cast<std::size_t>(image.width) *
                                           static_cast<std::size_t>(image.height) *
                                           static_cast<std::size_t>(image.channels),
                path, "the pixel buffer does not match the image size");
  const std::vector<std::uint8_t> png =
      encode_png(image.width, image.height, image.channels, image.pixels.data());
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  });
}

Image receptive_field_grid(const std::vector<float>& W, std::int64_t units, std::int64_t rows,
                           std::int64_t cols, std::int64_t grid_cols) {
  core::require(units > 0 && rows > 0 && cols > 0, "receptive fields", "need a positive size");
  const std::int64_t drawn_pixels =
      core::checked_product({units, rows, cols}, core::kMaxPicturePixels, "receptive fields",
                            "the number of pixels drawn");
  core::require(
      static_cast<std::int64_t>(W.size()) == drawn_pixels, "receptive fields",
      "the weights have " + std::to_string(W.size()) + " entries, not units × rows × cols");
  core::require(grid_cols >= 0, "receptive fields", "the grid width must not be negative");
  if (grid_cols == 0) {
    grid_cols = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(units))));
  }
  const std::int64_t grid_rows = (units + grid_cols - 1) / grid_cols;
  // Sizes in 64 bits, checked before the picture is allocated: the grid width is the user's.
  const std::string what = "receptive fields";
  const std::int64_t width =
      core::checked_product({grid_cols, cols + 1}, core::kMaxPicturePixels, what, "the width") + 1;
  const std::int64_t height =
      core::checked_product({grid_rows, rows + 1}, core::kMaxPicturePixels, what, "the height") + 1;
  core::checked_product(
      {width, height}, core::kMaxPicturePixels, what,
      "a picture of " + std::to_string(width) + " x " + std::to_string(height) + " pixels");
  Image image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.channels = 3;
  // Gaps in mid gray, so white (zero weight) tiles stay distinguishable from the background.
  image.pixels.assign(static_cast<std::size_t>(image.width) * image.height * 3, 128);
  const std::int64_t area = rows * cols;
  for (std::int64_t unit = 0; unit < units; ++unit) {
    const float* w = W.data() + unit * area;
    float scale = 0;
    for (std::int64_t i = 0; i < area; ++i) scale = std::max(scale, std::abs(w[i]));
    const std::int64_t top = 1 + (unit / grid_cols) * (rows + 1);
    const std::int64_t left = 1 + (unit % grid_cols) * (cols + 1);
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) {
        // x in [−1, 1]: −1 blue (0, 0, 255), 0 white, +1 red (255, 0, 0).
        const float x = scale > 0 ? std::clamp(w[r * cols + c] / scale, -1.0f, 1.0f) : 0.0f;
        const auto fade = static_cast<std::uint8_t>(std::lround(255.0f * (1.0f - std::abs(x))));
        std::uint8_t* px = image.pixels.data() + ((top + r) * width + (left + c)) * 3;
        px[0] = x < 0 ? fade : 255;
        px[1] = fade;
        px[2] = x > 0 ? fade : 255;
      }
    }
  }
  return image;
}

}  // namespace attractor
