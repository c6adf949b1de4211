// CPU/GPU parity: every engine case run from the same seeds on the CPU (the reference, float64)
// and on CUDA in float32, its fast path. Discrete dynamics must agree state for state; continuous
// ones within bounds derived from float32 rounding; outcomes and periods must be the same.
// Skipped, with the reason, when this build has no CUDA backend or the machine no device; always
// compiled, so CI proves the tests build.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/core/integer_weights.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/cuda/sell_matrix.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

using core::Dynamics;
using core::Integrator;
using core::Outcome;
using core::RngPurpose;
using Index = std::int64_t;
using test::random_signs;
using test::to_csr;
constexpr double kEps32 = std::numeric_limits<float>::epsilon();  // 2^-23

class CudaParity : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      gpu_ = make_engine(Backend::Cuda, core::Precision::Float32);
    } catch (const core::InputError& e) {
      GTEST_SKIP() << e.what();
    }
  }

  struct Pair {
    core::RunResult cpu, gpu;
    core::StateBatch cpu_states, gpu_states;
  };
  Pair both(const core::Network& net, const core::StateBatch& start,
            const core::RunOptions& options) {
    Pair p{{}, {}, start, start};
    p.cpu = cpu_.run(net, p.cpu_states, options);
    p.gpu = gpu_->run(net, p.gpu_states, options);
    return p;
  }

  CpuEngine cpu_;
  std::unique_ptr<core::Engine> gpu_;
};

// Weights k/64 with |k| ≤ 64 and N ≤ 256: every product with ±1 is a multiple of 2^-6 and every
// partial sum a multiple of 2^-6 below 256 in magnitude, i.e. below 2^14 units of 2^-6 — exact in
// float32's 24-bit significand, in any order. Fields (and their signs, ties included) are then
// identical in float32 and float64, so discrete trajectories must agree state for state.
core::DenseMatrix<double> dyadic_weights(Index n, bool symmetric, std::uint64_t seed,
                                         double density = 1.0) {
  const core::CounterRng rng{seed};
  core::DenseMatrix<double> T(n, n);
  for (Index i = 0; i < n; ++i) {
    for (Index j = symmetric ? i : 0; j < n; ++j) {
      const auto index = static_cast<std::uint64_t>(i * n + j);
      if (i == j || rng.uniform(RngPurpose::Weights, 1, index) >= density) continue;
      const double w =
          (static_cast<double>(rng.below(RngPurpose::Weights, 0, index, 129)) - 64.0) / 64.0;
      T(i, j) = w;
      if (symmetric) T(j, i) = w;
    }
  }
  return T;
}

core::Network network_of(core::Weights T, core::ActivationKind kind, double gain = 1.0) {
  core::Network net;
  net.weights = std::move(T);
  net.activation = {kind, gain};
  return net;
}

// `energy_tolerance`: the energy is −½ sᵀ(T s) − bᵀs from T s as the device rounded it.
void expect_same_discrete_run(const core::RunResult& cpu, const core::RunResult& gpu,
                              const core::StateBatch& cpu_states,
                              const core::StateBatch& gpu_states, double energy_tolerance) {
  ASSERT_EQ(cpu.states.size(), gpu.states.size());
  EXPECT_EQ(cpu_states.values, gpu_states.values);
  for (std::size_t b = 0; b < cpu.states.size(); ++b) {
    SCOPED_TRACE("state " + std::to_string(b));
    EXPECT_EQ(cpu.states[b].outcome, gpu.states[b].outcome);
    EXPECT_EQ(cpu.states[b].steps, gpu.states[b].steps);
    EXPECT_EQ(cpu.states[b].period, gpu.states[b].period);
    EXPECT_EQ(cpu.states[b].matched_pattern, gpu.states[b].matched_pattern);
    if (cpu.energy_defined) {
      EXPECT_NEAR(cpu.states[b].energy, gpu.states[b].energy, energy_tolerance);
    }
  }
}

struct DiscreteCase {
  const char* name;
  bool symmetric;
  bool csr;
  Dynamics dynamics;
  bool stored32 = false;  // dense weights stored in float32 (dyadic: the same values)
};

