#pragma once
// Associative memories beyond the Hebbian 0.138 N: Krotov & Hopfield's dense associative memory
// (binary, and its continuous Lagrangian form) and the modern softmax Hopfield network, plus the
// capacity experiment that compares them with the Hebbian network on the same patterns.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/engine.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/memory/recall.hpp"

namespace attractor {
namespace cpu {
class PackedPatterns;
}

// The interaction F of a dense associative memory: F(x) = xⁿ / n (n ≥ 2) or F(x) = eˣ
// (Demircigil, Heusel, Löwe, Upgang & Vermet, J. Stat. Phys. 168, 288 (2017)). Krotov & Hopfield
// write xⁿ; the factor 1/n rescales every energy difference alike, so the dynamics are the same,
// and it makes n = 2 the Hopfield energy −½ σᵀ (Σ_μ ξ^μ ξ^μᵀ) σ.
struct Interaction {
  enum class Kind { Polynomial, Exponential };
  static constexpr int kMaxDegree = 30;  // (N + 1)^n stays far inside double for any usable N

  Kind kind = Kind::Polynomial;
  int degree = 2;  // n; polynomial only

  static Interaction polynomial(int n) { return {Kind::Polynomial, n}; }
  static Interaction exponential() { return {Kind::Exponential, 0}; }

  double F(double x) const;
  double dF(double x) const;   // F'
  double d2F(double x) const;  // F''
  // InputError naming `what` unless 2 ≤ n ≤ kMaxDegree for a polynomial.
  void validate(const std::string& what) const;
};

// Krotov & Hopfield, "Dense associative memory for pattern recognition", NeurIPS 2016: binary
// neurons σ ∈ {±1}^N storing P patterns ξ^μ ∈ {±1}^N with the energy
//   E(σ) = −Σ_μ F(m_μ),   m_μ = ξ^μ·σ.
// Neuron i takes the sign that lowers E, comparing the two values it could have with the others
// held (h^μ_i = Σ_{j≠i} ξ^μ_j σ_j = m_μ − ξ^μ_i σ_i):
//   σ_i ← sign(E(σ_i = −1) − E(σ_i = +1)) = sign(Σ_μ [F(ξ^μ_i + h^μ_i) − F(−ξ^μ_i + h^μ_i)]),
// where a zero difference keeps σ_i (core::sign_update), so every flip strictly lowers E. With the
// overlap sums m kept current, one update costs O(P) instead of O(NP). For F = x²/2 the rule is
// the Hebbian network's: the difference is 2 N (T σ)_i with T = (1/N) Σ_μ ξ^μ ξ^μᵀ, T_ii = 0.
// Error-free capacity of F = xⁿ: P ≈ N^{n−1} / (2 (2n − 3)!! ln N) (polynomial_capacity);
// exponential in N for eˣ.
class DenseAssociativeMemory {
 public:
  // InputError unless the patterns are a well-formed P × N set of ±1 (P ≥ 1) and F is valid.
  DenseAssociativeMemory(core::PatternSet patterns, Interaction F);

  std::int64_t n() const { return patterns_.n; }

  // m_μ = ξ^μ·σ: integers, exact in double.
  std::vector<double> overlap_sums(const std::vector<double>& sigma) const;
  // −Σ_μ F(m_μ). For eˣ this overflows to −∞ past N ≈ 709; the dynamics never need it.
  double energy(const std::vector<double>& sigma) const;

  // Updates neuron i of σ by the rule above, keeping m = overlap_sums(σ) current; returns whether
  // it flipped.
  bool update(std::int64_t i, std::vector<double>& sigma, std::vector<double>& m) const;

  // Asynchronous sweeps, each neuron once per sweep in the CPU engine's seeded order
  // (core::async_swap_partner with stream `stream`), until a sweep flips nothing (FixedPoint) or
  // max_sweeps have run (Wandering). Fills outcome and steps (sweeps).
  core::StateResult run_async(std::vector<double>& sigma, std::int64_t max_sweeps,
                              std::uint64_t seed, std::uint32_t stream = 0) const;
  // Synchronous steps, every neuron from the same old state, until a step changes nothing
  // (FixedPoint), the state repeats one p ≤ max_period steps back (LimitCycle, period p) or
  // max_steps have run (Wandering). Fills outcome, steps and period.
  core::StateResult run_sync(std::vector<double>& sigma, std::int64_t max_steps,
                             int max_period = 32) const;

