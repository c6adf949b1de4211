#pragma once
// The seam between the run loop and a backend. core::run_dynamics (run_dynamics.hpp) owns every
// decision of a run — which states still run, outcomes, cycle and section bookkeeping, step-size
// control, chunking, records, progress — and asks a Stepper only for arithmetic on the vectors it
// holds: products, fused updates with their fingerprints, integrator stages, reduced norms,
// section points. attractor::CpuEngine and cuda::CudaEngine each implement a Stepper and nothing
// else, so every decision the GPU path takes is the one the CPU tests execute.
//
// States are addressed by their index b in the batch; `which` lists the states an operation
// applies to, in increasing order, and per-state results come back in the same order.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/engine.hpp"

namespace attractor::core {

// Host float64 copies of the listed states, m × N each (row j is which[j]): state = s or u as the
// backend holds it; x = V = g(u) for continuous dynamics, left empty for discrete ones (x = s: no
// second copy of a million-neuron state); tx = T x (only when asked for).
struct Observation {
  std::vector<double> x, tx, state;
  const double* activity() const { return x.empty() ? state.data() : x.data(); }  // x
};

// What a chunk of synchronous steps reports. taken[j]: steps state which[j] took (it stops early
// after a step that ends it, see Stepper::sync_steps); for its k-th step (0-based), changed and
// fingerprint at [k · m + j]: whether the step changed the state, and core::hash_signs of the
// state after it. Entries past taken[j] are unspecified.
struct SyncChunk {
  std::vector<std::int64_t> taken;
  std::vector<std::uint8_t> changed;
  std::vector<std::uint64_t> fingerprint;
};

// One Dormand–Prince / Hermite section point to compute: point = u0 u_prev + f0 f_prev + u1 u +
// f1 k1 of state `state`, stored in its ring slot `slot`.
struct SectionJob {
  std::int64_t state;
  std::int64_t slot;
  double u0, f0, u1, f1;
};

// ‖point[slot_a] − point[slot_b]‖² of one state's ring.
struct SectionPair {
  std::int64_t state;
  std::int64_t slot_a, slot_b;
};

// The sums the continuous driver classifies a state from, at its current point u (k1 = F(u)
// fresh) and its previous accepted point: ‖k1‖², w·k1, w·f_prev, w·u, w·u_prev, and ‖u − the
// newest section point‖² (0 when last_slot < 0), w the section direction.
struct SettleSums {
  double k1_norm2, w_k1, w_f_prev, w_u, w_u_prev, section_distance2;
};

enum class Point { State, Stage };

class Stepper {
 public:
  virtual ~Stepper() = default;

  // Takes the initial states; the network and options were given when the backend made this.
  virtual void load(const StateBatch& states) = 0;
  // Writes the states as they are now into `states`.
  virtual void store(StateBatch& states) = 0;
  virtual Observation observe(const std::vector<std::int64_t>& which, bool with_tx) = 0;

  // Discrete synchronous steps (sign, or heat-bath Glauber at options.temperature, with the
  // uniform of neuron i at step t drawn from (Glauber, stream_offset + b, t · N + i)). Every
  // listed state takes `steps` steps, except that under the sign rule a state stops after a step
  // that changed nothing or whose fingerprint closes a cycle by core::push_fingerprint over the
  // last max_period + 1 fingerprints the backend keeps for it (started from the loaded state).
  virtual void sync_steps(const std::vector<std::int64_t>& which, std::int64_t steps,
                          SyncChunk& out) = 0;
  // Asynchronous sweeps (see attractor::CpuEngine for the order): each listed state sweeps until it
  // has done `until` sweeps in all, or, under the sign rule, until a sweep flips nothing (settled).
  virtual void async_sweeps(const std::vector<std::int64_t>& which, std::int64_t until,
                            std::vector<std::int64_t>& sweeps,
                            std::vector<std::uint8_t>& settled) = 0;

  // Continuous dynamics over the vectors u, k_1..k_s, the stage point, u_prev, f_prev and each
  // state's ring of max_period + 1 section points.
  // k_into = F(point) = T g(point) − point + b, k indexed from 0 (k_0 is k1, F at u).
  virtual void evaluate(const std::vector<std::int64_t>& which, Point point, int k_into) = 0;
  // stage point = u + h_j Σ_{i<s} a[i] k_i for stage s (a: s coefficients), h per listed state.
  virtual void stage(const std::vector<std::int64_t>& which, int s, const double* a,
                     const std::vector<double>& h) = 0;
  // Σ_i (h_j e_i / (atol + rtol max(|u_i|, |stage_i|)))², e = Σ_i E[i] k_i over the 7 stages.
  virtual std::vector<double> dopri_error(const std::vector<std::int64_t>& which, const double* E,
                                          const std::vector<double>& h, double atol,
                                          double rtol) = 0;
  // u_prev = u, f_prev = k1, then either u = u + h_j Σ_i w[i] k_i (w: `terms` weights) and k1
  // is stale, or (terms = 0, first-same-as-last) u = stage point and k1 = k_6.
  virtual void accept(const std::vector<std::int64_t>& which, const double* w, int terms,
                      const std::vector<double>& h) = 0;
  // last_slot[j]: ring slot of state which[j]'s newest section point, or −1.
  virtual std::vector<SettleSums> settle_sums(const std::vector<std::int64_t>& which,
                                              const std::vector<std::int64_t>& last_slot) = 0;
  virtual void section_points(const std::vector<SectionJob>& jobs) = 0;
  virtual std::vector<double> section_distances(const std::vector<SectionPair>& pairs) = 0;
};

}  // namespace attractor::core
