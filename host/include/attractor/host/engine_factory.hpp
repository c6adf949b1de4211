#pragma once
#include <memory>
#include <string>

#include "attractor/core/engine.hpp"

namespace attractor::host {

enum class Backend { Auto, Cpu, Cuda };

// "auto", "cpu", "cuda" → Backend; throws core::InputError naming `what`.
Backend parse_backend(const std::string& name, const std::string& what);

// Auto picks CUDA when it is compiled in, a device is present and the CUDA engine is available,
// else the CPU. Asking for CUDA where it cannot run is an InputError that says why.
std::unique_ptr<core::Engine> make_engine(Backend backend);

}  // namespace attractor::host
