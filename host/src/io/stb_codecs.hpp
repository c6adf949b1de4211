#pragma once
// The codec attractor takes from the stb headers (Debian's libstb-dev): PNG encoding for pictures.
// Only stb_codecs.cpp includes stb itself.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace attractor {

// A PNG of width × height pixels of `channels` bytes each (1 gray, 3 RGB), rows top to bottom.
std::vector<std::uint8_t> encode_png(int width, int height, int channels,
                                     const std::uint8_t* pixels);

}  // namespace attractor
