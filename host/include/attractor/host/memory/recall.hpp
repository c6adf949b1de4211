#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attractor/core/engine.hpp"
#include "attractor/core/enum_names.hpp"
#include "attractor/host/memory/storage_rules.hpp"

namespace attractor {

// How the Hebbian weights are held: a dense N × N matrix, or factored as the patterns
// (core::FactoredWeights). Auto takes dense while it needs at most 512 MiB (N ≤ 8192).
enum class Storage { Auto, Dense, Factored };
constexpr core::NameTable<Storage, 3> enum_names(Storage) {
  return {"storage",
          {{{Storage::Auto, "auto"}, {Storage::Dense, "dense"}, {Storage::Factored, "factored"}}}};
}
// The storage Auto resolves to for N neurons; the others resolve to themselves.
Storage resolve_storage(Storage storage, std::int64_t n);
// The same for the weights of `rule`: only Hebb's can be factored, so Auto is dense for the others.
Storage resolve_storage(Storage storage, std::int64_t n, StorageRule rule);

// Associative recall: store P random patterns in a Hebbian network of N neurons, present B cues
// (cue b is pattern b mod P with a fraction `noise` of bits flipped) and let them settle.
struct RecallParams {
  std::int64_t n = 3000;
  std::int64_t patterns = 150;
  std::int64_t cues = 64;
  double noise = 0.1;
  core::Dynamics dynamics = core::Dynamics::DiscreteSync;
  std::int64_t max_steps = 100;
  double match_overlap = 0.95;
  std::uint64_t seed = 1;
  Storage storage = Storage::Auto;

  void validate() const;  // core::InputError for out-of-range values
};

struct RecallReport {
  RecallParams params;
  std::string backend;
  Storage storage = Storage::Dense;  // as resolved
  double recall_rate = 0;   // cues whose final overlap with their target is ≥ match_overlap
  double mean_overlap = 0;  // mean final overlap with the target
  double mean_steps = 0;
  std::int64_t fixed_points = 0, limit_cycles = 0, wandering = 0;
  double seconds = 0;                  // engine time
  double updates_per_second = 0;       // neuron updates / engine time
  std::vector<double> target_overlap;  // per cue
  std::vector<std::int64_t> steps;     // per cue
};

RecallReport run_recall(const RecallParams& params, core::Engine& engine,
                        const core::ProgressFn& progress = {});

// Storage capacity: for each load α, P = round(α N) random patterns are stored by `rule` and
// each pattern is used as its own initial state; a pattern is retrieved when the state it settles
// into keeps an overlap ≥ match_overlap with it. Theory: with Hebb's rule retrieval collapses at
// α_c ≈ 0.138 as N → ∞ (Amit, Gutfreund & Sompolinsky 1985); Storkey's rule keeps the patterns
// stable up to P ≈ N/√(2 ln N) (Storkey 1997); the pseudo-inverse rule makes every pattern a
// fixed point while P ≤ N (Personnaz et al. 1985), so this protocol, which starts at the
// pattern, sees 100% for it and says nothing about its basins.
struct CapacityParams {
  std::int64_t n = 1000;
  std::vector<double> alphas{0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20};
  std::int64_t trials = 3;
  core::Dynamics dynamics = core::Dynamics::DiscreteAsync;
  std::int64_t max_steps = 200;
  double match_overlap = 0.95;
  std::uint64_t seed = 1;
  Storage storage = Storage::Auto;
  StorageRule rule = StorageRule::Hebb;

  // core::InputError for out-of-range values and for what `rule` cannot do: factored weights
  // (Hebb only) or, for the pseudo-inverse, P > N patterns (necessarily linearly dependent).
  void validate() const;
  // The weights' storage: resolve_storage for Hebb's rule, dense for the others (Auto included).
  Storage resolved_storage() const;
};

struct CapacityPoint {
  double alpha = 0;
  std::int64_t patterns = 0;
  double retrieval_rate = 0;  // over all patterns of all trials
  double mean_overlap = 0;    // mean final overlap with the starting pattern
  double overlap_stddev = 0;  // across patterns of all trials
  double mean_steps = 0;
};

std::vector<CapacityPoint> run_capacity(const CapacityParams& params, core::Engine& engine,
                                        const core::ProgressFn& progress = {});

}  // namespace attractor
