#include "attractor/host/engine/split_batch_engine.hpp"

#include <algorithm>

#include "attractor/core/error.hpp"

namespace attractor {

namespace {

// A StateResult as doubles for the exchange: every integer field is far below 2^53.
constexpr std::size_t kResultFields = 9;

void pack(const core::StateResult& r, std::vector<double>& out) {
  out.insert(out.end(), {static_cast<double>(r.outcome), static_cast<double>(r.steps), r.time,
                         static_cast<double>(r.period), r.period_time, r.energy, r.residual,
                         static_cast<double>(r.matched_pattern), r.best_overlap});
}

core::StateResult unpack(const double* v) {
  core::StateResult r;
  r.outcome = static_cast<core::Outcome>(static_cast<int>(v[0]));
  r.steps = static_cast<std::int64_t>(v[1]);
  r.time = v[2];
  r.period = static_cast<std::int64_t>(v[3]);
  r.period_time = v[4];
  r.energy = v[5];
  r.residual = v[6];
  r.matched_pattern = static_cast<std::int64_t>(v[7]);
  r.best_overlap = v[8];
  return r;
}

}  // namespace

core::RunResult gather_results(const Processes& processes, const core::RunResult& mine) {
  std::vector<double> packed;
  for (const auto& r : mine.states) pack(r, packed);
  const std::vector<double> all = processes.gather(packed);
  core::RunResult out;
  for (std::size_t k = 0; k < all.size(); k += kResultFields) out.states.push_back(unpack(&all[k]));
  out.overlaps = processes.gather(mine.overlaps);
  out.energy_defined = processes.max(mine.energy_defined ? 1.0 : 0.0) > 0;
  out.seconds = processes.max(mine.seconds);
  out.loop_seconds = processes.max(mine.loop_seconds);
  out.neuron_updates = processes.sum(mine.neuron_updates);
  return out;
}

SplitBatchEngine::SplitBatchEngine(std::unique_ptr<core::Engine> inner, const Processes& processes)
    : inner_(std::move(inner)), processes_(processes) {}

core::RunResult SplitBatchEngine::run(const core::Network& network, core::StateBatch& states,
                                      const core::RunOptions& options) {
  if (processes_.size() == 1) return inner_->run(network, states, options);
  core::require(options.record_every == 0, "--record-every",
                "recordings are not gathered across processes; record on one process");
  const Share mine = share_of(states.batch, processes_.rank(), processes_.size());
  const std::int64_t n = states.n;
  core::StateBatch local(mine.size(), n);
  std::copy_n(states.state(0) + mine.begin * n, mine.size() * n, local.values.begin());
  core::RunOptions part = options;
  part.stream_offset = options.stream_offset + static_cast<std::uint64_t>(mine.begin);
  // Progress from the first process only, which has the first (and a typical) share.
  if (!processes_.root()) part.progress = nullptr;
  core::RunResult result = mine.size() > 0 ? inner_->run(network, local, part) : core::RunResult{};

  const std::vector<double> all_states = processes_.gather(local.values);
  std::copy(all_states.begin(), all_states.end(), states.values.begin());
  core::RunResult out = gather_results(processes_, result);
  out.backend = inner_->name();
  // Every process runs the same engine; one without states reports no precision of its own.
  const bool float32 = mine.size() > 0 && result.precision == core::Precision::Float32;
  out.precision =
      processes_.max(float32 ? 1.0 : 0.0) > 0 ? core::Precision::Float32 : core::Precision::Float64;
  return out;
}

}  // namespace attractor
