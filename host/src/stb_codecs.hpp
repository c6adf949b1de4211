#pragma once
// The two codecs attractor takes from the stb headers (Debian's libstb-dev): raw DEFLATE decoding
// for .gz inputs and PNG encoding for pictures. Only stb_codecs.cpp includes stb itself.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace attractor::host {

// Decodes a raw DEFLATE stream (RFC 1951); false when it is corrupt or truncated.
bool inflate_raw(const std::uint8_t* data, std::size_t size, std::vector<std::uint8_t>& out);

// A PNG of width × height pixels of `channels` bytes each (1 gray, 3 RGB), rows top to bottom.
std::vector<std::uint8_t> encode_png(int width, int height, int channels,
                                     const std::uint8_t* pixels);

}  // namespace attractor::host
