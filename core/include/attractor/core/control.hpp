#pragma once
// Controlled plasticity (Cardin, Lovison, Maritan, Megighian): a network that steers its own
// synapses while it runs,
//   du/dt = (A + ξ(t)) g(u) − u + b,   |ξ_ij| ≤ K on existing synapses (A_ij ≠ 0),
//                                      |ξ_ij| ≤ k on candidate silent ones (A_ij = 0, a mask),
// with ξ chosen to minimize the discounted cost
//   J_μ(u⁰, ξ) = ∫₀^∞ ((1−μ) |X|² + μ |ξ|²) e^{−λt} dt,   X = (A + ξ) g(u) − u + b.
// This header holds what every backend shares: the network on its union pattern, the discretized
// problem and its horizon, and the interface that evaluates J and ∂J/∂ξ for a batch of problems.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/csr_matrix.hpp"

namespace attractor::core {

// A and the controllable synapses as one CSR (DESIGN.md): the union of A's entries and the silent
// candidates, each row's active entries (A_ij ≠ 0 in A's pattern) before its silent ones, so the
// class of an entry is a split point per row. ξ lives on this pattern: one value per entry.
struct ControlledNetwork {
  CsrMatrix<double> T;              // union pattern; values A_ij (0 on silent entries)
  std::vector<std::int64_t> split;  // row i: active entries [row_ptr[i], split[i]), silent after
  std::vector<double> b;            // h − a, N entries (zeros when there is no bias)
  Activation activation{ActivationKind::Tanh, 1.0};
  double K = 0.0;  // bound on active entries
  double k = 0.0;  // bound on silent entries (k ≪ K)
  // The pattern by columns, for the adjoint's product (A + ξ)ᵀ q without atomics: column j's
  // entries are column_entry[column_ptr[j] .. column_ptr[j+1]), in increasing row order, and
  // column_row holds each one's row.
  std::vector<std::int64_t> column_ptr, column_entry, column_row;

  // A (its stored entries are the existing synapses) and a mask whose stored entries are the
  // candidate silent synapses (entries of the mask that are also in A count as active). Throws
  // InputError for shapes that differ, negative bounds, k > K, NaN/Inf, or an unbounded
  // activation (the tail bound of the discounted cost needs |g| ≤ 1).
  static ControlledNetwork build(const CsrMatrix<double>& A, const CsrMatrix<double>& silent_mask,
                                 Activation activation, double K, double k,
                                 std::vector<double> b = {});

  std::int64_t n() const { return T.rows; }
  std::int64_t synapses() const { return T.nnz(); }
  // The bound of entry e of row `row`: K or k.
  double bound(std::int64_t row, std::int64_t e) const { return e < split[row] ? K : k; }
  // The weights A + ξ on the union pattern, for running the network with a fixed control.
  CsrMatrix<double> weights_with(const double* xi) const;
};

// The discretized problem. The horizon is truncated where the discount makes the rest negligible:
// for t ≥ T_h every admissible trajectory has an integrand ≤ C (a bound from |g| ≤ 1, the box
// bounds and u⁰), so the dropped tail is at most C Σ_{t_k ≥ T_h} dt e^{−λ t_k}, which the plan
// makes ≤ tail_tol.
struct ControlProblem {
  double mu = 0.5;      // μ: weight of |ξ|² against |X|² (½: the plain |X|² + |ξ|² case)
  double lambda = 1.0;  // λ: discount rate
  double dt = 0.05;     // explicit Euler step of the discretized dynamics
  std::int64_t intervals = 20;  // ξ is piecewise constant on this many equal control intervals
  double tail_tol = 1e-6;       // the truncated tail's bound must stay below this

  void validate() const;  // InputError for out-of-range values
};

struct ControlPlan {
  std::int64_t steps = 0;               // Euler steps up to the horizon
  std::int64_t steps_per_interval = 0;  // every control interval has this many steps
  double horizon = 0.0;                 // T_h = steps · dt
  double tail_bound = 0.0;              // ≤ problem.tail_tol

  std::int64_t interval_of(std::int64_t step) const { return step / steps_per_interval; }
};

// The smallest horizon whose tail bound is ≤ tail_tol for this network and every initial state
// of the batch `u0` (B × N values, B ≥ 1), so one plan serves the whole batch.
ControlPlan plan_horizon(const ControlledNetwork& net, const ControlProblem& problem,
                         const std::vector<double>& u0);

// w_k = dt e^{−λ t_k}: the discounted quadrature weight of Euler step k.
double step_weight(const ControlProblem& problem, std::int64_t step);
// W_c = Σ_{k in interval c} w_k: how much interval c's integrand counts in J.
std::vector<double> interval_weights(const ControlProblem& problem, const ControlPlan& plan);

// Controls of one problem: intervals × synapses values, interval c's ξ at [c·synapses, (c+1)·...).
// Clamps every value to its entry's bound.
void project(const ControlledNetwork& net, std::int64_t intervals, double* controls);

// Throws InputError unless u0 holds a whole number B ≥ 1 of finite N-vectors; returns B.
std::int64_t check_initial_states(const ControlledNetwork& net, const std::vector<double>& u0);

struct CostGradient {
  double J = 0.0;             // Σ_k w_k ((1−μ)|X_k|² + μ|ξ_k|²)
  double state_cost = 0.0;    // the (1−μ)|X|² part
  double control_cost = 0.0;  // the μ|ξ|² part
  std::vector<double> gradient;  // ∂J/∂ξ in the layout of the controls (exact, by the adjoint)
  std::vector<double> u_final;   // u at the horizon
  double final_residual = 0.0;   // |X| at the horizon, with the last interval's ξ
};

// Evaluates J of the Euler-discretized dynamics, and on request its exact gradient by one forward
// and one backward (adjoint) pass, for a batch of problems on one network:
//   forward   u_{k+1} = u_k + dt X_k,   X_k = (A + ξ_c(k)) g(u_k) − u_k + b,
//   backward  λ_K = 0,  q_k = 2(1−μ) w_k X_k + dt λ_{k+1},
//             λ_k = λ_{k+1} + g'(u_k) ∘ ((A + ξ_c(k))ᵀ q_k) − q_k,
//             ∂J/∂ξ_ij = Σ_{k in c} q_{k,i} g(u_{k,j}) + 2μ W_c ξ_ij.
// Problem p starts from u0[p·N ..] with controls[p·dim ..], dim = intervals × synapses.
// Backends implement it; the solver above them does not know which one runs.
class ControlEvaluator {
 public:
  virtual ~ControlEvaluator() = default;
  virtual std::string name() const = 0;
  // Makes `net`, `problem` and `plan` current for the calls that follow (uploads on a GPU).
  virtual void bind(const ControlledNetwork& net, const ControlProblem& problem,
                    const ControlPlan& plan) = 0;
  // `out` gets one result per problem; gradients only when `with_gradient`.
  virtual void evaluate(const std::vector<double>& controls, const std::vector<double>& u0,
                        bool with_gradient, std::vector<CostGradient>& out) = 0;
};

}  // namespace attractor::core
