#include "io/stb_codecs.hpp"

#include <stdexcept>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

namespace attractor {

std::vector<std::uint8_t> encode_png(int width, int height, int channels,
                                     const std::uint8_t* pixels) {
  std::vector<std::uint8_t> png;
  const auto append = [](void* context, void* bytes, int size) {
    auto* sink = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* begin = static_cast<const std::uint8_t*>(bytes);
    sink->insert(sink->end(), begin, begin + size);
  };
  if (stbi_write_png_to_func(append, &png, width, height, channels, pixels, width * channels) ==
      0) {
    throw std::runtime_error("PNG encoding failed");
  }
  return png;
}

}  // namespace attractor
