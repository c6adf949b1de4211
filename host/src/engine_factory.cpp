#include "attractor/host/engine_factory.hpp"

#include "attractor/core/error.hpp"
#include "attractor/host/cpu_engine.hpp"
#if defined(ATTRACTOR_HAVE_CUDA)
#include "attractor/cuda/device.hpp"
#endif

namespace attractor::host {

Backend parse_backend(const std::string& name, const std::string& what) {
  if (name == "auto") return Backend::Auto;
  if (name == "cpu") return Backend::Cpu;
  if (name == "cuda") return Backend::Cuda;
  throw core::InputError(what + ": unknown backend '" + name + "' (expected auto, cpu or cuda)");
}

std::unique_ptr<core::Engine> make_engine(Backend backend) {
  if (backend == Backend::Cuda) {
#if defined(ATTRACTOR_HAVE_CUDA)
    if (cuda::device_count() == 0) {
      throw core::InputError("--backend cuda: no CUDA device is visible on this machine");
    }
    // The CUDA engine (kernels for every dynamics) is the next milestone; the CUDA build so far
    // carries the device layer and its RNG kernel only (README, "Limits").
    throw core::InputError("--backend cuda: the CUDA engine is not available yet in this version");
#else
    throw core::InputError("--backend cuda: this build has no CUDA backend (configure with "
                           "-DATTRACTOR_CUDA=ON on a machine with nvcc)");
#endif
  }
  return std::make_unique<CpuEngine>();
}

}  // namespace attractor::host
