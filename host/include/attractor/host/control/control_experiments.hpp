#pragma once
// Experiments with controlled plasticity (core/control.hpp, host/control/control_solver.hpp): the
// example network they run on, one batch of cues, the recording of a sequence of patterns with
// forgetting and recovery, and the Pareto sweep over μ.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/engine.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/control/control_solver.hpp"
#include "attractor/host/memory/recall.hpp"

namespace attractor {

// A diluted, asymmetric Hebbian network of tanh neurons: synapse i ← j exists with probability
// `connectivity`, independently for (i, j) and (j, i), with
//   A_ij = J / (c N) Σ_μ ξ^μ_i ξ^μ_j   (c = connectivity, J = strength),
// so the field of a stored pattern is ≈ J m ξ_i whatever the dilution; with J β > 1 every pattern
// is a stable equilibrium u*_μ ≈ a ξ^μ, a = J tanh(β a). Each missing synapse is a silent
// candidate with probability `silent`. Bounds |ξ| ≤ K (existing) and ≤ k (silent).
// The defaults are the network of the outcome tests: J β = 1.5 makes a cue far from both stored
// patterns leave slowly (growth rate J β − 1 near the origin), so recording it can pay, and a
// neuron's ≈ 44 synapses put the holding control near 0.02–0.05, inside K.
struct ControlNetworkParams {
  std::int64_t n = 100;
  std::int64_t patterns = 2;
  double connectivity = 0.3;
  double silent = 0.2;
  double strength = 1.0;  // J
  double gain = 1.5;      // β
  double K = 0.3;
  double k = 0.03;
  std::uint64_t seed = 1;

  void validate() const;  // core::InputError naming the CLI option
};

// The memory experiment's network: the example with bounds small enough that one recording on
// top of another drives synapses past them (K = 0.1, k = 0.01).
ControlNetworkParams memory_network_params();

// The problem, solver and outcome rules of the outcome tests
// (tests/control/test_control_outcomes.cpp): on the example network they separate recognized,
// recorded and not-recorded cues. The command line and the Python package start from these: μ =
// 0.3, λ = 2, gtol 1e-6, 3000 iterations.
struct ControlSettings {
  core::ControlProblem problem;
  SolveOptions solve;
  OutcomeOptions outcome;

  ControlSettings();
  void validate() const;
};

struct ControlNetworkExample {
  core::ControlledNetwork net;
  core::PatternSet patterns;
  // P × N: the equilibrium u*_μ that A reaches from a ξ^μ, a = J tanh(β a) (uncontrolled,
  // Dormand–Prince to ‖du/dt‖ ≤ 1e-10).
  std::vector<double> equilibria;
  double amplitude = 0.0;  // a
};

// Builds the network and finds its stored equilibria by running A on `engine`.
ControlNetworkExample control_network_example(const ControlNetworkParams& params,
                                              core::Engine& engine);

// Cues for a control batch, B × N: `stored` of them are stored equilibria (cue b is u*_{b mod P})
// with a fraction `noise` of their neurons' signs flipped and each neuron moved by up to
// jitter · a (uniform), then `novel` new patterns a η with random η ∈ {±1}^N, far from every stored
// one (|m| ~ 1/√N). Random draws are keyed by the cue.
std::vector<double> control_cues(const ControlNetworkExample& example, std::int64_t stored,
                                 double noise, double jitter, std::int64_t novel,
                                 std::uint64_t seed);

// One batch of control problems on the example network, with outcomes.
struct ControlBatchReport {
  BatchSolution solution;
  std::vector<OutcomeReport> outcomes;
  // Per cue: the largest overlap of g(u) at the end of the continuation with a stored pattern, and
  // with the cue's own sign pattern.
  std::vector<double> stored_overlap, cue_overlap;
  std::vector<std::int64_t> nearest_pattern;
};
ControlBatchReport run_control_batch(const ControlNetworkExample& example,
                                     const core::ControlProblem& problem,
                                     const std::vector<double>& cues, core::ControlBatch& batch,
                                     core::Engine& engine, const SolveOptions& solve = {},
                                     const OutcomeOptions& outcome = {},
                                     const core::ProgressFn& progress = {});

// Recording a sequence: the network keeps a trace M of the changes it records, M ← M + ξ_∞ after
// each recorded pattern, while the synapse itself cannot leave its bound: the efficacy is
//   T = A + clip(M, ±bound)   (K on existing synapses, k on silent ones).
// A memory is forgotten when the accumulated change on its synapses exceeds the bound (the excess
// is cut, its equilibrium lost) and recovered when later changes bring the trace back within it.
// The sequence lists what happens at each stage: r ≥ 0 presents novel pattern η_r as the cue a η_r
// on the current T (its control problem keeps the bounds around T) and adds ξ_∞ to M when it is
// recorded; −(r + 1) releases recording r, taking its ξ_∞ out of M again (extinction). After
// every stage each recorded memory u**_r is probed: it is held when the current T, run from u**_r
// with a fraction `probe_noise` of its signs flipped, returns to a sign overlap ≥ `overlap`.
// With bounded = false the efficacy is A + M: the same sequence without the bound, to tell the
// bound's forgetting from interference between memories.
struct MemoryExperimentParams {
  std::vector<std::int64_t> sequence{0, 1, 2, -2, -3};
  bool bounded = true;
  double probe_noise = 0.1;
  double overlap = 0.95;
  std::uint64_t seed = 1;

