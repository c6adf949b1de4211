#pragma once
// Solving the controlled-plasticity problem of core/control.hpp: the CPU reference evaluator of J
// and its adjoint gradient, a projected-gradient solver for a batch of initial states, and the
// outcome of each controlled trajectory (recognized, recorded, limit cycle, wandering).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/engine.hpp"

namespace attractor::host {

// The reference evaluator: one forward and one backward pass per problem, problems spread over
// threads.
class CpuControlEvaluator final : public core::ControlEvaluator {
 public:
  std::string name() const override { return "cpu"; }
  void bind(const core::ControlledNetwork& net, const core::ControlProblem& problem,
            const core::ControlPlan& plan) override;
  void evaluate(const std::vector<double>& controls, const std::vector<double>& u0,
                bool with_gradient, std::vector<core::CostGradient>& out) override;

 private:
  const core::ControlledNetwork* net_ = nullptr;
  core::ControlProblem problem_;
  core::ControlPlan plan_;
};

// J (and ∂J/∂ξ) of one problem on the CPU: what tests compare everything else against.
core::CostGradient cost_and_gradient(const core::ControlledNetwork& net,
                                     const core::ControlProblem& problem,
                                     const core::ControlPlan& plan,
                                     const std::vector<double>& controls,
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
  core::CostGradient cost;       // at the solution, with the gradient
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

using SolveProgress = std::function<void(std::int64_t done, std::int64_t total)>;

// Solves the problems starting from u0 (B × N) together: each iteration evaluates every pending
// trial of the batch in one evaluator call (one launch sequence on a GPU). Each problem follows
// exactly the iterations it would follow alone. `initial_controls` is empty (start at ξ = 0) or
// B × intervals × synapses values.
BatchSolution solve_control_batch(const core::ControlledNetwork& net,
                                  const core::ControlProblem& problem,
                                  const std::vector<double>& u0, core::ControlEvaluator& evaluator,
                                  const SolveOptions& options = {},
                                  const std::vector<double>& initial_controls = {},
                                  const SolveProgress& progress = {});

// One problem on the CPU reference evaluator.
SolveResult solve_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                          const std::vector<double>& u0, const SolveOptions& options = {});

// What the controlled trajectory did. ξ_∞ is the control of the last interval, where the
// discounted problem has settled into its stationary policy; the network T = A + ξ_∞ is then run
// on from u at the horizon until it reaches a fixed point, a cycle or the step budget:
//   recognized  a fixed point and max|ξ_∞| ≤ xi_tol: an equilibrium the network already had;
//   recorded    a fixed point u** that needs ξ_∞ ≠ 0: the network learned a new equilibrium;
//   limit cycle the continuation cycles (an association), with its period;
//   wandering   none of these within the budget.
enum class ControlOutcome { Recognized, Recorded, LimitCycle, Wandering };
const char* to_string(ControlOutcome outcome);

struct OutcomeOptions {
  double xi_tol = 1e-3;         // max|ξ_∞| below this counts as "no control"
  double tol = 1e-6;            // fixed point: ‖du/dt‖₂ ≤ tol
  std::int64_t max_steps = 20000;  // Dormand–Prince steps of the continuation

  void validate() const;
};

struct OutcomeReport {
  ControlOutcome outcome = ControlOutcome::Wandering;
  double final_residual = 0.0;  // ‖X(u, ξ_∞)‖₂ at the horizon
  double residual_without_control = 0.0;  // ‖A g(u) − u + b‖₂ at the end of the continuation
  double xi_inf_max = 0.0;      // max|ξ_∞|
  double xi_inf_norm = 0.0;     // ‖ξ_∞‖_F
  std::int64_t period = 0;      // limit cycle: sections per period
  double period_time = 0.0;     // limit cycle: period in time units
  double continuation_time = 0.0;
  std::vector<double> u_limit;  // the state where the continuation ended
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

}  // namespace attractor::host