TEST_F(CudaParity, DiscreteDynamicsAgreeStateForStateOnDenseAndCsrWeights) {
  constexpr Index kN = 200, kBatch = 24;
  for (const DiscreteCase c :
       {DiscreteCase{"sync symmetric dense", true, false, Dynamics::DiscreteSync},
        DiscreteCase{"sync asymmetric dense", false, false, Dynamics::DiscreteSync},
        DiscreteCase{"sync asymmetric csr", false, true, Dynamics::DiscreteSync},
        DiscreteCase{"async symmetric dense", true, false, Dynamics::DiscreteAsync},
        DiscreteCase{"async symmetric csr", true, true, Dynamics::DiscreteAsync},
        DiscreteCase{"async asymmetric csr", false, true, Dynamics::DiscreteAsync},
        DiscreteCase{"sync symmetric dense float32", true, false, Dynamics::DiscreteSync, true},
        DiscreteCase{"async asymmetric dense float32", false, false, Dynamics::DiscreteAsync,
                     true}}) {
    SCOPED_TRACE(c.name);
    const auto T = dyadic_weights(kN, c.symmetric, 7, c.csr ? 0.1 : 1.0);
    const auto net = network_of(
        c.csr        ? core::Weights{to_csr(T)}
        : c.stored32 ? core::Weights{core::to_float32(core::DenseMatrix<double>(T), "test")}
                     : core::Weights{T},
        core::ActivationKind::Sign);
    core::RunOptions options;
    options.dynamics = c.dynamics;
    options.max_steps = 200;
    options.seed = 11;
    options.record_every = 3;
    options.record_states = true;
    const auto p = both(net, random_signs(kBatch, kN, 5), options);
    // Dyadic weights: T s is exact on both, and so is every term of the energy (multiples of
    // 2^-7 below 2^8 · N): the energies are equal.
    expect_same_discrete_run(p.cpu, p.gpu, p.cpu_states, p.gpu_states, 0.0);
    EXPECT_EQ(p.cpu.recording.steps, p.gpu.recording.steps);
    EXPECT_EQ(p.cpu.recording.states, p.gpu.recording.states);
    // Not a vacuous comparison: the runs end in more than one way or after different times.
    Index longest = 0;
    for (const auto& r : p.cpu.states) longest = std::max(longest, r.steps);
    EXPECT_GT(longest, 1);
  }
}

TEST_F(CudaParity, SyncLimitCyclesHaveTheSamePeriods) {
  // A cyclic shift T_{i+1,i} = 1 moves a state one neuron along per step: period N (≤ max_period)
  // for a state with one +1, and shorter for periodic states.
  constexpr Index kN = 12;
  core::DenseMatrix<double> T(kN, kN);
  for (Index i = 0; i < kN; ++i) T((i + 1) % kN, i) = 1.0;
  const auto net = network_of(to_csr(T), core::ActivationKind::Sign);
  core::StateBatch start(3, kN, -1.0);
  start.state(0)[0] = 1.0;
  for (Index i = 0; i < kN; i += 2) start.state(1)[i] = 1.0;
  for (Index i = 0; i < kN; i += 3) start.state(2)[i] = 1.0;
  core::RunOptions options;
  options.max_steps = 100;
  const auto p = both(net, start, options);
  expect_same_discrete_run(p.cpu, p.gpu, p.cpu_states, p.gpu_states, 0.0);
  EXPECT_EQ(p.gpu.states[0].period, kN);
  EXPECT_EQ(p.gpu.states[1].period, 2);
  EXPECT_EQ(p.gpu.states[2].period, 3);
}

TEST_F(CudaParity, FactoredHebbianRecallAgreesStateForStateAndMatchesPatterns) {
  // Factored fields are integer sums accumulated in float64 on both backends: exact, so float32
  // states must agree with the CPU for any load, including past capacity.
  for (const double load : {0.05, 0.2}) {
    SCOPED_TRACE("load " + std::to_string(load));
    constexpr Index kN = 1000;
    const auto patterns = random_patterns(static_cast<Index>(load * kN), kN, 3);
    const auto net = hebbian_network(patterns, true);
    for (const auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
      core::RunOptions options;
      options.dynamics = dynamics;
      options.max_steps = 100;
      options.patterns = &patterns;
      const auto p = both(net, noisy_cues(patterns, 32, 0.15, 9), options);
      // The device rounds (T s)_i = k/N to float32: |Δ(T s)_i| ≤ ε₃₂ |(T s)_i| / 2 with
      // |(T s)_i| ≤ 1 + 3.5 √α < 4 for Hebbian fields at these loads, so |ΔE| ≤ N ε₃₂.
      expect_same_discrete_run(p.cpu, p.gpu, p.cpu_states, p.gpu_states, kN * kEps32);
      EXPECT_EQ(p.cpu.overlaps, p.gpu.overlaps);
    }
  }
}

