#include "attractor/host/engine/engine_factory.hpp"

#include "attractor/core/error.hpp"
#include "attractor/host/engine/cpu_competing_units.hpp"
#include "attractor/host/engine/cpu_control_batch.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/cpu_ensemble.hpp"
#if defined(ATTRACTOR_HAVE_CUDA)
#include "attractor/cuda/cuda_competing_units.hpp"
#include "attractor/cuda/cuda_control.hpp"
#include "attractor/cuda/cuda_engine.hpp"
#include "attractor/cuda/cuda_ensemble.hpp"
#include "attractor/cuda/device.hpp"
#endif

namespace attractor {

bool cuda_available() {
#if defined(ATTRACTOR_HAVE_CUDA)
  return cuda::device_count() > 0;
#else
  return false;
#endif
}

namespace {

// Whether to build the CUDA engine; throws when CUDA was asked for and cannot run.
bool use_cuda(Backend backend) {
  if (backend == Backend::Cpu) return false;
  if (backend == Backend::Auto) return cuda_available();
#if defined(ATTRACTOR_HAVE_CUDA)
  if (!cuda_available()) {
    throw core::InputError("--backend cuda: no CUDA device is visible on this machine");
  }
  return true;
#else
  throw core::InputError(
      "--backend cuda: this build has no CUDA backend (configure with "
      "-DATTRACTOR_CUDA=ON on a machine with nvcc)");
#endif
}

}  // namespace

int device_for(int local_rank) {
#if defined(ATTRACTOR_HAVE_CUDA)
  const int count = cuda::device_count();
  return count > 0 ? local_rank % count : 0;
#else
  static_cast<void>(local_rank);
  return 0;
#endif
}

std::unique_ptr<core::Engine> make_engine(Backend backend, core::Precision precision, int device) {
#if defined(ATTRACTOR_HAVE_CUDA)
  if (use_cuda(backend)) return std::make_unique<cuda::CudaEngine>(precision, device);
#else
  static_cast<void>(use_cuda(backend));
  static_cast<void>(device);
#endif
  return std::make_unique<CpuEngine>(precision);
}

std::unique_ptr<core::EnsembleEngine> make_ensemble_engine(Backend backend,
                                                           core::Precision precision, int device) {
#if defined(ATTRACTOR_HAVE_CUDA)
  if (use_cuda(backend)) return std::make_unique<cuda::CudaEnsembleEngine>(precision, device);
#else
  static_cast<void>(use_cuda(backend));
  static_cast<void>(device);
#endif
  return std::make_unique<CpuEnsembleEngine>(precision);
}

std::unique_ptr<core::ControlBatch> make_control_batch(Backend backend) {
#if defined(ATTRACTOR_HAVE_CUDA)
  if (use_cuda(backend)) return std::make_unique<cuda::CudaControlBatch>();
#else
  static_cast<void>(use_cuda(backend));
#endif
  return std::make_unique<CpuControlBatch>();
}

std::unique_ptr<core::CompetingUnitsStep> make_competing_units_step(Backend backend,
                                                                    std::int64_t hidden,
                                                                    std::int64_t inputs,
                                                                    core::CompetingUnitsRule rule) {
#if defined(ATTRACTOR_HAVE_CUDA)
  if (use_cuda(backend)) return std::make_unique<cuda::CudaCompetingUnits>(hidden, inputs, rule);
#else
  static_cast<void>(use_cuda(backend));
#endif
  return std::make_unique<CpuCompetingUnits>(hidden, inputs, rule);
}

}  // namespace attractor
