#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "attractor/host/experiments.hpp"
#include "engine_backends.hpp"

namespace attractor {
namespace {
class Capacity : public test::OnEachBackend {};
TEST_P(Capacity, Measure) {
  host::CapacityParams params;
  params.n = std::getenv("NN") ? std::atoi(std::getenv("NN")) : 1000;
  params.alphas = {0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.20, 0.22};
  params.trials = std::getenv("TRIALS") ? std::atoi(std::getenv("TRIALS")) : 1;
  params.seed = std::getenv("SEED") ? std::strtoull(std::getenv("SEED"), nullptr, 10) : 1;
  for (double alpha : params.alphas) {
    params.alphas = {alpha};
    const auto t0 = std::chrono::steady_clock::now();
    const auto curve = host::run_capacity(params, engine());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& p : curve) {
      std::printf("alpha %.3f P %ld rate %.4f m %.4f sd %.4f steps %.2f  %.2fs\n", p.alpha,
                  static_cast<long>(p.patterns), p.retrieval_rate, p.mean_overlap,
                  p.overlap_stddev, p.mean_steps, s);
    }
  }
}
ATTRACTOR_ON_EACH_BACKEND(Capacity);
}  // namespace
}  // namespace attractor
