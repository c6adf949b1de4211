// The README's C++ example, then a header whose interface is Eigen's types (so the package must
// bring Eigen along), then the installed version header. Exit 0 when all three work.
#include <attractor/host/engine/cpu_engine.hpp>
#include <attractor/host/memory/hebbian.hpp>
#include <attractor/host/physical/physical_network.hpp>
#include <attractor/version.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  using namespace attractor;
  const core::PatternSet patterns = random_patterns(/*P=*/5, /*N=*/200, /*seed=*/1);
  const core::Network net = hebbian_network(patterns);
  core::StateBatch cues = noisy_cues(patterns, /*B=*/10, /*noise=*/0.05, /*seed=*/2);
  core::RunOptions opt;
  opt.dynamics = core::Dynamics::DiscreteAsync;
  opt.patterns = &patterns;
  const core::RunResult result = CpuEngine().run(net, cues, opt);
  // At load P/N = 0.025 and 5% noise every cue b returns to its pattern b mod P.
  for (std::size_t b = 0; b < result.states.size(); ++b) {
    if (result.states[b].matched_pattern != static_cast<std::int64_t>(b % 5)) {
      std::fprintf(stderr, "cue %zu matched pattern %lld\n", b,
                   static_cast<long long>(result.states[b].matched_pattern));
      return 1;
    }
  }

  // E(u, w) = ½ uᵀ H(w) u, computed by the library and here from its Hessian: the same dozen
  // products summed in two orders, so they differ by rounding (~1e-15), far below the bound.
  const PhysicalSystem system(lattice_network(PhysicalKind::Flow, 3, 3, /*triangular=*/false));
  const std::vector<double>& w = system.network().w;
  const Eigen::VectorXd u = Eigen::VectorXd::LinSpaced(system.free_dofs(), -1.0, 1.0);
  const double energy = system.energy(w, u);
  const double expected = 0.5 * u.dot(system.hessian(w) * u);
  if (std::abs(energy - expected) > 1e-12 * std::abs(expected)) {
    std::fprintf(stderr, "energy %.17g, expected %.17g\n", energy, expected);
    return 1;
  }
  std::printf("attractor %s: recall and a flow network's energy from the installed package\n",
              ATTRACTOR_VERSION);
}
