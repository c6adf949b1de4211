#pragma once
// Controlled plasticity (Cardin, Lovison, Maritan, Megighian): a network that steers its own
// synapses while it runs,
//   du/dt = (A + ξ(t)) g(u) − u + b,   |ξ_ij| ≤ K on existing synapses (A_ij ≠ 0),
//                                      |ξ_ij| ≤ k on candidate silent ones (A_ij = 0, a mask),
// with ξ chosen to minimize the discounted cost
//   J_μ(u⁰, ξ) = ∫₀^∞ ((1−μ) |X|² + μ |ξ|²) e^{−λt} dt,   X = (A + ξ) g(u) − u + b.
// This header holds what every backend shares: the network on its union pattern, the discretized
// problem and its horizon, the solver's element-wise steps, and the interface a backend implements
// to hold a batch of problems and evaluate J and ∂J/∂ξ for it.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/config.hpp"
#include "attractor/core/csr_matrix.hpp"

namespace attractor::core {

// A and the controllable synapses as one CSR (docs/architecture.md, "Core concepts"): the union
// of A's entries and the silent candidates, each row's active entries (A_ij ≠ 0 in A's pattern)
// before its silent ones, so the class of an entry is a split point per row. ξ lives on this
// pattern: one value per entry.
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
  std::int64_t existing() const;  // entries of A; the other synapses() − existing() are silent
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

// What every backend checks before a batch starts: InputError unless `plan` was made for
// `problem` (plan_horizon), u0 holds B ≥ 1 finite states, and `controls` is empty or holds
// B × intervals × synapses finite values; returns B.
std::int64_t check_batch(const ControlledNetwork& net, const ControlProblem& problem,
                         const ControlPlan& plan, const std::vector<double>& u0,
                         const std::vector<double>& controls);

// The element-wise steps of the projected-gradient solver, one definition for every backend. The
// preconditioner is D = diag(1/W_c) on interval c (see attractor::SolveOptions), so a scaled
// gradient step is x − α g / W_c; P clamps to the entry's box [−bound, bound].
ATTRACTOR_HD double clamp_to_bound(double x, double bound) {
  return x < -bound ? -bound : (x > bound ? bound : x);
}
// d = P(x − α g / W) − x: the search direction's entry.
ATTRACTOR_HD double projected_step(double x, double g, double alpha_over_W, double bound) {
  return clamp_to_bound(x - alpha_over_W * g, bound) - x;
}
// The controlled step x + θ d, with the bound applied in the same pass: inside the box by
// convexity, the clamp only removes the rounding of x + d past a bound.
ATTRACTOR_HD double trial_point(double x, double d, double theta, double bound) {
  return clamp_to_bound(x + theta * d, bound);
}

// J of the Euler-discretized dynamics and its exact gradient by one forward and one backward
// (adjoint) pass:
//   forward   u_{k+1} = u_k + dt X_k,   X_k = (A + ξ_c(k)) g(u_k) − u_k + b,
//   backward  λ_K = 0,  q_k = 2(1−μ) w_k X_k + dt λ_{k+1},
//             λ_k = λ_{k+1} + g'(u_k) ∘ ((A + ξ_c(k))ᵀ q_k) − q_k,
//             ∂J/∂ξ_ij = Σ_{k in c} q_{k,i} g(u_{k,j}) + 2μ W_c ξ_ij.
ATTRACTOR_HD double adjoint_source(double mu, double w, double X, double dt, double lambda_next) {
  return 2.0 * (1.0 - mu) * w * X + dt * lambda_next;
}

// What one evaluation of one problem gives (the gradient stays with the backend).
struct CostTerms {
  double J = 0.0;               // Σ_k w_k ((1−μ)|X_k|² + μ|ξ_k|²)
  double state_cost = 0.0;      // the (1−μ)|X|² part
  double control_cost = 0.0;    // the μ|ξ|² part
  double final_residual = 0.0;  // |X| at the horizon, with the last interval's ξ
};

// A new search direction: ‖P(x − D∇J) − x‖∞ (the stationarity measure, α = 1) and ∇Jᵀd.
struct Direction {
  double stationarity = 0.0;
  double slope = 0.0;
};

// An accepted step s = x_new − x with y = ∇J(x_new) − ∇J(x): sᵀD⁻¹s and sᵀy, from which the
// solver takes its next spectral step.
struct Curvature {
  double sDs = 0.0;
  double sy = 0.0;
};

// One problem's vectors, read back from the backend.
struct ControlState {
  std::vector<double> controls;  // intervals × synapses, the current iterate x
  std::vector<double> gradient;  // ∂J/∂ξ at x (when asked for)
  std::vector<double> u_final;   // u at the horizon under x
};

// The solver's vectors for a batch of problems on one network live in the backend (on a GPU in
// device memory): per problem its iterate x, gradient g = ∇J(x), direction d and a trial point t
// with its gradient. The solver above moves only scalars (step sizes in, the reductions below
// out), so a batch costs no transfers of controls between iterations. Problem p starts from
// u0[p·N ..]. `which` lists problems by index; outputs come in its order.
class ControlBatch {
 public:
  virtual ~ControlBatch() = default;
  virtual std::string name() const = 0;
  // Binds the problem and its plan to the batch u0 (B × N), sets x_p = P(initial_p) (ξ = 0 when
  // `initial_controls` is empty, else B × intervals × synapses values) and evaluates J and ∇J at
  // every x_p into `costs`. `net` must outlive the calls up to the next start(): a backend may
  // read it in place (the CPU's does).
  virtual void start(const ControlledNetwork& net, const ControlProblem& problem,
                     const ControlPlan& plan, const std::vector<double>& u0,
                     const std::vector<double>& initial_controls,
                     std::vector<CostTerms>& costs) = 0;
  // d_p = P(x_p − α_p D g_p) − x_p (projected_step), with its Direction.
  virtual void directions(const std::vector<std::int64_t>& which, const std::vector<double>& alpha,
                          std::vector<Direction>& out) = 0;
  // t_p = P(x_p + θ_p d_p) (trial_point); J and ∇J at t_p.
  virtual void trials(const std::vector<std::int64_t>& which, const std::vector<double>& theta,
                      std::vector<CostTerms>& out) = 0;
  // x_p ← t_p and g_p ← ∇J(t_p) for problems whose last trial the solver accepts.
  virtual void accept(const std::vector<std::int64_t>& which, std::vector<Curvature>& out) = 0;
  virtual ControlState read(std::int64_t p, bool with_gradient) = 0;
};

}  // namespace attractor::core
