// Krotov–Hopfield epoch benchmark: epochs of train_competing_epoch at the experiment's size
// (H = 2000 units, Fashion-MNIST's 60 000 images of D = 784 pixels, minibatch 100, p = 3, k = 7,
// Δ = 0.4) on the CPU (CpuCompetingUnits) and, in CUDA builds with a device, on the GPU
// (cuda::CudaCompetingUnits). Prints one JSON document; bench/run_learning_bench.py adds the
// PyTorch peer (bench/peer_torch_krotov.py) run in the same session.
//
// Flops per epoch: the product I = Wp v, 2 S H D, plus 5 H D per minibatch for the element-wise
// passes (Wp, dS's decay term, the update); the product dominates (2 S H D = 188 GFLOP against
// 4.7 GFLOP). The CPU's rate is reported against the rate of one large Eigen float32 GEMM with the
// same inner dimension measured in the same run (the best this machine does through Eigen), the
// GPU's against the device's float32 peak without tensor cores (cuBLAS runs without TF32 here).
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attractor/host/engine/cpu_competing_units.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "attractor/host/io/idx.hpp"
#include "attractor/host/learning/supervised.hpp"
#include "bench_common.hpp"
#if defined(ATTRACTOR_HAVE_CUDA)
#include "attractor/cuda/device.hpp"
#include "bench_device.hpp"
#endif

using namespace attractor;
using bench::Clock;
using bench::seconds_since;
using nlohmann::json;
using Index = std::int64_t;

namespace {

struct Settings {
  Index hidden = 2000, epochs = 2, train_limit = 0;
  std::string data = kFashionMnistDir, commit = "unknown";
  bool gpu = true;
};

int usage(std::ostream& out, int code) {
  out << "usage: attractor_bench_learning [--hidden H] [--epochs E] [--train-limit N]\n"
         "         [--data DIR] [--no-gpu] [--quick] [--commit SHA]\n"
         "  --quick   6000 training images, 1 epoch: a smoke run\n";
  return code;
}

// float32 GEMM rate of Eigen on (4096 × D) · (D × H), best of three.
double eigen_gemm_flops(Index D, Index H) {
  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMatrix a = RowMatrix::Random(4096, D), b = RowMatrix::Random(H, D);
  RowMatrix c(4096, H);
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    const auto start = Clock::now();
    c.noalias() = a * b.transpose();
    best = std::min(best, seconds_since(start));
  }
  return 2.0 * 4096 * static_cast<double>(D) * static_cast<double>(H) / best;
}

json time_epochs(core::CompetingUnitsStep& step, const Dataset& train,
                 const CompetingUnitsParams& params, double flops_per_epoch) {
  step.set_weights(initial_competing_weights(params.hidden, train.dims, params.seed));
  step.load_inputs(train.x.data(), train.count);
  std::vector<double> seconds;
  for (Index epoch = 0; epoch < params.epochs; ++epoch) {
    const auto start = Clock::now();
    train_competing_epoch(step, params, train.count, epoch);
    seconds.push_back(seconds_since(start));
    std::cerr << step.backend() << " epoch " << epoch + 1 << ": " << seconds.back() << " s\n";
  }
  const double median = bench::median(seconds);
  return {{"backend", step.backend()},
          {"epoch_seconds", seconds},
          {"median_epoch_seconds", median},
          {"flops_per_epoch", flops_per_epoch},
          {"achieved_flops", flops_per_epoch / median},
          {"converged_fraction_after",
           converged_fraction(step.weights(), params.hidden, params.rule.p)}};
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    const bool has_value = a + 1 < argc;
    if (arg == "--hidden" && has_value) {
      settings.hidden = std::stoll(argv[++a]);
    } else if (arg == "--epochs" && has_value) {
      settings.epochs = std::stoll(argv[++a]);
    } else if (arg == "--train-limit" && has_value) {
      settings.train_limit = std::stoll(argv[++a]);
    } else if (arg == "--data" && has_value) {
      settings.data = argv[++a];
    } else if (arg == "--commit" && has_value) {
      settings.commit = argv[++a];
    } else if (arg == "--no-gpu") {
      settings.gpu = false;
    } else if (arg == "--quick") {
      settings.train_limit = 6000;
      settings.epochs = 1;
    } else {
      return usage(arg == "--help" ? std::cout : std::cerr, arg == "--help" ? 0 : 2);
    }
  }
  try {
    Dataset train = to_dataset(read_fashion_mnist(settings.data, "train"));
    if (settings.train_limit > 0 && settings.train_limit < train.count) {
      train.count = settings.train_limit;
      train.x.resize(static_cast<std::size_t>(train.count * train.dims));
    }
    CompetingUnitsParams params;
    params.hidden = settings.hidden;
    params.epochs = settings.epochs;
    params.validate();
    const double S = static_cast<double>(train.count), H = static_cast<double>(params.hidden),
                 D = static_cast<double>(train.dims);
    const double minibatches = std::ceil(S / static_cast<double>(params.batch));
    const double flops = 2 * S * H * D + 5 * minibatches * H * D;
    json out = {
      {"name", "competing_units_epoch"},
      {"commit", settings.commit},
      {"threads", omp_get_max_threads()},
#if defined(ATTRACTOR_NATIVE)
      {"cpu_build", "-march=native (ATTRACTOR_NATIVE=ON)"},
#else
      {"cpu_build", "generic x86-64 (ATTRACTOR_NATIVE=OFF)"},
#endif
      {"hidden", params.hidden},
      {"inputs", train.dims},
      {"samples", train.count},
      {"batch", params.batch},
      {"p", params.rule.p},
      {"k", params.rule.rank},
      {"delta", params.rule.delta}
    };
    const double gemm = eigen_gemm_flops(train.dims, params.hidden);
    CpuCompetingUnits cpu(params.hidden, train.dims, params.rule);
    json cpu_json = time_epochs(cpu, train, params, flops);
    cpu_json["eigen_gemm_flops_measured"] = gemm;
    cpu_json["fraction_of_eigen_gemm"] = cpu_json["achieved_flops"].get<double>() / gemm;
    out["cpu"] = cpu_json;
#if defined(ATTRACTOR_HAVE_CUDA)
    if (settings.gpu && cuda_available()) {
      auto gpu = make_competing_units_step(Backend::Cuda, params.hidden, train.dims, params.rule);
      json gpu_json = time_epochs(*gpu, train, params, flops);
      const cuda::DeviceInfo info = cuda::device_info(0);
      gpu_json["device"] = bench::device_json(info);
      gpu_json["fraction_of_fp32_peak"] =
          gpu_json["achieved_flops"].get<double>() / info.peak_fp32_flops();
      out["cuda"] = gpu_json;
    }
#endif
    std::cout << out.dump(2) << '\n';
  } catch (const std::exception& e) {
    std::cerr << "attractor_bench_learning: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
