#pragma once
// Solving the controlled-plasticity problem of core/control.hpp: the CPU reference batch (J and
// its adjoint gradient), a projected-gradient solver for a batch of initial states on any backend,
// and the outcome of each controlled trajectory (recognized, recorded, limit cycle, wandering).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/engine.hpp"
#include "attractor/core/enum_names.hpp"
#include "attractor/core/network.hpp"

namespace attractor {

// J, ∂J/∂ξ and u at the horizon of one problem with controls `controls`, by the reference forward
// and adjoint passes: what tests compare everything else against.
struct Evaluation {
  core::CostTerms cost;
  std::vector<double> gradient;  // empty unless asked for
  std::vector<double> u_final;
};
Evaluation evaluate_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                            const core::ControlPlan& plan, const std::vector<double>& controls,
                            const std::vector<double>& u0, bool with_gradient = true);

// Spectral projected gradient (Birgin, Martínez & Raydan 2000) on the box |ξ| ≤ K / k, with a
// diagonal preconditioner D = 1/W_c per control interval. Without D, interval c's gradient carries
// the factor W_c ≈ e^{−λ t_c}, so late intervals (the ones that decide ξ_∞) would barely move
// before the early ones converge; with D every interval's step is in units of ξ. Steps are
// Barzilai–Borwein in D's metric, accepted by a nonmonotone Armijo test over the last `memory`
// values of J. A problem stops when the scaled projected step ‖P(ξ − D∇J) − ξ‖∞ ≤ gtol.
struct SolveOptions {
  double gtol = 1e-6;
  std::int64_t max_iterations = 2000;
  int memory = 10;

  void validate() const;
};

struct SolveResult {
  std::vector<double> controls;  // intervals × synapses
  std::vector<double> u_final;   // u at the horizon under `controls`
  core::CostTerms cost;          // at the solution
  std::int64_t iterations = 0;
  std::int64_t evaluations = 0;
  double projected_gradient = 0.0;  // ‖P(ξ − D∇J) − ξ‖∞ at the end
  bool converged = false;
};

struct BatchSolution {
  core::ControlPlan plan;
  std::vector<SolveResult> problems;
  std::string backend;
  double seconds = 0.0;
};

// Solves the problems starting from u0 (B × N) together: each round evaluates every pending trial
// of the batch in one backend call (one launch sequence on a GPU). Each problem follows exactly
// the iterations it would follow alone, so the results do not depend on the batch. The solver's
// decisions are made here, from the scalars the backend returns, identically for every backend.
// `initial_controls` is empty (start at ξ = 0) or B × intervals × synapses values.
BatchSolution solve_control_batch(const core::ControlledNetwork& net,
                                  const core::ControlProblem& problem,
                                  const std::vector<double>& u0, core::ControlBatch& batch,
                                  const SolveOptions& options = {},
                                  const std::vector<double>& initial_controls = {},
                                  const core::ProgressFn& progress = {});

// One problem on the CPU reference backend.
SolveResult solve_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                          const std::vector<double>& u0, const SolveOptions& options = {});

// What the controlled trajectory did. ξ_∞ is the control of the last interval, where the
// discounted problem has settled into its stationary policy; the network T = A + ξ_∞ is then run
// on from u at the horizon until it reaches a fixed point u**, a cycle or the step budget. A fixed
// point is then given to A alone: if A keeps it (reaches a fixed point with the signs of u**, up to
// a sign overlap of same_overlap), it is an equilibrium the network already had, else one only
// ξ_∞ holds:
//   recognized  an existing equilibrium (ξ_∞ ≈ 0 when the state settled within the horizon);
//   recorded    a new equilibrium u** that needs ξ_∞ ≠ 0: the network learned it, T = A + ξ_∞;
//   limit cycle the continuation cycles (an association), with its period;
//   wandering   none of these within the budget.
enum class ControlOutcome { Recognized, Recorded, LimitCycle, Wandering };
constexpr core::NameTable<ControlOutcome, 4> enum_names(ControlOutcome) {
  return {"control outcome",
          {{{ControlOutcome::Recognized, "recognized"},
            {ControlOutcome::Recorded, "recorded"},
            {ControlOutcome::LimitCycle, "limit_cycle"},
            {ControlOutcome::Wandering, "wandering"}}}};
}

struct OutcomeOptions {
  double same_overlap = 0.95;      // (1/N) Σ sign(u_A) sign(u**) from here: A already had u**
  double tol = 1e-6;               // fixed point: ‖du/dt‖₂ ≤ tol
  std::int64_t max_steps = 20000;  // Dormand–Prince steps of each continuation

  void validate() const;
};

// (1/N) Σ_i sign(a_i) sign(b_i): how equilibria of saturating neurons are told apart.
double sign_overlap(const double* a, const double* b, std::int64_t n);

// The network A + ξ (ξ on the union pattern) with its bias and activation, for the engines.
core::Network network_with(const core::ControlledNetwork& net, const double* xi);

// The continuations' run options: Dormand–Prince to ‖du/dt‖₂ ≤ tol, with a local error far below
// it.
core::RunOptions continuation_options(const OutcomeOptions& options);

struct OutcomeReport {
  ControlOutcome outcome = ControlOutcome::Wandering;
  double final_residual = 0.0;            // ‖X(u, ξ_∞)‖₂ at the horizon
  double residual_without_control = 0.0;  // ‖A g(u**) − u** + b‖₂: what ξ_∞ holds
  double existing_overlap = 0.0;          // fixed point: (1/N) Σ sign(u_A) sign(u**)
  double xi_inf_max = 0.0;                // max|ξ_∞|
  double xi_inf_norm = 0.0;               // ‖ξ_∞‖_F
  std::int64_t period = 0;                // limit cycle: sections per period
  double period_time = 0.0;               // limit cycle: period in time units
  double continuation_time = 0.0;
  std::vector<double> u_limit;  // the state where the continuation under A + ξ_∞ ended (u**)
};

// Classifies every solved problem of `solution`, running the continuations on `engine`.
std::vector<OutcomeReport> classify_outcomes(const core::ControlledNetwork& net,
                                             const core::ControlProblem& problem,
                                             const BatchSolution& solution, core::Engine& engine,
                                             const OutcomeOptions& options = {});

// The last interval's control of a solution: ξ_∞ on the union pattern.
std::vector<double> final_control(const core::ControlledNetwork& net,
                                  const core::ControlProblem& problem,
                                  const std::vector<double>& controls);

// |X_k| and |ξ_k| at every Euler step of one controlled trajectory (k = 0 … steps), for plots.
struct ControlTrace {
  std::vector<double> time, residual, control;
};
ControlTrace trace_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                           const core::ControlPlan& plan, const std::vector<double>& controls,
                           const std::vector<double>& u0);

}  // namespace attractor
