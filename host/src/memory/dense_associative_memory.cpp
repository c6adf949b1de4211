#include "attractor/host/memory/dense_associative_memory.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <stdexcept>

#include "attractor/core/discrete.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "engine/factored_fields.hpp"

namespace attractor {

using Index = std::int64_t;

namespace {

// Past P·N = 2^28 pattern bits (Ξ and Ξᵀ, 512 MiB) a capacity point would not finish anyway: each
// cue costs O(N P) per sweep.
constexpr double kMaxPatternBits = double(Index{1} << 28);

using Bits = Eigen::Matrix<std::int8_t, Eigen::Dynamic, 1>;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// xⁿ by repeated multiplication: exact for integer x while |x|ⁿ < 2^53, which keeps the
// polynomial DAM's energy gaps exact integers (and its ties real ties) at the sizes it runs.
double power(double x, int n) {
  double result = 1.0;
  for (int k = 0; k < n; ++k) result *= x;
  return result;
}

void check_patterns(const core::PatternSet& patterns, const std::string& what) {
  core::require(patterns.count >= 1 && patterns.n >= 1, what,
                "need at least one pattern of at least one neuron");
  core::require(
      patterns.values.size() == static_cast<std::size_t>(patterns.count * patterns.n), what,
      "shape mismatch: " + std::to_string(patterns.values.size()) + " values for P × N = " +
          std::to_string(patterns.count) + " × " + std::to_string(patterns.n));
  core::require(core::all_signs(patterns.values), what, "entries must be +1 and -1");
}

void check_size(const std::vector<double>& x, Index n, const std::string& what) {
  core::require(
      x.size() == static_cast<std::size_t>(n), what,
      "shape mismatch: " + std::to_string(x.size()) + " entries for N = " + std::to_string(n));
}

void check_real_state(const std::vector<double>& x, Index n, const std::string& what) {
  check_size(x, n, what);
  core::require(core::all_finite(x), what, "contains NaN or Inf");
}

// x_μ = ξ^μ·x for every pattern: Eigen's vectorized reduction on the int8 row widened lazily,
// so no P × N double copy is made.
std::vector<double> pattern_dots(const core::PatternSet& patterns, const double* x) {
  std::vector<double> dots(static_cast<std::size_t>(patterns.count));
  const Eigen::Map<const Eigen::VectorXd> state(x, patterns.n);
  for (Index mu = 0; mu < patterns.count; ++mu) {
    dots[mu] = Eigen::Map<const Bits>(patterns.pattern(mu), patterns.n).cast<double>().dot(state);
  }
  return dots;
}

// Σ_μ w_μ ξ^μ = Ξᵀ w.
std::vector<double> weighted_patterns(const core::PatternSet& patterns,
                                      const std::vector<double>& w) {
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(patterns.n);
  for (Index mu = 0; mu < patterns.count; ++mu) {
    sum += w[mu] * Eigen::Map<const Bits>(patterns.pattern(mu), patterns.n).cast<double>();
  }
  return {sum.data(), sum.data() + sum.size()};
}

bool same_signs(const std::int8_t* xi, const double* x, Index n) {
  for (Index i = 0; i < n; ++i) {
    if (xi[i] * x[i] <= 0.0) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
double Interaction::F(double x) const {
  return kind == Kind::Exponential ? std::exp(x) : power(x, degree) / degree;
}

double Interaction::dF(double x) const {
  return kind == Kind::Exponential ? std::exp(x) : power(x, degree - 1);
}

double Interaction::d2F(double x) const {
  return kind == Kind::Exponential ? std::exp(x) : (degree - 1) * power(x, degree - 2);
}

void Interaction::validate(const std::string& what) const {
  if (kind == Kind::Exponential) return;
  core::require(degree >= 2 && degree <= kMaxDegree, what,
                "the polynomial degree n must lie in [2, " + std::to_string(kMaxDegree) +
                    "] (n = 2 is the Hebbian network), got " + std::to_string(degree));
}

// ---------------------------------------------------------------------------------------------
DenseAssociativeMemory::DenseAssociativeMemory(core::PatternSet patterns, Interaction F)
    : patterns_(std::move(patterns)), F_(F) {
  check_patterns(patterns_, "patterns");
  F_.validate("F");
  const Index p = patterns_.count, n = patterns_.n;
  xi_t_ = patterns_.transposed();
  if (F_.kind == Interaction::Kind::Polynomial &&
      static_cast<double>(p) * 4.0 * std::pow(static_cast<double>(n + 2), F_.degree) < 0x1p53) {
    packed_ = std::make_shared<const cpu::PackedPatterns>(patterns_);
  }
}

void DenseAssociativeMemory::check_state(const std::vector<double>& sigma) const {
  check_size(sigma, n(), "sigma");
  core::require(core::all_signs(sigma), "sigma", "entries must be +1 and -1");
}

std::vector<double> DenseAssociativeMemory::overlap_sums(const std::vector<double>& sigma) const {
  check_state(sigma);
  return pattern_dots(patterns_, sigma.data());
}

double DenseAssociativeMemory::energy(const std::vector<double>& sigma) const {
  double e = 0.0;
  for (const double m : overlap_sums(sigma)) e -= F_.F(m);
  return e;
}

double DenseAssociativeMemory::energy_gap(Index i, double sigma_i, const double* m) const {
  const Index p = patterns_.count;
  const std::int8_t* xi = xi_t_.data() + i * p;
  double gap = 0.0;
  if (F_.kind == Interaction::Kind::Exponential) {
    // e^{h+1} − e^{h−1} = 2 sinh(1) eʰ. Dividing every term by the largest e^{h_max} keeps the
    // biggest one 1: nothing overflows (h reaches N) and the sum cannot underflow to a false tie.
    double h_max = -std::numeric_limits<double>::infinity();
    for (Index mu = 0; mu < p; ++mu) h_max = std::max(h_max, m[mu] - xi[mu] * sigma_i);
    for (Index mu = 0; mu < p; ++mu) gap += xi[mu] * std::exp(m[mu] - xi[mu] * sigma_i - h_max);
    return gap;
  }
  // n (F(h + 1) − F(h − 1)): integers, so exact in any order while P (N + 1)ⁿ < 2^53.
  const int n = F_.degree;
  for (Index mu = 0; mu < p; ++mu) {
    const double h = m[mu] - xi[mu] * sigma_i;
    gap += xi[mu] * (power(h + 1.0, n) - power(h - 1.0, n));
  }
  return gap;
}

// With t = ξ^μ_i σ_i, h = m_μ − t, so pattern μ adds ξ^μ_i A_μ where t = +1 and ξ^μ_i B_μ where
// t = −1, A_μ = m_μⁿ − (m_μ − 2)ⁿ, B_μ = (m_μ + 2)ⁿ − m_μⁿ. Summed, with ξ^μ_i = t σ_i:
//   gap_i = σ_i (Σ_{t=+1} A − Σ_{t=−1} B) = ½ (Σ_μ ξ^μ_i (A_μ + B_μ) + σ_i Σ_μ (A_μ − B_μ)),
// one product of Ξᵀ with integer weights (PackedPatterns::pattern_sums) for all N gaps. Each
// |A|, |B| ≤ 2 (N + 2)ⁿ, so under the constructor's bound every sum is an exact integer here and in
// energy_gap alike: the same signs, the same states. The gap is kept doubled (its sign is what
// counts).
bool DenseAssociativeMemory::packed_step(const double* sigma, const double* m, double* gap) const {
  if (!packed_) return false;
  const Index p = patterns_.count, n = this->n();
  std::vector<std::int64_t> weights(static_cast<std::size_t>(p));
  std::int64_t difference = 0, bound = 0;
  for (Index mu = 0; mu < p; ++mu) {
    const auto a =
        static_cast<std::int64_t>(power(m[mu], F_.degree) - power(m[mu] - 2.0, F_.degree));
    const auto b =
        static_cast<std::int64_t>(power(m[mu] + 2.0, F_.degree) - power(m[mu], F_.degree));
    weights[mu] = a + b;
    difference += a - b;
    bound = std::max(bound, std::abs(a + b));
  }
  std::vector<std::int64_t> sums(static_cast<std::size_t>(n));
  packed_->pattern_sums(weights.data(), 1, bound, sums.data());
  for (Index i = 0; i < n; ++i) {
    gap[i] = static_cast<double>(sums[i] + (sigma[i] > 0 ? difference : -difference));
  }
  return true;
}

void DenseAssociativeMemory::flip(Index i, double* sigma, double* m) const {
  sigma[i] = -sigma[i];
  const Index p = patterns_.count;
  const std::int8_t* xi = xi_t_.data() + i * p;
  for (Index mu = 0; mu < p; ++mu) m[mu] += 2.0 * sigma[i] * xi[mu];
}

bool DenseAssociativeMemory::settle(Index i, double* sigma, double* m) const {
  if (core::sign_update(energy_gap(i, sigma[i], m), sigma[i]) == sigma[i]) return false;
  flip(i, sigma, m);
  return true;
}

bool DenseAssociativeMemory::update(Index i, std::vector<double>& sigma,
                                    std::vector<double>& m) const {
  core::require(i >= 0 && i < n(), "neuron",
                "index " + std::to_string(i) + " outside [0, " + std::to_string(n()) + ")");
  check_size(sigma, n(), "sigma");
  core::require(m.size() == static_cast<std::size_t>(patterns_.count), "m",
                "needs one overlap sum per pattern");
  return settle(i, sigma.data(), m.data());
}

core::StateResult DenseAssociativeMemory::run_async(std::vector<double>& sigma, Index max_sweeps,
                                                    std::uint64_t seed,
                                                    std::uint32_t stream) const {
  core::require(max_sweeps >= 1, "max_sweeps", "must be at least 1");
  std::vector<double> m = overlap_sums(sigma);
  const Index n = this->n();
  const core::CounterRng rng{seed};
  std::vector<std::uint32_t> order(static_cast<std::size_t>(n)), partner(order.size());
  core::StateResult result;
  for (Index sweep = 1; sweep <= max_sweeps; ++sweep) {
    for (Index pos = 1; pos < n; ++pos) {
      partner[pos] = core::async_swap_partner(rng, stream, sweep, n, pos);
    }
    core::apply_swaps(order.data(), partner.data(), n);
    bool flipped = false;
    for (const std::uint32_t i : order) flipped |= settle(i, sigma.data(), m.data());
    result.steps = sweep;
    if (!flipped) {
      result.outcome = core::Outcome::FixedPoint;
      break;
    }
  }
  return result;
}

core::StateResult DenseAssociativeMemory::run_sync(std::vector<double>& sigma, Index max_steps,
                                                   int max_period) const {
  core::require(max_steps >= 1, "max_steps", "must be at least 1");
  core::require(max_period >= 0, "max_period", "must not be negative");
  std::vector<double> m = overlap_sums(sigma);
  const Index n = this->n();
  std::vector<double> gap(static_cast<std::size_t>(n));
  core::CycleHistory history(max_period);
  history.start(core::hash_signs(sigma.data(), n));
  core::StateResult result;
  for (Index step = 1; step <= max_steps; ++step) {
    // Every gap from the same old state first; the flips then bring m up to date one by one.
    if (!packed_step(sigma.data(), m.data(), gap.data())) {
      for (Index i = 0; i < n; ++i) gap[i] = energy_gap(i, sigma[i], m.data());
    }
    bool changed = false;
    for (Index i = 0; i < n; ++i) {
      if (core::sign_update(gap[i], sigma[i]) == sigma[i]) continue;
      flip(i, sigma.data(), m.data());
      changed = true;
    }
    result.steps = step;
    if (!changed) {
      result.outcome = core::Outcome::FixedPoint;
      break;
    }
    result.period = history.push(core::hash_signs(sigma.data(), n));
    if (result.period > 0) {
      result.outcome = core::Outcome::LimitCycle;
      break;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
LagrangianNetwork::LagrangianNetwork(core::PatternSet patterns, Interaction F, core::Activation g)
    : patterns_(std::move(patterns)), F_(F), g_(g) {
  check_patterns(patterns_, "patterns");
  F_.validate("F");
  core::require(g_.kind != core::ActivationKind::Sign, "g",
                "needs a smooth activation (tanh, logistic or linear), not sign");
  core::require(std::isfinite(g_.gain) && g_.gain > 0, "g", "the gain beta must be positive");
}

std::vector<double> LagrangianNetwork::arguments(const std::vector<double>& V) const {
  check_real_state(V, n(), "V");
  return pattern_dots(patterns_, V.data());
}

std::vector<double> LagrangianNetwork::outputs(const std::vector<double>& u) const {
  check_real_state(u, n(), "u");
  std::vector<double> V(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) V[i] = core::activate(g_.kind, g_.gain, u[i]);
  return V;
}

double LagrangianNetwork::phi(const std::vector<double>& V) const {
  double sum = 0.0;
  for (const double x : arguments(V)) sum += F_.F(x);
  return sum;
}

std::vector<double> LagrangianNetwork::grad_phi(const std::vector<double>& V) const {
  std::vector<double> slope = arguments(V);
  for (double& x : slope) x = F_.dF(x);
  return weighted_patterns(patterns_, slope);  // Σ_μ ξ^μ F'(ξ^μ·V)
}

core::DenseMatrix<double> LagrangianNetwork::hessian(const std::vector<double>& V) const {
  const std::vector<double> x = arguments(V);
  Eigen::VectorXd curvature(patterns_.count);
  for (Index mu = 0; mu < patterns_.count; ++mu) curvature[mu] = F_.d2F(x[mu]);
  const RowMatrix Xi =
      Eigen::Map<const Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          patterns_.values.data(), patterns_.count, patterns_.n)
          .cast<double>();
  core::DenseMatrix<double> T(n(), n());
  Eigen::Map<RowMatrix>(T.values.data(), n(), n()).noalias() =
      Xi.transpose() * curvature.asDiagonal() * Xi;  // Σ_μ ξ^μ ξ^μᵀ F''(x_μ)
  return T;
}

std::vector<double> LagrangianNetwork::velocity(const std::vector<double>& u) const {
  std::vector<double> du_dt = grad_phi(outputs(u));
  for (std::size_t i = 0; i < u.size(); ++i) du_dt[i] -= u[i];
  return du_dt;
}

double LagrangianNetwork::energy(const std::vector<double>& u) const {
  double e = -phi(outputs(u));
  for (const double ui : u) e += core::activate_energy_term(g_.kind, g_.gain, ui);
  return e;
}

core::StateResult LagrangianNetwork::integrate(std::vector<double>& u,
                                               const core::RunOptions& options) const {
  options.validate();
  core::require(options.integrator != core::Integrator::Dopri5, "integrator",
                "the Lagrangian network takes fixed steps: euler or rk4");
  check_real_state(u, n(), "u");
  const int stages = core::stage_count(options.integrator);
  const double dt = options.dt;
  std::vector<std::vector<double>> k(static_cast<std::size_t>(stages));
  std::vector<double> stage_u(u.size());
  // out = u + dt Σ_{j<count} c_j k_j, entry by entry (so out may be u itself).
  const auto advance = [&](auto c, int count, std::vector<double>& out) {
    for (std::size_t i = 0; i < u.size(); ++i) {
      double increment = 0.0;
      for (int j = 0; j < count; ++j) increment += c(j) * k[j][i];
      out[i] = u[i] + dt * increment;
    }
  };
  k[0] = velocity(u);
  core::StateResult result;
  for (;;) {
    result.residual = Eigen::Map<const Eigen::VectorXd>(k[0].data(), n()).norm();
    if (!std::isfinite(result.residual)) {
      throw std::runtime_error(
          "Lagrangian network: the state diverged at t = " + std::to_string(result.time) +
          ": dt (1 + beta |T(V)|) must stay below 2 (euler) or 2.78 (rk4)");
    }
    if (result.residual <= options.tol) {
      result.outcome = core::Outcome::FixedPoint;
      break;
    }
    if (result.steps == options.max_steps) break;
    for (int s = 1; s < stages; ++s) {
      advance([&](int j) { return core::stage_coefficient(options.integrator, s, j); }, s, stage_u);
      k[s] = velocity(stage_u);
    }
    advance([&](int j) { return core::update_weight(options.integrator, j); }, stages, u);
    ++result.steps;
    result.time += dt;
    k[0] = velocity(u);
  }
  result.energy = energy(u);
  return result;
}

// ---------------------------------------------------------------------------------------------
ModernHopfield::ModernHopfield(core::PatternSet patterns, double beta)
    : patterns_(std::move(patterns)), beta_(beta) {
  check_patterns(patterns_, "patterns");
  core::require(std::isfinite(beta_) && beta_ > 0, "beta",
                "the inverse temperature must be finite and positive");
}

std::vector<double> ModernHopfield::similarities(const std::vector<double>& xi) const {
  check_real_state(xi, n(), "xi");
  std::vector<double> z = pattern_dots(patterns_, xi.data());
  for (double& value : z) value *= beta_;
  return z;
}

double ModernHopfield::energy(const std::vector<double>& xi) const {
  const std::vector<double> z = similarities(xi);
  // lse(β, Xᵀξ) = (z_max + ln Σ_μ e^{z_μ − z_max}) / β with z = β Xᵀξ: no term overflows.
  const double z_max = *std::max_element(z.begin(), z.end());
  double sum = 0.0;
  for (const double value : z) sum += std::exp(value - z_max);
  const double lse = (z_max + std::log(sum)) / beta_;
  const double half_norm = 0.5 * Eigen::Map<const Eigen::VectorXd>(xi.data(), n()).squaredNorm();
  const double m_squared = static_cast<double>(n());  // ‖ξ^μ‖² = N for every ±1 pattern
  return -lse + half_norm + std::log(static_cast<double>(patterns_.count)) / beta_ +
         0.5 * m_squared;
}

std::vector<double> ModernHopfield::step(const std::vector<double>& xi) const {
  std::vector<double> p = similarities(xi);
  const double z_max = *std::max_element(p.begin(), p.end());
  double sum = 0.0;
  for (double& value : p) sum += value = std::exp(value - z_max);
  for (double& value : p) value /= sum;
  return weighted_patterns(patterns_, p);  // X softmax(β Xᵀξ)
}

core::StateResult ModernHopfield::run(std::vector<double>& xi, Index max_steps, double tol) const {
  core::require(max_steps >= 1, "max_steps", "must be at least 1");
  core::require(std::isfinite(tol) && tol >= 0, "tol", "must be finite and not negative");
  core::StateResult result;
  for (Index step = 1; step <= max_steps; ++step) {
    std::vector<double> next = this->step(xi);
    double moved = 0.0;
    for (std::size_t i = 0; i < xi.size(); ++i) moved = std::max(moved, std::fabs(next[i] - xi[i]));
    xi.swap(next);
    result.steps = step;
    if (moved <= tol) {
      result.outcome = core::Outcome::FixedPoint;
      break;
    }
  }
  result.energy = energy(xi);
  return result;
}

// ---------------------------------------------------------------------------------------------
double polynomial_capacity(int degree, Index n) {
  core::require(degree >= 2, "degree", "must be at least 2");
  core::require(n >= 2, "n", "must be at least 2");
  double double_factorial = 1.0;  // (2n − 3)!!
  for (int k = 2 * degree - 3; k > 1; k -= 2) double_factorial *= k;
  const double nn = static_cast<double>(n);
  return std::pow(nn, degree - 1) / (2.0 * double_factorial * std::log(nn));
}

MemoryKind parse_memory_kind(const std::string& name, const std::string& what) {
  if (name == "hebbian") return {false, Interaction::polynomial(2)};
  if (name == "exp") return {false, Interaction::exponential()};
  if (name == "softmax") return {true, {}};
  const std::string digits =
      name.size() > 4 && name.compare(0, 4, "poly") == 0 ? name.substr(4) : "";
  const bool numeric =
      !digits.empty() && digits.size() <= 3 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  core::require(numeric, what,
                "unknown kind '" + name + "' (expected hebbian, polyN, exp or softmax)");
  const MemoryKind kind{false, Interaction::polynomial(std::stoi(digits))};
  kind.F.validate(what);
  return kind;
}

std::string to_string(const MemoryKind& kind) {
  if (kind.softmax) return "softmax";
  if (kind.F.kind == Interaction::Kind::Exponential) return "exp";
  return kind.F.degree == 2 ? "hebbian" : "poly" + std::to_string(kind.F.degree);
}

void DamCapacityParams::validate() const {
  core::require(n >= 2 && n <= 1'000'000, "--n",
                "must lie in [2, 1000000], got " + std::to_string(n));
  core::require(!alphas.empty(), "--alphas", "needs at least one load");
  for (const double alpha : alphas) {
    core::require(std::isfinite(alpha) && alpha > 0, "--alphas", "each load P/N must be positive");
    const double patterns = std::round(alpha * static_cast<double>(n));
    core::require(patterns >= 1, "--alphas",
                  "load " + std::to_string(alpha) + " stores no pattern at this N");
    const double bits = patterns * static_cast<double>(n);
    char needed[32];
    std::snprintf(needed, sizeof needed, "%.3g", bits);
    core::require(bits <= kMaxPatternBits, "--alphas",
                  "load " + std::to_string(alpha) + " needs P N = " + needed +
                      " pattern bits, more than the 2^28 allowed");
  }
  core::require(!kinds.empty(), "--kinds", "needs at least one kind");
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    if (!kinds[k].softmax) kinds[k].F.validate("--kinds");
    for (std::size_t other = 0; other < k; ++other) {
      core::require(to_string(kinds[other]) != to_string(kinds[k]), "--kinds",
                    "lists '" + to_string(kinds[k]) + "' twice");
    }
  }
  core::require(std::isfinite(noise) && noise >= 0 && noise <= 0.5, "--noise",
                "must lie in [0, 0.5] (a flip probability)");
  core::require(trials >= 1 && trials <= 10'000, "--trials", "must lie in [1, 10000]");
  core::require(cues >= 1 && cues <= 1'000'000, "--cues", "must lie in [1, 1000000]");
  core::require(
      dynamics == core::Dynamics::DiscreteSync || dynamics == core::Dynamics::DiscreteAsync,
      "--dynamics", "must be discrete-sync or discrete-async");
  core::require(std::isfinite(beta) && beta > 0, "--beta", "must be finite and positive");
  core::require(max_steps >= 1, "--steps", "must be at least 1");
  core::require(match_overlap > 0 && match_overlap <= 1, "--match", "must lie in (0, 1]");
}

std::vector<core::StateResult> run_memory(const MemoryKind& kind, const core::PatternSet& patterns,
                                          core::StateBatch& states, core::Dynamics dynamics,
                                          double beta, Index max_steps, std::uint64_t seed) {
  core::require(states.n == patterns.n, "states", "need one value per neuron of the patterns");
  core::require(kind.softmax || dynamics != core::Dynamics::Continuous, "dynamics",
                "a dense associative memory updates discrete-sync or discrete-async");
  core::require(max_steps >= 1, "max_steps", "must be at least 1");
  std::optional<DenseAssociativeMemory> dam;
  std::optional<ModernHopfield> modern;
  if (kind.softmax) {
    modern.emplace(patterns, beta);
  } else {
    dam.emplace(patterns, kind.F);
  }
  const Index n = states.n;
  std::vector<core::StateResult> results(static_cast<std::size_t>(states.batch));
#pragma omp parallel for schedule(dynamic, 1)
  for (Index b = 0; b < states.batch; ++b) {
    std::vector<double> x(states.state(b), states.state(b) + n);
    if (kind.softmax) {
      results[b] = modern->run(x, max_steps);
    } else if (dynamics == core::Dynamics::DiscreteAsync) {
      results[b] = dam->run_async(x, max_steps, seed, static_cast<std::uint32_t>(b));
    } else {
      results[b] = dam->run_sync(x, max_steps);
    }
    std::copy(x.begin(), x.end(), states.state(b));
  }
  return results;
}

std::vector<DamCapacityPoint> run_dam_capacity(const DamCapacityParams& params,
                                               const core::ProgressFn& progress) {
  params.validate();
  const Index n = params.n;
  const std::size_t kinds = params.kinds.size(), loads = params.alphas.size();
  std::vector<DamCapacityPoint> curve(kinds * loads);
  const Index total = static_cast<Index>(kinds * loads) * params.trials;
  Index done = 0;
  for (std::size_t a = 0; a < loads; ++a) {
    const Index p = std::llround(params.alphas[a] * static_cast<double>(n));
    const Index cues = std::min(p, params.cues);
    for (Index trial = 0; trial < params.trials; ++trial) {
      // One network per (load, trial), the same for every kind so that they are compared on the
      // same patterns and cues; mix64 spreads (seed, load, trial) so nearby seeds share nothing.
      const std::uint64_t seed =
          core::mix64(params.seed ^ core::mix64((static_cast<std::uint64_t>(a) << 32) |
                                                static_cast<std::uint64_t>(trial)));
      const core::PatternSet patterns = random_patterns(p, n, seed);
      const core::StateBatch start = noisy_cues(patterns, cues, params.noise, seed);
      for (std::size_t k = 0; k < kinds; ++k) {
        const MemoryKind& kind = params.kinds[k];
        std::vector<double> overlap(static_cast<std::size_t>(cues)), steps(overlap.size());
        std::vector<char> exact(overlap.size());
        core::StateBatch x = start;
        const auto results =
            run_memory(kind, patterns, x, params.dynamics, params.beta, params.max_steps, seed);
        for (Index b = 0; b < cues; ++b) {
          overlap[b] = patterns.overlap(b, x.state(b));
          exact[b] = same_signs(patterns.pattern(b), x.state(b), n);
          steps[b] = static_cast<double>(results[b].steps);
        }
        DamCapacityPoint& point = curve[k * loads + a];
        point.kind = to_string(kind);
        point.alpha = params.alphas[a];
        point.patterns = p;
        point.cues += cues;
        for (Index b = 0; b < cues; ++b) {
          point.retrieval_rate += overlap[b] >= params.match_overlap;
          point.exact_rate += exact[b];
          point.mean_overlap += overlap[b];
          point.mean_steps += steps[b];
        }
        if (progress) progress(++done, total);
      }
    }
  }
  for (DamCapacityPoint& point : curve) {
    const double count = static_cast<double>(point.cues);
    point.retrieval_rate /= count;
    point.exact_rate /= count;
    point.mean_overlap /= count;
    point.mean_steps /= count;
  }
  return curve;
}

}  // namespace attractor