 private:
  void check_state(const std::vector<double>& sigma) const;
  // E(σ_i = −1) − E(σ_i = +1) times a positive factor: its sign is the update.
  double energy_gap(std::int64_t i, double sigma_i, const double* m) const;
  // σ_i ← −σ_i with m updated by 2 σ_i ξ^μ_i.
  void flip(std::int64_t i, double* sigma, double* m) const;
  // σ_i ← sign(energy_gap), a zero gap keeping σ_i; returns whether it flipped.
  bool settle(std::int64_t i, double* sigma, double* m) const;

  // Every gap of a synchronous step from bits, where the polynomial's integers stay exact.
  bool packed_step(const double* sigma, const double* m, double* gap) const;

  core::PatternSet patterns_;
  Interaction F_;
  std::vector<std::int8_t> xi_t_;  // Ξᵀ, N × P: neuron i's P pattern bits contiguous
  // Ξ as bits for synchronous steps of a polynomial F while P · 4 (N + 2)ⁿ < 2^53, else null.
  std::shared_ptr<const cpu::PackedPatterns> packed_;
};

// Krotov & Hopfield, "Large associative memory problem in neurobiology and machine learning",
// ICLR 2021, and Krotov, "Hierarchical associative memory", arXiv:2107.06446 (2021): continuous
// neurons u with outputs V = g(u) = L'(u) for a convex neuron Lagrangian L, and the Lagrangian
// Φ(V) = Σ_μ F(ξ^μ·V) of the memories. The dynamics and their energy (a Legendre transform),
//   du/dt = ∇Φ(V) − u,   E(u) = Σ_i [u_i g(u_i) − L(u_i)] − Φ(g(u)),
// obey dE/dt = −Σ_i g'(u_i) (du_i/dt)² ≤ 0. The effective synapses are the Hessian
// T_ij(V) = ∂²Φ/∂V_i∂V_j = Σ_μ ξ^μ_i ξ^μ_j F''(ξ^μ·V), which for F = x²/2 is the Hebbian matrix
// Σ_μ ξ^μ ξ^μᵀ (diagonal P included) and otherwise depends on the state.
// g is a core::Activation (tanh, logistic or linear with gain β); u g(u) − L(u) is its
// core::activate_energy_term.
class LagrangianNetwork {
 public:
  // InputError unless the patterns are ±1, F is valid, and g is smooth (not sign) with β > 0.
  LagrangianNetwork(core::PatternSet patterns, Interaction F, core::Activation g);

  std::int64_t n() const { return patterns_.n; }

  double phi(const std::vector<double>& V) const;                         // Φ(V)
  std::vector<double> grad_phi(const std::vector<double>& V) const;       // ∇Φ(V)
  core::DenseMatrix<double> hessian(const std::vector<double>& V) const;  // T(V)
  std::vector<double> velocity(const std::vector<double>& u) const;       // du/dt
  double energy(const std::vector<double>& u) const;                      // E(u)

  // Fixed-step Euler or RK4 (options.integrator, dt, max_steps, tol; Dopri5 is refused) until
  // ‖du/dt‖₂ ≤ tol (FixedPoint) or max_steps (Wandering). Stability limit: the Jacobian of du/dt
  // is T(V) diag(g'(u)) − I, so dt (1 + β ‖T(V)‖₂) must stay below 2 (Euler) or 2.78 (RK4) along
  // the trajectory; for F = x²/2 and P ≪ N, ‖T‖₂ ≈ N. Fills outcome, steps, time, residual, energy.
  core::StateResult integrate(std::vector<double>& u, const core::RunOptions& options) const;

 private:
  std::vector<double> outputs(const std::vector<double>& u) const;    // V = g(u)
  std::vector<double> arguments(const std::vector<double>& V) const;  // x_μ = ξ^μ·V