// Contracting tanh networks: ‖T‖₂ ≤ ‖T‖_F = 0.5 and g' ≤ 1, so the Jacobian T diag(g') − I has
// log-norm ≤ −½ and an error made in one step of size h decays by (1 − h/2) per step: errors
// accumulate to at most 2δ/h for a per-step error δ. Float32 rounding gives δ ≲ h · ε₃₂ (N Σ_j
// |T_ij V_j| + |u| + |b|) + ε₃₂ |u| (the worst-case bound of an N-term sum; Σ_j |T_ij| ≤ √N ·
// 0.5 = 4 for N = 64, |u| ≲ 2), so 2δ/h ≲ 2 ε₃₂ (64 · 4 + 2.3) + 4 ε₃₂ / h ≈ 7e-5 at h = 0.05.
// Runs that stop one step apart differ by one more step, h ‖F‖ ≤ h · tol ≲ 1e-4 even for the
// largest adaptive steps. Hence ‖Δu‖∞ ≤ 2e-4. Energies use T V rounded in float32 on the device,
// ≲ ε₃₂ · 260 per component, so ΔE ≲ ½ Σ_i |V_i| · 260 ε₃₂ ≈ 1e-3.
core::DenseMatrix<double> contracting_weights(Index n, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  core::DenseMatrix<double> T(n, n);
  // Uniform entries, scaled to ‖T‖_F = 0.5 (an upper bound on ‖T‖₂).
  double frobenius = 0.0;
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) {
      T(i, j) = rng.uniform(RngPurpose::Weights, 2, static_cast<std::uint64_t>(i * n + j)) - 0.5;
      frobenius += T(i, j) * T(i, j);
    }
  }
  const double scale = 0.5 / std::sqrt(frobenius);
  for (auto& v : T.values) v *= scale;
  return T;
}

TEST_F(CudaParity, ContinuousFixedPointsAgreeWithinFloat32Rounding) {
  constexpr Index kN = 64, kBatch = 8;
  const auto T = contracting_weights(kN, 4);
  core::StateBatch start(kBatch, kN);
  const core::CounterRng rng{8};
  for (Index k = 0; k < kBatch * kN; ++k) {
    start.values[k] = 4.0 * (rng.uniform(RngPurpose::InitialState, 0, k) - 0.5);
  }
  core::Network net = network_of(T, core::ActivationKind::Tanh);
  net.bias.assign(kN, 0.3);  // a non-trivial fixed point
  for (const bool csr : {false, true}) {
    if (csr) net.weights = to_csr(T);
    for (const auto integrator : {Integrator::Euler, Integrator::RK4, Integrator::Dopri5}) {
      SCOPED_TRACE(std::string(csr ? "csr " : "dense ") + core::to_string(integrator));
      core::RunOptions options;
      options.dynamics = Dynamics::Continuous;
      options.integrator = integrator;
      options.dt = 0.05;
      options.max_steps = 5000;
      // Float32 evaluates ‖F‖ to ≈ √N ε₃₂ |u| ≈ 1e-6: tol sits well above that noise.
      options.tol = 1e-4;
      options.rtol = 1e-5;
      const auto p = both(net, start, options);
      for (Index b = 0; b < kBatch; ++b) {
        EXPECT_EQ(p.cpu.states[b].outcome, Outcome::FixedPoint);
        EXPECT_EQ(p.gpu.states[b].outcome, Outcome::FixedPoint);
        // ‖F‖ crosses tol in the same step, or — when it lands within rounding of tol — the
        // next: the two runs may stop one step apart.
        EXPECT_LE(std::abs(p.cpu.states[b].steps - p.gpu.states[b].steps), 1);
        for (Index i = 0; i < kN; ++i) {
          EXPECT_NEAR(p.cpu_states.state(b)[i], p.gpu_states.state(b)[i], 2e-4);
        }
        EXPECT_NEAR(p.cpu.states[b].energy, p.gpu.states[b].energy, 1e-3);
      }
    }
  }
}

