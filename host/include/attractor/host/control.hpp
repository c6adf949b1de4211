#pragma once
// Controlled plasticity (Cardin, Lovison, Maritan, Megighian): a network that steers its own
// synapses while it runs,
//   du/dt = (A + ξ(t)) g(u) − u + b,   |ξ_ij| ≤ K on existing synapses (A_ij ≠ 0),
//                                      |ξ_ij| ≤ k on candidate silent ones (A_ij = 0, a mask),
// with ξ chosen to minimize the discounted cost
//   J_μ(u⁰, ξ) = ∫₀^∞ ((1−μ) |X|² + μ |ξ|²) e^{−λt} dt,   X = (A + ξ) g(u) − u + b.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/csr_matrix.hpp"

namespace attractor::host {

// A and the controllable synapses as one CSR (DESIGN.md): the union of A's entries and the silent
// candidates, each row's active entries (A_ij ≠ 0 in A's pattern) before its silent ones, so the
// class of an entry is a split point per row. ξ lives on this pattern: one value per entry.
struct ControlledNetwork {
  core::CsrMatrix<double> T;       // union pattern; values A_ij (0 on silent entries)
  std::vector<std::int64_t> split;  // row i: active entries [row_ptr[i], split[i]), silent after
  std::vector<double> b;            // h − a, N entries (zeros when there is no bias)
  core::Activation activation{core::ActivationKind::Tanh, 1.0};
  double K = 0.0;  // bound on active entries
  double k = 0.0;  // bound on silent entries (k ≪ K)

  // A (its stored entries are the existing synapses) and a mask whose stored entries are the
  // candidate silent synapses (entries of the mask that are also in A count as active). Throws
  // InputError for shapes that differ, negative bounds, k > K, NaN/Inf, or an unbounded
  // activation (the tail bound of the discounted cost needs |g| ≤ 1).
  static ControlledNetwork build(const core::CsrMatrix<double>& A,
                                 const core::CsrMatrix<double>& silent_mask,
                                 core::Activation activation, double K, double k,
                                 std::vector<double> b = {});

  std::int64_t n() const { return T.rows; }
  std::int64_t synapses() const { return T.nnz(); }
  // The bound of entry e: K or k.
  double bound(std::int64_t row, std::int64_t e) const { return e < split[row] ? K : k; }
};

// The discretized problem. The horizon is truncated where the discount makes the rest negligible:
// for t ≥ T_h every admissible trajectory has an integrand ≤ C (a bound from |g| ≤ 1, the box
// bounds and u⁰), so the dropped tail is at most C Σ_{t_k ≥ T_h} dt e^{−λ t_k}, which the plan
// makes ≤ tail_tol.
struct ControlProblem {
  double mu = 0.5;      // μ: weight of |ξ|² against |X|² (½: the plain |X|² + |ξ|² case)
  double lambda = 1.0;  // λ: discount rate
  double dt = 0.01;     // explicit Euler step of the discretized dynamics
  std::int64_t intervals = 20;  // ξ is piecewise constant on this many equal control intervals
  double tail_tol = 1e-6;       // the truncated tail's bound must stay below this

  void validate() const;  // InputError for out-of-range values
};

struct ControlPlan {
  std::int64_t steps = 0;               // Euler steps up to the horizon
  std::int64_t steps_per_interval = 0;  // steps per control interval (the last may be shorter)
  double horizon = 0.0;                 // T_h = steps · dt
  double tail_bound = 0.0;              // ≤ problem.tail_tol
};

// The smallest horizon whose tail bound is ≤ tail_tol for this network and initial state.
ControlPlan plan_horizon(const ControlledNetwork& net, const ControlProblem& problem,
                         const std::vector<double>& u0);

// Controls: intervals × synapses values, interval c's ξ at [c · synapses, (c+1) · synapses).
struct CostGradient {
  double J = 0.0;          // Σ_k w_k ((1−μ)|X_k|² + μ|ξ_k|²), w_k = dt e^{−λ t_k}
  double state_cost = 0.0;    // the (1−μ)|X|² part
  double control_cost = 0.0;  // the μ|ξ|² part
  std::vector<double> gradient;  // ∂J/∂ξ, the layout of the controls (exact, by the adjoint)
  std::vector<double> u_final;   // u at the horizon
  double final_residual = 0.0;   // |X| at the horizon
};

// J of the Euler-discretized dynamics and its exact gradient by one forward and one backward
// (adjoint) pass: λ_K = 0, q_k = 2(1−μ) w_k X_k + dt λ_{k+1},
// λ_k = λ_{k+1} + g'(u_k) ∘ ((A + ξ_k)ᵀ q_k) − q_k, and ∂J/∂ξ_ij += q_{k,i} g(u_{k,j}) + 2μ w_k ξ_ij
// over the steps k of ξ's interval.
CostGradient cost_and_gradient(const ControlledNetwork& net, const ControlProblem& problem,
                               const ControlPlan& plan, const std::vector<double>& controls,
                               const std::vector<double>& u0, bool with_gradient = true);

// Projected gradient descent on the box |ξ| ≤ K / k with Armijo backtracking along the projection
// arc and Barzilai–Borwein trial steps. Stops when the projected-gradient step
// ‖P(ξ − ∇J) − ξ‖∞ ≤ gtol or after max_iterations.
struct SolveOptions {
  double gtol = 1e-8;
  std::int64_t max_iterations = 500;
};
struct SolveResult {
  std::vector<double> controls;
  CostGradient cost;
  ControlPlan plan;
  std::int64_t iterations = 0;
  double projected_gradient = 0.0;  // ‖P(ξ − ∇J) − ξ‖∞ at the end
  bool converged = false;
};
SolveResult solve_control(const ControlledNetwork& net, const ControlProblem& problem,
                          const std::vector<double>& u0, const SolveOptions& options = {},
                          std::vector<double> initial_controls = {});

// Clamps every control value to its entry's bound.
void project(const ControlledNetwork& net, std::int64_t intervals, std::vector<double>& controls);

}  // namespace attractor::host
