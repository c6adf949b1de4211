#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "attractor/core/competing_units.hpp"
#include "attractor/core/control.hpp"
#include "attractor/core/engine.hpp"
#include "attractor/core/ensemble.hpp"
#include "attractor/core/enum_names.hpp"

namespace attractor {

enum class Backend { Auto, Cpu, Cuda };
constexpr core::NameTable<Backend, 3> enum_names(Backend) {
  return {"backend", {{{Backend::Auto, "auto"}, {Backend::Cpu, "cpu"}, {Backend::Cuda, "cuda"}}}};
}

// "auto", "cpu", "cuda" → Backend; throws core::InputError naming `what`.

// True when this build has the CUDA backend and a device is visible.
bool cuda_available();

// Auto picks CUDA when cuda_available(), else the CPU. Asking for CUDA where it cannot run is an
// InputError that says why. `precision` is the arithmetic of the weights and states on either.
// `device` indexes the visible GPUs when CUDA runs (one per process under MPI).
std::unique_ptr<core::Engine> make_engine(Backend backend,
                                          core::Precision precision = core::Precision::Float32,
                                          int device = 0);
std::unique_ptr<core::EnsembleEngine> make_ensemble_engine(
    Backend backend, core::Precision precision = core::Precision::Float32, int device = 0);
// The GPU for the process that is `local_rank`-th on its machine: GPUs are dealt out in turn.
int device_for(int local_rank);
// The controlled-plasticity batch (core::ControlBatch); float64 on every backend.
std::unique_ptr<core::ControlBatch> make_control_batch(Backend backend);
// The Krotov–Hopfield update (core::CompetingUnitsStep) for H units of D inputs; float32.
std::unique_ptr<core::CompetingUnitsStep> make_competing_units_step(Backend backend,
                                                                    std::int64_t hidden,
                                                                    std::int64_t inputs,
                                                                    core::CompetingUnitsRule rule);

}  // namespace attractor
