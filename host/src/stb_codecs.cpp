#include "stb_codecs.hpp"

#include <cstdlib>
#include <stdexcept>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG  // the smallest decoder that still carries stb's zlib
#define STBI_NO_STDIO
#define STBI_NO_FAILURE_STRINGS
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

namespace attractor::host {

bool inflate_raw(const std::uint8_t* data, std::size_t size, std::vector<std::uint8_t>& out) {
  int length = 0;
  char* decoded = stbi_zlib_decode_noheader_malloc(reinterpret_cast<const char*>(data),
                                                   static_cast<int>(size), &length);
  if (decoded == nullptr) return false;
  out.assign(decoded, decoded + length);
  std::free(decoded);
  return true;
}

std::vector<std::uint8_t> encode_png(int width, int height, int channels,
                                     const std::uint8_t* pixels) {
  std::vector<std::uint8_t> png;
  const auto append = [](void* context, void* bytes, int size) {
    auto* sink = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* begin = static_cast<const std::uint8_t*>(bytes);
    sink->insert(sink->end(), begin, begin + size);
  };
  if (stbi_write_png_to_func(append, &png, width, height, channels, pixels, width * channels) == 0) {
    throw std::runtime_error("PNG encoding failed");
  }
  return png;
}

}  // namespace attractor::host
