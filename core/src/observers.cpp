#include "attractor/core/observers.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "attractor/core/error.hpp"

namespace attractor::core {

using Index = std::int64_t;

double ObservedNetwork::energy(const double* x, const double* tx, const double* u) const {
  double e = 0.0;
  for (Index i = 0; i < n; ++i) {
    e += -0.5 * x[i] * tx[i] - b(i) * x[i];
    if (u != nullptr) e += activate_energy_term(activation.kind, activation.gain, u[i]);
  }
  return e;
}

void check_run_inputs(const Network& network, const StateBatch& states, const RunOptions& options) {
  network.validate("network");
  options.validate();
  const Index n = network.size();
  require(states.n == n, "initial states",
          "have " + std::to_string(states.n) + " neurons but the network has " + std::to_string(n));
  require(states.batch >= 0 && static_cast<Index>(states.values.size()) == states.batch * n,
          "initial states", "size does not match batch x N");
  require(all_finite(states.values), "initial states", "contain NaN or Inf");
  if (options.dynamics != Dynamics::Continuous) {
    require(all_signs(states.values), "initial states",
            "discrete dynamics need states of +1 and -1");
  } else {
    require(network.activation.kind != ActivationKind::Sign, "network",
            "continuous dynamics need a smooth activation (tanh, logistic or linear)");
  }
  if (const auto* patterns = options.patterns) {
    require(patterns->n == n, "patterns",
            "have " + std::to_string(patterns->n) + " neurons but the network has " +
                std::to_string(n));
    require(patterns->count >= 0 &&
                static_cast<Index>(patterns->values.size()) == patterns->count * patterns->n,
            "patterns",
            "hold " + std::to_string(patterns->values.size()) + " values, not count x N");
    require(all_signs(patterns->values), "patterns", "must hold +1 and -1 only");
  }
  require(options.stream_offset + static_cast<std::uint64_t>(states.batch) <=
              std::uint64_t{std::numeric_limits<std::uint32_t>::max()} + 1,
          "initial states", "stream_offset + batch exceeds 2^32 random streams");
}

Recorder::Recorder(const ObservedNetwork& network, const RunOptions& options, Index batch,
                   bool continuous, bool energy_defined)
    : network_(network), options_(options), continuous_(continuous),
      energy_defined_(energy_defined), per_state_(static_cast<std::size_t>(batch)) {}

void Recorder::record(Index b, double time, const double* x, const double* tx,
                      const double* state) {
  append(per_state_[b].records, time, x, tx, state);
}

void Recorder::finish(Index b, double time, const double* x, const double* tx,
                      const double* state) {
  auto& last = per_state_[b].last;
  last = Values{};
  append(last, time, x, tx, state);
}

void append_overlaps(const PatternSet& patterns, const double* x, std::vector<double>& out) {
  for (Index mu = 0; mu < patterns.count; ++mu) out.push_back(patterns.overlap(mu, x));
}

Recording Recorder::assemble() const {
  Recording rec;
  if (!enabled()) return rec;
  std::size_t rows = 0;
  for (const auto& r : per_state_) rows = std::max(rows, r.records.time.size());
  const std::size_t p = options_.patterns ? static_cast<std::size_t>(options_.patterns->count) : 0;
  const std::size_t n = static_cast<std::size_t>(network_.n);
  for (std::size_t k = 0; k < rows; ++k) {
    rec.steps.push_back(static_cast<Index>(k) * options_.record_every);
  }
  for (std::size_t k = 0; k < rows; ++k) {
    for (const auto& state : per_state_) {
      // Rows up to the state's last record are its own; later ones repeat its final values.
      const bool own = k < state.records.time.size();
      const Values& src = own ? state.records : state.last;
      const std::size_t row = own ? k : 0;
      const auto copy = [row](const std::vector<double>& from, std::size_t width,
                              std::vector<double>& to) {
        to.insert(to.end(), from.begin() + static_cast<std::ptrdiff_t>(row * width),
                  from.begin() + static_cast<std::ptrdiff_t>((row + 1) * width));
      };
      copy(src.time, 1, rec.time);
      if (energy_defined_) copy(src.energy, 1, rec.energy);
      if (p > 0) copy(src.overlaps, p, rec.overlaps);
      if (options_.record_states) copy(src.states, n, rec.states);
    }
  }
  return rec;
}

void Recorder::append(Values& to, double time, const double* x, const double* tx,
                      const double* state) {
  to.time.push_back(time);
  if (energy_defined_) to.energy.push_back(network_.energy(x, tx, continuous_ ? state : nullptr));
  if (options_.patterns != nullptr) append_overlaps(*options_.patterns, x, to.overlaps);
  if (options_.record_states) to.states.insert(to.states.end(), state, state + network_.n);
}

void finish_run(const ObservedNetwork& network, const RunOptions& options, const double* x,
                const double* tx, const StateBatch& states, Recorder& recorder, RunResult& out) {
  const Index n = network.n;
  const bool continuous = options.dynamics == Dynamics::Continuous;
  for (Index b = 0; b < states.batch; ++b) {
    auto& r = out.states[b];
    const double* xb = x + b * n;
    const double* txb = out.energy_defined ? tx + b * n : nullptr;
    if (out.energy_defined)
      r.energy = network.energy(xb, txb, continuous ? states.state(b) : nullptr);
    if (options.patterns != nullptr && options.patterns->count > 0) {
      const std::size_t first = out.overlaps.size();
      append_overlaps(*options.patterns, xb, out.overlaps);
      const auto begin = out.overlaps.begin() + static_cast<std::ptrdiff_t>(first);
      const auto best = std::max_element(begin, out.overlaps.end());
      r.best_overlap = *best;
      if (r.outcome == Outcome::FixedPoint && r.best_overlap >= options.match_overlap) {
        r.matched_pattern = best - begin;
      }
    }
    if (!continuous) r.time = static_cast<double>(r.steps);
    out.neuron_updates += r.steps * n;
    if (recorder.enabled()) recorder.finish(b, r.time, xb, txb, states.state(b));
  }
  out.recording = recorder.assemble();
}

}  // namespace attractor::core