TEST_F(CudaParity, ContinuousLimitCycleHasTheSamePeriod) {
  // The oscillator of LimitCycles in test_continuous_dynamics.cpp: period 6.838. Float32 rounding
  // perturbs each step's u by ≈ ε₃₂ · 4; over the ≈ 7000 RK4 steps before the cycle closes these
  // add like a random walk to ≈ 1e-5 absolute, i.e. a relative phase error ≲ 1e-5 per period:
  // 1e-3 on period_time leaves room for the section closing one orbit later.
  core::DenseMatrix<double> T(2, 2);
  T.values = {2.0, -2.0, 2.0, 2.0};
  const auto net = network_of(T, core::ActivationKind::Tanh);
  core::StateBatch start(1, 2);
  start.values = {0.1, 0.0};
  core::RunOptions options;
  options.dynamics = Dynamics::Continuous;
  options.integrator = Integrator::RK4;
  options.dt = 0.01;
  options.max_steps = 200000;
  options.tol = 1e-9;
  options.cycle_tol = 1e-4;
  const auto p = both(net, start, options);
  EXPECT_EQ(p.cpu.states[0].outcome, Outcome::LimitCycle);
  EXPECT_EQ(p.gpu.states[0].outcome, Outcome::LimitCycle);
  EXPECT_EQ(p.cpu.states[0].period, p.gpu.states[0].period);
  EXPECT_NEAR(p.gpu.states[0].period_time, 6.838, 1e-2);
  EXPECT_NEAR(p.cpu.states[0].period_time, p.gpu.states[0].period_time,
              1e-3 * p.cpu.states[0].period_time);
}

TEST_F(CudaParity, Float64EngineMatchesTheReferenceToRounding) {
  // Float64 on the device is the reference arithmetic in another summation order: continuous
  // states agree to ≈ N ε₆₄ · (contraction factor 4) ≪ 1e-12.
  auto gpu64 = make_engine(Backend::Cuda, core::Precision::Float64);
  constexpr Index kN = 64;
  const auto net = network_of(contracting_weights(kN, 5), core::ActivationKind::Tanh);
  core::StateBatch start(4, kN, 0.5);
  core::RunOptions options;
  options.dynamics = Dynamics::Continuous;
  options.integrator = Integrator::Dopri5;
  options.t_end = 5.0;
  options.max_steps = 100000;
  options.tol = 0.0;
  auto cpu_states = start, gpu_states = start;
  const auto cpu = cpu_.run(net, cpu_states, options);
  const auto gpu = gpu64->run(net, gpu_states, options);
  for (Index k = 0; k < static_cast<Index>(start.values.size()); ++k) {
    EXPECT_NEAR(cpu_states.values[k], gpu_states.values[k], 1e-12);
  }
  EXPECT_EQ(cpu.states[0].steps, gpu.states[0].steps);
}

TEST_F(CudaParity, ProblemsLargerThanTheDeviceFailWithTheBytesNeeded) {
  // Continuous dynamics keep max_period + 1 section points per state: 4097 × 128 states ×
  // 100,000 neurons × 4 bytes ≈ 210 GB, more than any current GPU holds. The engine must refuse
  // before any work, naming the bytes, not crash.
  constexpr Index kN = 100000;
  core::CsrMatrix<double> T;
  T.rows = T.cols = kN;
  T.row_ptr.assign(kN + 1, 0);
  const auto net = network_of(T, core::ActivationKind::Tanh);
  core::StateBatch start(128, kN, 0.1);
  core::RunOptions options;
  options.dynamics = Dynamics::Continuous;
  options.max_period = 4096;
  options.max_steps = 1;
  try {
    gpu_->run(net, start, options);
    FAIL() << "a 210 GB problem ran";
  } catch (const std::exception& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("out of device memory"), std::string::npos) << message;
    EXPECT_NE(message.find("bytes"), std::string::npos) << message;
  }
}

// Glauber dynamics draw every update's uniform from the same counter (seed, state, step, neuron)
// on both backends and compare it with the same float64 probability; with dyadic weights the
// fields are identical in float32, so the only possible difference is exp() rounding differently
// on the two sides within an ulp of a draw — probability ~1e-16 per update. Both update schemes
// must agree state for state.
TEST_F(CudaParity, GlauberDynamicsDrawTheSameUpdates) {
  const Index n = 256;
  core::Network net;
  net.weights = dyadic_weights(n, true, 31);
  const auto start = random_signs(40, n, 32);
  for (const auto dynamics : {Dynamics::GlauberSync, Dynamics::GlauberAsync}) {
    core::RunOptions options;
    options.dynamics = dynamics;
    options.temperature = 2.0;
    options.max_steps = 37;  // several chunks and a partial one
    options.seed = 33;
    options.record_every = 5;
    const auto p = both(net, start, options);
    EXPECT_EQ(p.cpu_states.values, p.gpu_states.values) << core::to_string(dynamics);
    for (Index b = 0; b < start.batch; ++b) {
      EXPECT_EQ(p.gpu.states[b].steps, options.max_steps);
      EXPECT_EQ(p.gpu.states[b].outcome, Outcome::Wandering);
    }
    EXPECT_EQ(p.cpu.recording.steps, p.gpu.recording.steps);
  }
}

