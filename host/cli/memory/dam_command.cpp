// dam: retrieval against the load P/N for dense associative memories (F = xⁿ, eˣ), the modern
// softmax network and the Hebbian network, on the same patterns and cues.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "attractor/core/error.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "attractor/host/memory/dense_associative_memory.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

constexpr double kHebbianAlphaC = 0.138;  // Amit, Gutfreund & Sompolinsky (1985), N → ∞

struct DamCli {
  CommonOptions common;
  DamCapacityParams params;
  std::vector<std::string> kinds{"hebbian", "poly3", "poly4", "exp", "softmax"};
  RecallOptions recall{"discrete-async"};
  std::string out;

  void add_to(CLI::App& command) {
    common.add_to(command, {core::Precision::Float64},
                  "float64: the memories run on the CPU, in float64");
    recall.add_to(command, params.n, params.max_steps, params.match_overlap,
                  "Step budget per cue (sweeps for discrete-async)",
                  "A cue counts as retrieved when its final overlap reaches this");
    command.add_option("--alphas", params.alphas, "Loads P/N to measure")
        ->delimiter(',')
        ->capture_default_str();
    command
        .add_option("--kinds", kinds,
                    "Memories to compare: hebbian (F = x^2), polyN (F = x^N), exp (F = e^x), "
                    "softmax (modern Hopfield)")
        ->delimiter(',')
        ->capture_default_str();
    command.add_option("--noise", params.noise, "Fraction of bits flipped in each cue")
        ->capture_default_str();
    command.add_option("--trials", params.trials, "Independent networks per load")
        ->capture_default_str();
    command.add_option("--cues", params.cues, "Most stored patterns probed per network")
        ->capture_default_str();
    command.add_option("--beta", params.beta, "Inverse temperature of the softmax network")
        ->capture_default_str();
    command.add_option("--out", out, "Also write the result to this folder (summary.json)");
  }

  // Everything a bad argument could break, before any work or output.
  void validate() {
    common.require_cpu_backend("dam");
    params.seed = common.seed;
    params.dynamics = recall.parsed_dynamics();
    params.kinds.clear();
    for (const auto& name : kinds) params.kinds.push_back(parse_memory_kind(name, "--kinds"));
    params.validate();
  }

  nlohmann::json to_json(const std::vector<DamCapacityPoint>& curve, double seconds) const {
    nlohmann::json error_free = nlohmann::json::object();
    for (const auto& kind : params.kinds) {
      if (kind.softmax || kind.F.kind != Interaction::Kind::Polynomial) continue;
      error_free[to_string(kind)] =
          polynomial_capacity(kind.F.degree, params.n) / static_cast<double>(params.n);
    }
    nlohmann::json points = nlohmann::json::array();
    for (const auto& c : curve) {
      points.push_back({{"kind", c.kind},
                        {"alpha", c.alpha},
                        {"patterns", c.patterns},
                        {"cues", c.cues},
                        {"retrieval_rate", c.retrieval_rate},
                        {"exact_rate", c.exact_rate},
                        {"mean_overlap", c.mean_overlap},
                        {"mean_steps", c.mean_steps}});
    }
    nlohmann::json names = nlohmann::json::array();
    for (const auto& kind : params.kinds) names.push_back(to_string(kind));
    return {{"command", "dam"},
            {"backend", "cpu"},
            {"n", params.n},
            {"kinds", names},
            {"trials", params.trials},
            {"max_cues", params.cues},
            {"noise", params.noise},
            {"dynamics", core::to_string(params.dynamics)},
            {"beta", params.beta},
            {"max_steps", params.max_steps},
            {"seed", params.seed},
            {"match_overlap", params.match_overlap},
            {"theory", {{"hebbian_alpha_c", kHebbianAlphaC}, {"error_free_alpha", error_free}}},
            {"seconds", seconds},
            {"curve", points}};
  }

  void print_table(const std::vector<DamCapacityPoint>& curve, double seconds) const {
    const auto& p = params;
    fmt::print(
        "attractor dam: N = {}, {} trial(s) per load, up to {} cues each, noise {}, "
        "{} updates, softmax beta = {}, backend cpu\n",
        p.n, p.trials, p.cues, p.noise, core::to_string(p.dynamics), p.beta);
    fmt::print("  retrieved (final overlap >= {}), in % of the cues:\n", p.match_overlap);
    fmt::print("  {:>7} {:>7}", "P/N", "P");
    for (const auto& kind : p.kinds) fmt::print(" {:>9}", to_string(kind));
    fmt::print("\n");
    const std::size_t loads = p.alphas.size();
    for (std::size_t a = 0; a < loads; ++a) {
      fmt::print("  {:>7.3f} {:>7}", curve[a].alpha, curve[a].patterns);
      for (std::size_t k = 0; k < p.kinds.size(); ++k) {
        fmt::print(" {:>8.1f}%", 100 * curve[k * loads + a].retrieval_rate);
      }
      fmt::print("\n");
    }
    fmt::print("  theory: the Hebbian network stops retrieving at P/N = {} (N -> infinity)\n",
               kHebbianAlphaC);
    for (const auto& kind : p.kinds) {
      if (kind.softmax || kind.F.kind != Interaction::Kind::Polynomial) continue;
      fmt::print(
          "  theory: {} retrieves without error up to P/N = {:.3g} (Krotov & Hopfield "
          "2016)\n",
          to_string(kind), polynomial_capacity(kind.F.degree, p.n) / static_cast<double>(p.n));
    }
    fmt::print("  {:.1f} s\n", seconds);
  }

  int run() {
    validate();
    std::unique_ptr<OutputFolder> folder;
    if (!out.empty()) {
      folder = std::make_unique<OutputFolder>(out, std::vector<std::string>{"summary.json"},
                                              "summary.json");
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<DamCapacityPoint> curve;
    {
      Progress progress("dam");
      curve = run_dam_capacity(params, progress.callback());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const nlohmann::json result = to_json(curve, seconds);
    if (folder) {
      write_file_atomically(folder->path("summary.json"),
                            [&](std::ostream& file) { file << result.dump(2) << '\n'; });
      folder->commit();
    }
    if (common.json) {
      print_json(result);
    } else {
      print_table(curve, seconds);
    }
    return 0;
  }
};

}  // namespace

Action add_dam(CLI::App& app) {
  auto* command = app.add_subcommand(
      "dam",
      "Capacity of dense associative memories (Krotov & Hopfield) and the modern "
      "softmax Hopfield network against the Hebbian 0.138 N");
  auto state = std::make_shared<DamCli>();
  state->add_to(*command);
  return [state] { return state->run(); };
}

}  // namespace attractor::cli
