#pragma once
// Limits on sizes that come from files and command lines, checked in 64-bit arithmetic before
// anything is allocated, so a few bytes of input can never ask for gigabytes or wrap a size
// around. Each limit is far above what the engine is built for and low enough that what it
// admits fits in a workstation's memory. One place, so the README's list and the checks agree.
#include <cstdint>
#include <initializer_list>
#include <string>

#include "attractor/core/error.hpp"

namespace attractor::core {

// Neurons of a network, nodes of a graph, rows and columns of a matrix read from a file: 16
// times the million-neuron networks the engine is built for; the row offsets of a CSR matrix
// this size take 128 MiB.
inline constexpr std::int64_t kMaxNeurons = std::int64_t{1} << 24;
// Pixels of a picture the program draws (an 8192 × 8192 grid, 192 MiB in RGB).
inline constexpr std::int64_t kMaxPicturePixels = std::int64_t{1} << 26;
// Bytes of data in an IDX file once inflated (Fashion-MNIST's training images take 47 MB).
inline constexpr std::int64_t kMaxIdxBytes = std::int64_t{1} << 30;
// Bytes of a JSON file (a graph or a checkpoint); its parsed form takes several times as much.
inline constexpr std::int64_t kMaxJsonBytes = std::int64_t{1} << 28;
// Bytes of one line of a text file (Matrix Market, CSV); a real line is under a kilobyte.
inline constexpr std::int64_t kMaxLineBytes = std::int64_t{1} << 20;

// The ceiling for products that estimate bytes of memory (then compared with the machine's by
// require_memory): high enough never to bind, low enough that a few such sums cannot overflow.
inline constexpr std::int64_t kMaxEstimate = std::int64_t{1} << 60;

// The product of `factors`, each non-negative; InputError("<what>: <quantity> is more than
// <limit>") when it exceeds `limit` or int64 (checked factor by factor, so it never wraps).
inline std::int64_t checked_product(std::initializer_list<std::int64_t> factors, std::int64_t limit,
                                    const std::string& what, const std::string& quantity) {
  std::int64_t product = 1;
  for (const std::int64_t factor : factors) {
    require(factor >= 0, what, quantity + " has a negative factor");
    require(!__builtin_mul_overflow(product, factor, &product) && product <= limit, what,
            quantity + " is more than the limit of " + std::to_string(limit));
  }
  return product;
}

// This machine's physical memory, in bytes.
std::int64_t physical_memory_bytes();

// InputError("<what>: needs <bytes> GiB of memory, more than this machine's <total> GiB") when
// `bytes` (an estimate of what a run will hold, from checked_product) exceeds the physical
// memory: a request that cannot fit is refused with the number before anything is allocated,
// instead of failing later in an allocation or in the kernel's out-of-memory killer.
void require_memory(std::int64_t bytes, const std::string& what);

}  // namespace attractor::core
