#pragma once
// Small network and state builders shared by the engine tests.
#include <cstdint>
#include <utility>
#include <vector>

#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/philox.hpp"

namespace attractor::test {

// A network of sign neurons with weights T, bias h and threshold a.
inline core::Network sign_network(core::Weights T, std::vector<double> h = {}, double a = 0.0) {
  core::Network net;
  net.weights = std::move(T);
  net.bias = std::move(h);
  net.threshold = a;
  net.activation.kind = core::ActivationKind::Sign;
  return net;
}

// The same matrix in CSR form, zeros left out.
inline core::CsrMatrix<double> to_csr(const core::DenseMatrix<double>& T) {
  std::vector<core::Triplet<double>> entries;
  for (std::int64_t i = 0; i < T.rows; ++i) {
    for (std::int64_t j = 0; j < T.cols; ++j) {
      if (T(i, j) != 0.0) entries.push_back({i, j, T(i, j)});
    }
  }
  return core::csr_from_triplets(T.rows, T.cols, std::move(entries), "test");
}

// `batch` random ±1 states: state b, neuron i from (InitialState, stream b, index i).
inline core::StateBatch random_signs(std::int64_t batch, std::int64_t n, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  core::StateBatch s(batch, n);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < n; ++i) {
      s.state(b)[i] = rng.sign(core::RngPurpose::InitialState, static_cast<std::uint32_t>(b), i);
    }
  }
  return s;
}

}  // namespace attractor::test
