#pragma once
#include "attractor/core/engine.hpp"
#include "attractor/host/engine/processes.hpp"

namespace attractor {

// The CPU engine: the semantics every other backend is tested against, multi-threaded with
// OpenMP (Eigen's GEMM for dense weights; for CSR one pass over the rows per step that computes
// each block's fields and updates it, all states of the batch served by each stored weight).
//
// Precision: float64 (the reference, and the default here) or float32, which holds the weights
// and states in float32 — half the bytes per synapse and per state — and accumulates sparse
// products, per-state sums and integrator stages in float64, rounding once per stored value.
// Dense products are Eigen's float32 GEMM (float32 accumulation: error ≲ N · 2⁻²⁴ · Σ_j |T_ij
// x_j|). Factored Hebbian weights are exact in either (integer sums; for ±1 states from the
// patterns' bits, by popcounts and byte tables). Discrete dynamics compare the float64 field with
// 0, so a float32 run differs from float64 only through the rounding of T and of continuous
// states. float32 runs take tanh and the logistic vectorized, within one ulp of the float64
// value's rounding (the bound is documented with cpu::activate); float64 runs use libm.
//
// Semantics, precisely:
// - Discrete update s_i ← sign(f_i), f_i = Σ_j T_ij s_j + h_i − a, where f_i = 0 leaves s_i as it
//   was (the tie rule under which asynchronous updates never raise the energy).
// - Synchronous: all neurons from the same old state. A step that changes nothing is a fixed
//   point; a state equal to the one p steps back (p ≤ max_period, compared by a 64-bit hash of
//   the sign pattern) is a limit cycle of period p.
// - Asynchronous: one sweep updates every neuron once, in the order of a Fisher–Yates shuffle
//   drawn from CounterRng(seed) with purpose AsyncOrder, stream = stream_offset + state index,
//   index = sweep · N + position, starting from the identity each sweep: the order is a pure
//   function of (seed, stream, sweep). A sweep without flips is a fixed point. Because the order
//   changes every sweep, cycles are not classified: a state that never settles is wandering.
// - Continuous: du/dt = T g(u) − u + b integrated with Euler, RK4 or Dormand–Prince 5(4) (each
//   state with its own adaptive step). Fixed point when ‖du/dt‖₂ ≤ tol. Limit cycles are found on
//   a Poincaré section: maxima of y = w·u for a fixed random ±1/√N vector w, located and
//   interpolated with cubic Hermite polynomials (fourth-order accurate, like RK4); a section
//   point that returns within cycle_tol × (the orbit's excursion) of the one p sections earlier
//   closes a cycle of period_time = t_k − t_{k−p}.
//
// Across processes (the second constructor, with more than one): each process computes the
// fields T x of its own block of a sparse network's rows — blocks of about equal non-zeros — and
// the blocks are exchanged every multiplication, in chunks whose exchange overlaps the next
// chunk's rows. Every process then holds every field and runs the rest (updates, observers,
// outcomes) on the whole state, so the results, to the bit, are those of one process: each
// field is summed in the same order whatever the partition. Synchronous and continuous dynamics
// only (an asynchronous sweep reads one field at a time), and CSR weights only (Eigen's dense
// products do not promise a partition-independent order).
// InputError unless `processes` (> 1) can share out the rows of `network` for this run.
void check_row_partition(const core::Network& network, const core::RunOptions& options,
                         int processes);

class CpuEngine final : public core::Engine {
 public:
  explicit CpuEngine(core::Precision precision = core::Precision::Float64)
      : precision_(precision) {}
  explicit CpuEngine(const Processes& processes,
                     core::Precision precision = core::Precision::Float64)
      : precision_(precision), processes_(&processes) {}
  std::string name() const override { return "cpu"; }
  core::RunResult run(const core::Network& network, core::StateBatch& states,
                      const core::RunOptions& options) override;

 private:
  core::Precision precision_;
  const Processes* processes_ = nullptr;
};

}  // namespace attractor