  core::PatternSet patterns_;
  Interaction F_;
  core::Activation g_;
};

// Ramsauer et al., "Hopfield networks is all you need", ICLR 2021: continuous states ξ ∈ R^N,
// X = (ξ^1 … ξ^P) the N × P patterns, the update and energy
//   ξ ← X softmax(β Xᵀ ξ),   E(ξ) = −lse(β, Xᵀξ) + ½ ξᵀξ + β⁻¹ ln P + ½ M²,
// lse(β, z) = β⁻¹ ln Σ_μ exp(β z_μ), M = max_μ ‖ξ^μ‖. The update is a concave–convex procedure
// step on E, so E never increases, and a pattern well separated from the others
// is retrieved in one step with an error exponentially small in β times the separation.
class ModernHopfield {
 public:
  // InputError unless the patterns are ±1 and β is finite and positive.
  ModernHopfield(core::PatternSet patterns, double beta);

  std::int64_t n() const { return patterns_.n; }

  double energy(const std::vector<double>& xi) const;
  std::vector<double> step(const std::vector<double>& xi) const;
  // Steps until no entry moves by more than tol (FixedPoint) or max_steps (Wandering).
  // Fills outcome, steps and energy.
  core::StateResult run(std::vector<double>& xi, std::int64_t max_steps, double tol = 1e-12) const;

 private:
  std::vector<double> similarities(const std::vector<double>& xi) const;  // β Xᵀξ

  core::PatternSet patterns_;
  double beta_;
};

// Krotov & Hopfield's (2016) error-free capacity of F = xⁿ at N neurons:
// N^{n−1} / (2 (2n − 3)!! ln N); n = 2 gives the Hebbian N / (2 ln N).
double polynomial_capacity(int degree, std::int64_t n);

// The memories the capacity experiment compares: a dense associative memory with interaction F
// ("hebbian" is F = x²/2, "polyN", "exp"), or the modern softmax network ("softmax").
struct MemoryKind {
  bool softmax = false;
  Interaction F;  // when !softmax
};
MemoryKind parse_memory_kind(const std::string& name, const std::string& what);
std::string to_string(const MemoryKind& kind);

// Every state of `states` (B × N, updated in place) run to convergence on the memory of `kind`
// storing `patterns`: a DAM by asynchronous sweeps (seeded order, stream b for state b) or
// synchronous steps (`dynamics`), or the softmax update with `beta`; at most max_steps each.
std::vector<core::StateResult> run_memory(const MemoryKind& kind, const core::PatternSet& patterns,
                                          core::StateBatch& states, core::Dynamics dynamics,
                                          double beta, std::int64_t max_steps, std::uint64_t seed);

// For each kind and load α: P = round(α N) random patterns (the same networks for every kind),
// cues that are the first min(P, cues) patterns with a fraction `noise` of their bits flipped
// (noisy_cues), run to convergence (DAM: async or sync updates; softmax: its update with β).
// A cue is retrieved when its final overlap m = (1/N) ξ·x with its pattern is ≥ match_overlap;
// it is exact when the final signs equal the pattern in every bit.
struct DamCapacityParams {
  std::int64_t n = 200;
  std::vector<double> alphas{0.05, 0.1, 0.138, 0.2, 0.3, 0.5, 1, 2, 4, 8, 16, 32};
  std::vector<MemoryKind> kinds{{false, Interaction::polynomial(2)},
                                {false, Interaction::polynomial(3)},
                                {false, Interaction::polynomial(4)},
                                {false, Interaction::exponential()},
                                {true, {}}};
  double noise = 0.0;
  std::int64_t trials = 3;
  std::int64_t cues = 100;  // most patterns probed per network
  core::Dynamics dynamics = core::Dynamics::DiscreteAsync;
  double beta = 1.0;  // softmax inverse temperature
  std::int64_t max_steps = 100;
  double match_overlap = 0.95;
  std::uint64_t seed = 1;

  void validate() const;  // core::InputError naming the CLI option
};

struct DamCapacityPoint {
  std::string kind;
  double alpha = 0;
  std::int64_t patterns = 0;
  std::int64_t cues = 0;      // probed, over all trials
  double retrieval_rate = 0;  // final overlap ≥ match_overlap
  double exact_rate = 0;      // final signs equal the pattern
  double mean_overlap = 0;
  double mean_steps = 0;  // sweeps (async), steps (sync, softmax)
};

// Points ordered by kind, then by load; progress counts (kind, load, trial) triples.
std::vector<DamCapacityPoint> run_dam_capacity(const DamCapacityParams& params,
                                               const core::ProgressFn& progress = {});

}  // namespace attractor