// Dense Hebbian weights are integers over N: the engine multiplies them as int8 (N a multiple of
// 4) or fp16 (otherwise) on tensor cores, with exact sums, so float32 CUDA runs of the dense
// matrix agree state for state with the CPU's float64 — whose fields differ from the exact ones
// by ≤ N ε P, far below the 1/N of the smallest field (N even, P odd: no ties). Synchronous
// dynamics use the integer products: N = 400 as int8, N = 402 (not a multiple of 4) as fp16.
TEST_F(CudaParity, DenseHebbianWeightsUseExactIntegerProducts) {
  for (const Index n : {400, 402}) {
    const auto patterns = random_patterns(151, n, 61);
    const auto net = hebbian_network(patterns, false);
    const auto form = core::exact_integer_form(std::get<core::DenseMatrix<double>>(net.weights));
    ASSERT_TRUE(form.has_value());
    const auto start = noisy_cues(patterns, 48, 0.25, 62);
    for (const auto dynamics : {Dynamics::DiscreteSync, Dynamics::GlauberSync}) {
      core::RunOptions options;
      options.dynamics = dynamics;
      options.temperature = 0.3;
      options.max_steps = 40;
      options.seed = 63;
      options.patterns = &patterns;
      const auto p = both(net, start, options);
      EXPECT_EQ(p.cpu_states.values, p.gpu_states.values) << "N = " << n;
      for (Index b = 0; b < start.batch; ++b) {
        EXPECT_EQ(p.cpu.states[b].steps, p.gpu.states[b].steps);
        EXPECT_EQ(p.cpu.states[b].outcome, p.gpu.states[b].outcome);
      }
    }
  }
}

// The sparse products pick their layout per matrix: near-uniform rows (a random network of
// fixed density) go to SELL-C-σ, a matrix with one hub row per σ-window stays CSR; both read the
// states state-major in tiles of 1, 8, 16 or 32 (and two tiles past 32). With dyadic weights
// every sum is exact, so every batch size must agree state for state with the CPU.
TEST_F(CudaParity, SparseLayoutsAndStateTilesAgreeStateForState) {
  constexpr Index kN = 1100;
  const auto uniform = to_csr(dyadic_weights(kN, false, 71, 0.05));
  auto skewed_dense = dyadic_weights(kN, false, 72, 0.01);
  for (Index j = 0; j < kN; ++j) skewed_dense(0, j) = j % 3 == 0 ? 0.5 : 0.0;  // one hub row
  const auto skewed = to_csr(skewed_dense);
  ASSERT_TRUE(cuda::prefer_sell(uniform, cuda::to_sell(uniform, cuda::kSellSigma)));
  ASSERT_FALSE(cuda::prefer_sell(skewed, cuda::to_sell(skewed, cuda::kSellSigma)));
  // Dyadic weights are float32 values too: stored in float32, the same runs.
  for (const auto* T : {&uniform, &skewed}) {
    for (const bool stored32 : {false, true}) {
      auto copy = *T;
      const auto net = network_of(
          stored32 ? core::Weights{core::to_float32(std::move(copy), "test")} : core::Weights{*T},
          core::ActivationKind::Sign);
      for (const Index batch : {1, 5, 12, 20, 40}) {
        SCOPED_TRACE((T == &uniform ? "SELL, B = " : "CSR, B = ") + std::to_string(batch) +
                     (stored32 ? ", float32 weights" : ""));
        core::RunOptions options;
        options.max_steps = 30;
        options.seed = 73;
        const auto p = both(net, random_signs(batch, kN, 74), options);
        expect_same_discrete_run(p.cpu, p.gpu, p.cpu_states, p.gpu_states, 0.0);
      }
    }
  }
}

}  // namespace
}  // namespace attractor
