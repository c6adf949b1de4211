#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/config.hpp"

namespace attractor::core {

// Krotov & Hopfield (PNAS 2019), unsupervised learning by competing hidden units, in the fast
// ranking form. Per minibatch of B inputs v (H units, D inputs):
//   I = (sign(W) ∘ |W|^(p−1)) v                  (H × B: each unit's input, p-norm weighted)
//   g = +1 for the top-ranked unit of each sample, −Δ for its k-th ranked unit, 0 otherwise
//   dS = g vᵀ − (Σ_b g ∘ I) ∘ W                  (the second factor broadcast along each row)
//   W += ε dS / max|dS|                          (max over the whole matrix)
// Units converge to Σ_i |W_μi|^p = 1. Ranks are by I descending, ties to the lower unit index,
// on every backend.
struct CompetingUnitsRule {
  double p = 3;           // the Lebesgue norm the synapses converge to
  std::int64_t rank = 7;  // k: the k-th ranked unit of a sample is pushed away from it
  double delta = 0.4;     // Δ: the strength of that anti-Hebbian push

  void validate(std::int64_t hidden) const;  // InputError for out-of-range values
};

// A candidate for a rank: a unit and its input I. unit < 0 is "none", ranked below every unit.
template <class Real>
struct RankCandidate {
  Real input;
  std::int32_t unit;
};

// Whether a ranks before b: larger I first, ties to the lower unit index. A strict total order on
// inputs without NaN, shared by the CPU's scan and the GPU's block reductions.
template <class Real>
ATTRACTOR_HD bool ranks_before(const RankCandidate<Real>& a, const RankCandidate<Real>& b) {
  if (b.unit < 0) return a.unit >= 0;
  if (a.unit < 0) return false;
  return a.input > b.input || (a.input == b.input && a.unit < b.unit);
}

// The combining operator of an arg-max over candidates: the one that ranks first. It picks the
// first of a strict total order, so it is associative and commutative, and every reduction tree
// (a scan in unit order, a GPU block reduction's) ends on the same unit.
struct RanksFirst {
  template <class Real>
  ATTRACTOR_HD RankCandidate<Real> operator()(const RankCandidate<Real>& a,
                                              const RankCandidate<Real>& b) const {
    return ranks_before(b, a) ? b : a;
  }
};

// One backend's copy of W (H × D, row-major float32) and of the training inputs, and the update
// above run over minibatches there. Nothing above this interface knows which backend runs.
class CompetingUnitsStep {
 public:
  virtual ~CompetingUnitsStep() = default;
  virtual std::string backend() const = 0;

  virtual void set_weights(const std::vector<float>& W) = 0;  // H × D
  virtual std::vector<float> weights() const = 0;
  // The samples (count × D, row-major, values in [0, 1]) that `train` indexes. A backend may keep
  // a pointer instead of a copy: the caller keeps them alive and unchanged until the next call.
  virtual void load_inputs(const float* samples, std::int64_t count) = 0;
  // The minibatches order[0, batch), order[batch, 2 batch), …, the last possibly shorter, each
  // one update with learning rate `eps`.
  virtual void train(const std::int32_t* order, std::int64_t count, std::int64_t batch,
                     float eps) = 0;
};

}  // namespace attractor::core
