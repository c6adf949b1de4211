#include "attractor/core/ensemble.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "attractor/core/ensemble_checks.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/observers.hpp"

namespace attractor::core {

namespace {

using Index = std::int64_t;
constexpr Index kMaxIndex = std::numeric_limits<Index>::max();

// Entries of T per network: N² (dense) or the shared pattern's nnz.
Index synapses_per_network(const Ensemble& ensemble) {
  if (const auto* csr = std::get_if<Ensemble::SharedCsr>(&ensemble.weights)) {
    return static_cast<Index>(csr->pattern.col_idx.size());
  }
  return ensemble.n * ensemble.n;
}

// The shared pattern must be a valid N × N CSR structure; its values are ignored, so the checks
// read row_ptr and col_idx only. Messages are built only on failure (this loops over every entry).
void validate_pattern(const CsrMatrix<double>& pattern, Index n, const std::string& what) {
  require(pattern.rows == n && pattern.cols == n, what,
          "the shared sparsity pattern is " + std::to_string(pattern.rows) + " x " +
              std::to_string(pattern.cols) + " but the networks have " + std::to_string(n) +
              " neurons");
  const Index nnz = static_cast<Index>(pattern.col_idx.size());
  require(static_cast<Index>(pattern.row_ptr.size()) == n + 1 && pattern.row_ptr.front() == 0 &&
              pattern.row_ptr.back() == nnz,
          what, "the shared pattern's row_ptr must have N + 1 offsets from 0 to nnz");
  const auto fail = [&](const std::string& problem, Index row) {
    throw InputError(what + ": shared pattern: " + problem + " in row " + std::to_string(row));
  };
  for (Index i = 0; i < n; ++i) {
    const Index begin = pattern.row_ptr[i], end = pattern.row_ptr[i + 1];
    if (begin > end || end > nnz) fail("CSR row offsets decrease", i);
    for (Index k = begin; k < end; ++k) {
      const std::int32_t c = pattern.col_idx[k];
      if (c < 0 || c >= n) fail("column index " + std::to_string(c) + " out of range", i);
      if (k > begin && pattern.col_idx[k - 1] >= c) {
        fail("column indices are not strictly increasing", i);
      }
    }
  }
}

// mirror[k] = the entry index of (j, i) for entry k = (i, j), or −1 when the pattern lacks it.
std::vector<Index> mirror_entries(const CsrMatrix<double>& pattern) {
  std::vector<Index> mirror(pattern.col_idx.size(), -1);
  for (Index i = 0; i < pattern.rows; ++i) {
    for (Index k = pattern.row_ptr[i]; k < pattern.row_ptr[i + 1]; ++k) {
      const Index j = pattern.col_idx[k];
      const auto first = pattern.col_idx.begin() + pattern.row_ptr[j];
      const auto last = pattern.col_idx.begin() + pattern.row_ptr[j + 1];
      const auto it = std::lower_bound(first, last, static_cast<std::int32_t>(i));
      if (it != last && *it == i) mirror[k] = it - pattern.col_idx.begin();
    }
  }
  return mirror;
}

// Network e's effective bias b_i = h_i − a.
double effective_bias(const Ensemble& ensemble, Index e, Index i) {
  return (ensemble.bias.empty() ? 0.0 : ensemble.bias[e * ensemble.n + i]) - ensemble.threshold;
}

}  // namespace

Network Ensemble::network(std::int64_t e) const {
  if (e < 0 || e >= count) {
    throw std::out_of_range("Ensemble::network: index " + std::to_string(e) + " outside [0, " +
                            std::to_string(count) + ")");
  }
  Network net;
  const Index per = synapses_per_network(*this);
  const auto first = static_cast<std::ptrdiff_t>(e * per);
  const auto last = first + static_cast<std::ptrdiff_t>(per);
  if (const auto* dense = std::get_if<DenseStack>(&weights)) {
    DenseMatrix<double> T;
    T.rows = T.cols = n;
    T.values.assign(dense->values.begin() + first, dense->values.begin() + last);
    net.weights = std::move(T);
  } else {
    const auto& csr = std::get<SharedCsr>(weights);
    CsrMatrix<double> T;
    T.rows = T.cols = n;
    T.row_ptr = csr.pattern.row_ptr;
    T.col_idx = csr.pattern.col_idx;
    T.values.assign(csr.values.begin() + first, csr.values.begin() + last);
    net.weights = std::move(T);
  }
  if (!bias.empty()) {
    net.bias.assign(bias.begin() + static_cast<std::ptrdiff_t>(e * n),
                    bias.begin() + static_cast<std::ptrdiff_t>((e + 1) * n));
  }
  net.threshold = threshold;
  net.activation = activation;
  return net;
}

void Ensemble::validate(const std::string& what) const {
  require(count >= 0, what, "the network count must not be negative, got " + std::to_string(count));
  require(n >= 0 && (count == 0 || n >= 1), what,
          "networks need at least one neuron, got N = " + std::to_string(n));
  require(n <= std::numeric_limits<std::int32_t>::max(), what,
          "more than 2^31 - 1 neurons per network is not supported");
  const std::string expected_values = " values, expected count x ";
  if (const auto* dense = std::get_if<DenseStack>(&weights)) {
    require(n == 0 || count <= kMaxIndex / (n * n), what, "count x N x N overflows");
    require(static_cast<Index>(dense->values.size()) == count * n * n, what,
            "dense weights hold " + std::to_string(dense->values.size()) + expected_values +
                "N x N = " + std::to_string(count * n * n));
    require(all_finite(dense->values), what, "weights contain NaN or Inf");
  } else {
    const auto& csr = std::get<SharedCsr>(weights);
    validate_pattern(csr.pattern, n, what);
    const Index nnz = static_cast<Index>(csr.pattern.col_idx.size());
    require(nnz == 0 || count <= kMaxIndex / nnz, what, "count x nnz overflows");
    require(static_cast<Index>(csr.values.size()) == count * nnz, what,
            "sparse weights hold " + std::to_string(csr.values.size()) + expected_values +
                "nnz = " + std::to_string(count * nnz));
    require(all_finite(csr.values), what, "weights contain NaN or Inf");
  }
  require(bias.empty() || static_cast<Index>(bias.size()) == count * n, what,
          "bias has " + std::to_string(bias.size()) +
              " entries, expected 0 or count x N = " + std::to_string(count * n));
  require(all_finite(bias) && std::isfinite(threshold), what, "bias or threshold is NaN or Inf");
  require(std::isfinite(activation.gain) && activation.gain > 0, what,
          "activation gain must be positive and finite");
}

void check_ensemble_run(const Ensemble& ensemble, const StateBatch& states,
                        const RunOptions& options) {
  ensemble.validate("ensemble");
  options.validate();
  const std::string what = "run options";
  require(options.dynamics == Dynamics::DiscreteSync || options.dynamics == Dynamics::DiscreteAsync,
          what,
          std::string("ensemble engines run discrete-sync or discrete-async dynamics, not ") +
              to_string(options.dynamics));
  require(options.patterns == nullptr, what,
          "ensemble engines compute no overlaps: patterns must be null (compute overlaps from "
          "the final states)");
  require(options.record_every == 0, what,
          "ensemble engines do not record trajectories: record_every must be 0");
  require(states.n == ensemble.n && states.batch == ensemble.count, "initial states",
          "are " + std::to_string(states.batch) + " x " + std::to_string(states.n) +
              " but the ensemble needs one state per network, " + std::to_string(ensemble.count) +
              " x " + std::to_string(ensemble.n));
  require(static_cast<Index>(states.values.size()) == states.batch * states.n, "initial states",
          "size does not match batch x N");
  require(all_signs(states.values), "initial states", "discrete dynamics need states of +1 and -1");
  require(options.stream_offset + static_cast<std::uint64_t>(ensemble.count) <=
              std::uint64_t{std::numeric_limits<std::uint32_t>::max()} + 1,
          "initial states", "stream_offset + network count exceeds 2^32 random streams");
}

void finish_ensemble_result(const Ensemble& ensemble, const StateBatch& states, RunResult& result) {
  const Index n = ensemble.n;
  const auto* dense = std::get_if<Ensemble::DenseStack>(&ensemble.weights);
  const auto* csr = std::get_if<Ensemble::SharedCsr>(&ensemble.weights);
  const std::vector<Index> mirror = csr ? mirror_entries(csr->pattern) : std::vector<Index>{};
  const Index per = synapses_per_network(ensemble);
  std::vector<double> ts(static_cast<std::size_t>(n));
  result.energy_defined = true;
  result.neuron_updates = 0;
  for (Index e = 0; e < ensemble.count; ++e) {
    auto& r = result.states[e];
    r.time = static_cast<double>(r.steps);
    result.neuron_updates += r.steps * n;
    r.energy = std::numeric_limits<double>::quiet_NaN();

    // Exact symmetry T_ij == T_ji, as Network::is_symmetric tests it; then (T s)_i.
    const double* s = states.state(e);
    bool symmetric = true;
    if (dense != nullptr) {
      const double* T = dense->values.data() + e * per;
      for (Index i = 0; i < n && symmetric; ++i) {
        for (Index j = i + 1; j < n; ++j) {
          if (T[i * n + j] != T[j * n + i]) {
            symmetric = false;
            break;
          }
        }
      }
      for (Index i = 0; i < n && symmetric; ++i) {
        double acc = 0.0;
        for (Index j = 0; j < n; ++j) acc += T[i * n + j] * s[j];
        ts[i] = acc;
      }
    } else {
      const double* v = csr->values.data() + e * per;
      for (Index k = 0; k < per && symmetric; ++k) {
        symmetric = v[k] == (mirror[k] >= 0 ? v[mirror[k]] : 0.0);
      }
      const auto& pattern = csr->pattern;
      for (Index i = 0; i < n && symmetric; ++i) {
        double acc = 0.0;
        for (Index k = pattern.row_ptr[i]; k < pattern.row_ptr[i + 1]; ++k) {
          acc += v[k] * s[pattern.col_idx[k]];
        }
        ts[i] = acc;
      }
    }
    result.energy_defined = result.energy_defined && symmetric;
    if (!symmetric) continue;
    // E(s) = −½ sᵀ T s − bᵀ s.
    double energy = 0.0;
    for (Index i = 0; i < n; ++i) {
      energy += -0.5 * s[i] * ts[i] - effective_bias(ensemble, e, i) * s[i];
    }
    r.energy = energy;
  }
}

RunResult run_ensemble(const Ensemble& ensemble, StateBatch& states, const RunOptions& options,
                       EnsembleStepper& stepper) {
  using Clock = std::chrono::steady_clock;
  RunResult out;
  out.states.resize(static_cast<std::size_t>(ensemble.count));
  const auto start = Clock::now();
  Index done = 0;
  while (ensemble.count > 0 && done < options.max_steps) {
    const Index chunk = std::max<Index>(stepper.chunk(), 1);
    const Index until = options.max_steps - done <= chunk ? options.max_steps : done + chunk;
    stepper.advance(until, out.states);
    done = until;
    report_progress(options, done, options.max_steps);
    // A network still runs when it neither ended nor stopped short of the chunk's end.
    const bool running = std::any_of(
        out.states.begin(), out.states.end(),
        [&](const StateResult& r) { return r.outcome == Outcome::Wandering && r.steps == until; });
    if (!running) break;
  }
  out.loop_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (done > 0) stepper.store(states);  // else nothing ran and the states are as they came
  finish_ensemble_result(ensemble, states, out);
  return out;
}

}  // namespace attractor::core