  void validate() const;          // core::InputError naming the CLI option
  std::int64_t patterns() const;  // largest r in the sequence, plus one
};

struct MemoryStage {
  std::int64_t stage = 0;
  std::int64_t pattern = 0;  // r
  bool release = false;      // a release of recording r (no control problem)
  ControlOutcome outcome = ControlOutcome::Wandering;  // recordings only
  double J = 0.0, tail_bound = 0.0, xi_inf_max = 0.0;  // recordings only
  double trace_max_over_bound = 0.0;                   // max_e |M_e| / bound_e after this stage
  std::int64_t saturated = 0;                          // synapses with |M| > bound
  std::vector<int> held;              // per pattern: 1 held, 0 not, −1 not recorded (yet)
  std::vector<double> probe_overlap;  // per pattern, where probed
};

struct MemoryEvent {
  std::string kind;  // "forgotten" or "recovered"
  std::int64_t memory = 0, stage = 0;
};

struct MemoryExperimentReport {
  std::vector<MemoryStage> stages;
  std::vector<MemoryEvent> events;
  std::vector<double> trace;  // M at the end, on the union pattern
};

MemoryExperimentReport run_memory_experiment(const ControlNetworkExample& example,
                                             const core::ControlProblem& problem,
                                             const MemoryExperimentParams& params,
                                             core::ControlBatch& batch, core::Engine& engine,
                                             const SolveOptions& solve = {},
                                             const OutcomeOptions& outcome = {},
                                             const core::ProgressFn& progress = {});

// The Pareto sweep over μ: the same cues solved at each μ, with both cost terms and the outcomes.
// For exact minimizers of (1−μ) F + μ G the unweighted terms are monotone: F = ∫|X|² e^{−λt} never
// falls and G = ∫|ξ|² e^{−λt} never rises as μ grows.
struct ParetoPoint {
  double mu = 0.0;
  double state_cost = 0.0, control_cost = 0.0;          // means over the cues: (1−μ) F and μ G
  double state_integral = 0.0, control_integral = 0.0;  // means of F and G
  std::int64_t recognized = 0, recorded = 0, limit_cycles = 0, wandering = 0;
  std::vector<ControlOutcome> outcomes;  // per cue
  double tail_bound = 0.0;
};
std::vector<ParetoPoint> run_pareto_sweep(
    const ControlNetworkExample& example, const core::ControlProblem& problem,
    const std::vector<double>& mus, const std::vector<double>& cues, core::ControlBatch& batch,
    core::Engine& engine, const SolveOptions& solve = {}, const OutcomeOptions& outcome = {},
    const core::ProgressFn& progress = {});

}  // namespace attractor
