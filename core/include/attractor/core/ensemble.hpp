#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/engine.hpp"
#include "attractor/core/network.hpp"

namespace attractor::core {

// `count` independent networks of N neurons each, evolved together with one state each — the
// shape of an ensemble average (capacity curves, disorder averages, parameter sweeps), where the
// networks are many and small.
//
// Weights, one of:
// - DenseStack: network e's T is the row-major N × N block values[e N² .. (e+1) N²);
// - SharedCsr: every network has the sparsity pattern of `pattern` (its values are ignored) and
//   network e's values are values[e nnz .. (e+1) nnz), in the pattern's entry order.
// bias: count × N (network e's h at bias[e N]), or empty for zero. threshold and activation are
// shared.
struct Ensemble {
  struct DenseStack {
    std::vector<double> values;
  };
  struct SharedCsr {
    CsrMatrix<double> pattern;
    std::vector<double> values;
  };

  std::int64_t count = 0;
  std::int64_t n = 0;
  std::variant<DenseStack, SharedCsr> weights;
  std::vector<double> bias;
  double threshold = 0.0;
  Activation activation{ActivationKind::Sign, 1.0};

  // Network e alone, as the single-network engines take it.
  Network network(std::int64_t e) const;
  // Throws InputError naming `what` for sizes that do not match count and n, an invalid
  // pattern, or NaN/Inf anywhere.
  void validate(const std::string& what) const;
};

// Evolves network e's state (row e of a count × N StateBatch) in place, every network with the
// semantics of the single-network Engine run on it alone with the same options — except that
// options.seed keys the asynchronous order by network: network e draws the order that state e of
// a single-network batch would. Discrete dynamics only; options.patterns and record_every are
// not supported (InputError). Results: one StateResult per network.
class EnsembleEngine {
 public:
  virtual ~EnsembleEngine() = default;
  virtual std::string name() const = 0;
  virtual RunResult run(const Ensemble& ensemble, StateBatch& states,
                        const RunOptions& options) = 0;
};

}  // namespace attractor::core
