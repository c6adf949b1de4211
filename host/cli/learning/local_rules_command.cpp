// learn hebb|covariance|bcm|oja|sanger: local rules for feedforward units.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "attractor/host/learning/local_rules.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

// The eigendecomposition behind the |cos| report costs O(D³); above this it is skipped.
constexpr std::int64_t kMaxEigenDims = 2000;
// Inputs whose responses the bcm report lists one by one.
constexpr std::int64_t kMaxListedResponses = 16;

// What each rule's subcommand says and starts from. The defaults are small runs that show the
// rule's theory within a second: Hebb at a constant rate (its growth (1 + η λ₁)^t is the point),
// the covariance rule on inputs with mean 1 (so its thresholds have a mean to track), BCM on three
// sparse patterns (a Gaussian input has no skew, and BCM's only fixed point there is w = 0).
struct RuleSetup {
  LocalRule rule;
  const char* help;
  double rate;
  double anneal_epochs;
  std::int64_t epochs;
  double tau;
  std::int64_t samples;
  double mean;
};

const RuleSetup kSetups[] = {
    {LocalRule::Hebb,
     "Plain Hebb, dw = eta y x: |w| grows without bound, as (1 + eta lambda1)^t along the top "
     "eigenvector",
     1e-3, 0.0, 10, 100, 1000, 0.0},
    {LocalRule::Covariance,
     "Covariance rule with moving thresholds, dw = eta (y - theta_y)(x - theta_x): LTP and LTD, "
     "growth along the covariance's top eigenvector",
     1e-4, 0.0, 10, 200, 1000, 1.0},
    {LocalRule::Bcm,
     "BCM, dw = eta x y (y - theta), theta the running <y^2>: a sliding threshold that makes "
     "the unit selective to one input pattern",
     0.02, 200.0, 4000, 100, 3, 0.0},
    {LocalRule::Oja,
     "Oja's rule, dw = eta y (x - y w): w -> the top eigenvector of the input covariance, |w| -> 1",
     0.01, 1.0, 50, 100, 1000, 0.0},
    {LocalRule::Sanger,
     "Sanger's generalized Hebbian algorithm, dW = eta (y x^T - LT[y y^T] W): the first M "
     "principal components, in order",
     0.01, 1.0, 50, 100, 1000, 0.0},
};

bool has_threshold(LocalRule rule) {
  return rule == LocalRule::Covariance || rule == LocalRule::Bcm;
}

// x̄, the mean of each column of the samples.
std::vector<double> column_means(const core::DenseMatrix<double>& X) {
  std::vector<double> x_bar(static_cast<std::size_t>(X.cols), 0.0);
  for (std::int64_t s = 0; s < X.rows; ++s) {
    for (std::int64_t i = 0; i < X.cols; ++i) x_bar[static_cast<std::size_t>(i)] += X(s, i);
  }
  for (double& mean : x_bar) mean /= static_cast<double>(X.rows);
  return x_bar;
}

// A matrix as JSON rows, or as one flat list when `flatten` (a single unit's weights or norms).
nlohmann::json matrix_json(const core::DenseMatrix<double>& m, bool flatten) {
  if (flatten) return m.values;
  nlohmann::json rows = nlohmann::json::array();
  for (std::int64_t r = 0; r < m.rows; ++r) {
    rows.push_back(std::vector<double>(m.row(r), m.row(r) + m.cols));
  }
  return rows;
}

struct LocalRuleCli {
  RuleSetup setup;
  CommonOptions common;
  LocalRuleParams params;
  std::string data;
  std::int64_t samples = 1000;
  std::int64_t dims = 8;
  double mean = 0.0;
  std::string out;

  explicit LocalRuleCli(const RuleSetup& rule_setup) : setup(rule_setup) {
    params.rate = setup.rate;
    params.anneal_epochs = setup.anneal_epochs;
    params.epochs = setup.epochs;
    params.tau = setup.tau;
    params.components = setup.rule == LocalRule::Sanger ? 3 : 1;
    samples = setup.samples;
    mean = setup.mean;
  }

  LocalRule rule() const { return setup.rule; }

  void add_to(CLI::App& command) {
    common.add_to(command, {core::Precision::Float64},
                  "float64: the local rules run on the CPU, in float64");
    const bool bcm = rule() == LocalRule::Bcm;
    auto* data_option = command.add_option(
        "--data", data,
        "Samples as an (S, D) .npy, one sample a row (default: synthetic data, below)");
    auto* samples_option =
        command
            .add_option("--samples", samples,
                        bcm ? "Synthetic data: number of sparse non-negative patterns (entries "
                              "u^4, u uniform, unit norm)"
                            : "Synthetic data: number of zero-mean Gaussian samples, covariance "
                              "spectrum 5, 3, 2, 1, 0.5, 0.25, ... along a random orthonormal "
                              "basis")
            ->capture_default_str();
    auto* dims_option = command.add_option("--dims", dims, "Synthetic data: input dimension D")
                            ->capture_default_str();
    data_option->excludes(samples_option)->excludes(dims_option);
    if (!bcm) {
      auto* mean_option =
          command.add_option("--mean", mean, "Synthetic data: constant added to every input")
              ->capture_default_str();
      data_option->excludes(mean_option);
    }
    command.add_option("--rate", params.rate, "Learning rate eta0")->capture_default_str();
    command
        .add_option("--anneal", params.anneal_epochs,
                    "Annealing time tau_eta in epochs: eta = eta0 / (1 + t/tau_eta), t in epochs; "
                    "0 keeps eta constant")
        ->capture_default_str();
    command
        .add_option("--epochs", params.epochs,
                    "Passes over the samples, each in a fresh "
                    "seeded random order")
        ->capture_default_str();
    if (has_threshold(rule())) {
      command
          .add_option("--tau", params.tau,
                      "Time constant of the running thresholds, in presentations: "
                      "theta += (v - theta)/tau")
          ->capture_default_str();
    }
    if (rule() == LocalRule::Sanger) {
      command.add_option("--components", params.components, "Number of units M (components)")
          ->capture_default_str();
    }
    command.add_option("--out", out,
                       "Folder for weights.npy, norm_history.npy and summary.json (created)");
  }

  // Everything a bad argument could break, before any work or output.
  core::DenseMatrix<double> load_samples() {
    common.require_cpu_backend("learn");
    params.seed = common.seed;
    params.validate();
    if (data.empty()) {
      core::require(dims >= 1 && dims <= 4096, "--dims", "must lie in [1, 4096]");
      if (rule() == LocalRule::Bcm) return sparse_patterns(samples, dims, common.seed);
      return gaussian_samples(samples, default_spectrum(dims), mean, common.seed).samples;
    }
    auto array = read_npy(data);
    core::require(array.shape.size() == 2 && array.shape[0] >= 1 && array.shape[1] >= 1, data,
                  "samples must have shape (S, D) with S, D >= 1, got " + shape_text(array.shape));
    require_finite(array.values, data);
    core::DenseMatrix<double> X;
    X.rows = array.shape[0];
    X.cols = array.shape[1];
    X.values = std::move(array.values);
    return X;
  }

  std::string data_text(const core::DenseMatrix<double>& X) const {
    if (!data.empty()) return fmt::format("{} samples in {} dims from {}", X.rows, X.cols, data);
    if (rule() == LocalRule::Bcm) {
      return fmt::format("{} sparse non-negative patterns in {} dims", X.rows, X.cols);
    }
    return fmt::format("{} Gaussian samples in {} dims (spectrum {}{}){}", X.rows, X.cols,
                       fmt::join(default_spectrum(std::min<std::int64_t>(dims, 5)), ", "),
                       dims > 5 ? ", ..." : "", mean != 0 ? fmt::format(", mean {}", mean) : "");
  }

  nlohmann::json data_json(const core::DenseMatrix<double>& X) const {
    nlohmann::json d = {{"samples", X.rows}, {"dims", X.cols}};
    if (!data.empty()) {
      d["source"] = data;
    } else if (rule() == LocalRule::Bcm) {
      d["source"] = "synthetic sparse patterns";
    } else {
      d["source"] = "synthetic gaussian";
      d["spectrum"] = default_spectrum(dims);
      d["mean"] = mean;
    }
    return d;
  }

  // ln of the growth Π (1 + η_t λ₁) over the presentations of `epoch`: plain Hebb's theory.
  double log_theory_growth(std::int64_t epoch, std::int64_t S, double lambda1) const {
    double sum = 0;
    for (std::int64_t k = 0; k < S; ++k)
      sum += std::log1p(params.rate_at(epoch * S + k, S) * lambda1);
    return sum;
  }

  int run() {
    const core::DenseMatrix<double> X = load_samples();
    core::require(
        rule() != LocalRule::Sanger || params.components <= X.cols, "--components",
        fmt::format("at most the input dimension D = {}, got {}", X.cols, params.components));
    std::unique_ptr<OutputFolder> folder;
    if (!out.empty()) {
      folder = std::make_unique<OutputFolder>(
          out, std::vector<std::string>{"weights.npy", "norm_history.npy", "summary.json"},
          "summary.json");
    }
    const auto start = std::chrono::steady_clock::now();
    LocalRuleResult result;
    {
      Progress progress(fmt::format("learn {}", to_string(rule())));
      result = train_local_rule(rule(), X, params, progress.callback());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const nlohmann::json summary = to_json(X, result, seconds);
    if (folder) {
      const auto& W = result.weights;
      const bool one = W.rows == 1;
      write_npy(folder->path("weights.npy"),
                one ? std::vector<std::int64_t>{W.cols} : std::vector<std::int64_t>{W.rows, W.cols},
                W.values);
      const auto& H = result.norm_history;
      write_npy(folder->path("norm_history.npy"),
                one ? std::vector<std::int64_t>{H.rows} : std::vector<std::int64_t>{H.rows, H.cols},
                H.values);
      write_file_atomically(folder->path("summary.json"),
                            [&](std::ostream& file) { file << summary.dump(2) << '\n'; });
      folder->commit();
    }
    if (common.json) {
      print_json(summary);
    } else {
      print_table(X, summary);
    }
    return 0;
  }

  // The analysis both outputs share, as JSON: the numbers the rule's theory predicts beside the
  // measured ones.
  nlohmann::json to_json(const core::DenseMatrix<double>& X, const LocalRuleResult& result,
                         double seconds) const {
    const bool one = result.weights.rows == 1;
    nlohmann::json j = {{"command", "learn"},
                        {"rule", to_string(rule())},
                        {"backend", "cpu"},
                        {"data", data_json(X)},
                        {"rate", params.rate},
                        {"anneal_epochs", params.anneal_epochs},
                        {"epochs", params.epochs},
                        {"epochs_run", result.epochs_run},
                        {"presentations", result.presentations},
                        {"seed", params.seed},
                        {"diverged", result.diverged},
                        {"weights", matrix_json(result.weights, one)},
                        {"norm_history", matrix_json(result.norm_history, one)},
                        {"seconds", seconds}};
    if (has_threshold(rule())) {
      j["tau"] = params.tau;
      j["theta_history"] = result.theta_history;
      j[rule() == LocalRule::Bcm ? "mean_square_history" : "mean_response_history"] =
          result.response_history;
      j["ltp_events"] = result.ltp_events;
      j["ltd_events"] = result.ltd_events;
    }
    if (rule() == LocalRule::Sanger) j["components"] = params.components;
    if (rule() == LocalRule::Covariance) {
      j["theta_x"] = result.theta_x;
      const std::vector<double> x_bar = column_means(X);
      double worst = 0;  // max_i |θ_x,i − x̄_i|
      for (std::size_t i = 0; i < x_bar.size(); ++i) {
        worst = std::max(worst, std::abs(result.theta_x[i] - x_bar[i]));
      }
      j["theta_x_error"] = worst;
    }
    if (rule() == LocalRule::Bcm) {
      // y = w·x for every input; θ against the ⟨y²⟩ it should have reached.
      std::vector<double> responses;
      double mean_square = 0;
      for (std::int64_t s = 0; s < X.rows; ++s) {
        double y = 0;
        for (std::int64_t i = 0; i < X.cols; ++i) y += result.weights(0, i) * X(s, i);
        mean_square += y * y / static_cast<double>(X.rows);
        if (s < kMaxListedResponses) responses.push_back(y);
      }
      j["responses"] = responses;
      j["mean_square_response"] = mean_square;
    }
    if (rule() != LocalRule::Bcm && X.cols <= kMaxEigenDims && !result.diverged) {
      // The covariance rule sees x − θ_x ≈ x − x̄: compare it with the centred data's eigenvectors.
      core::DenseMatrix<double> reference = X;
      if (rule() == LocalRule::Covariance) {
        const std::vector<double> x_bar = column_means(X);
        for (std::int64_t s = 0; s < X.rows; ++s) {
          for (std::int64_t i = 0; i < X.cols; ++i)
            reference(s, i) -= x_bar[static_cast<std::size_t>(i)];
        }
      }
      const Eigensystem eigen = input_eigensystem(reference);
      const auto shown = std::min<std::size_t>(eigen.values.size(), 8);
      j["eigenvalues"] = std::vector<double>(eigen.values.begin(), eigen.values.begin() + shown);
      j["eigen_of"] =
          rule() == LocalRule::Covariance ? "covariance (centred X^T X / S)" : "X^T X / S";
      j["abs_cos"] = eigenvector_alignment(result.weights, eigen);
      if (rule() == LocalRule::Hebb) {
        const std::int64_t last = result.epochs_run;
        j["log_growth_last_epoch"] =
            std::log(result.norm_history(last, 0) / result.norm_history(last - 1, 0));
        j["theory_log_growth_last_epoch"] = log_theory_growth(last - 1, X.rows, eigen.values[0]);
      }
    }
    if (rule() == LocalRule::Oja) {
      const double norm = result.norm_history(result.epochs_run, 0);
      j["norm_squared_minus_one"] = norm * norm - 1;
    }
    if (rule() == LocalRule::Sanger) {
      double worst = 0;  // max |W Wᵀ − I|
      const auto& W = result.weights;
      for (std::int64_t a = 0; a < W.rows; ++a) {
        for (std::int64_t b = 0; b < W.rows; ++b) {
          double dot = 0;
          for (std::int64_t i = 0; i < W.cols; ++i) dot += W(a, i) * W(b, i);
          worst = std::max(worst, std::abs(dot - (a == b ? 1.0 : 0.0)));
        }
      }
      j["orthonormality_error"] = worst;
    }
    return j;
  }

  void print_table(const core::DenseMatrix<double>& X, const nlohmann::json& j) const {
    fmt::print("attractor learn {}: {}\n", to_string(rule()), data_text(X));
    fmt::print("  {} epochs, eta = {}{}, seed {}{}\n", params.epochs, params.rate,
               params.anneal_epochs > 0 ? fmt::format(" / (1 + t/{} epochs)", params.anneal_epochs)
                                        : std::string(" (constant)"),
               params.seed,
               has_threshold(rule()) ? fmt::format(", tau = {} presentations", params.tau) : "");
    const auto& norms = j["norm_history"];
    const auto epochs = static_cast<std::int64_t>(norms.size()) - 1;
    const std::int64_t stride = std::max<std::int64_t>(1, (epochs + 9) / 10);
    fmt::print("  {:>6} {:>12}{}\n", "epoch", rule() == LocalRule::Sanger ? "|w_m|" : "|w|",
               has_threshold(rule()) ? fmt::format(" {:>12} {:>12}", "theta",
                                                   rule() == LocalRule::Bcm ? "<y^2>" : "<y>")
                                     : "");
    for (std::int64_t e = 0; e <= epochs; ++e) {
      if (e % stride != 0 && e != epochs) continue;
      const auto row = static_cast<std::size_t>(e);
      std::string norm_text;
      if (norms[row].is_array()) {
        for (const auto& value : norms[row])
          norm_text += fmt::format(" {:>8.4f}", value.get<double>());
      } else {
        norm_text = fmt::format(" {:>12.6g}", norms[row].get<double>());
      }
      std::string threshold_text;
      if (has_threshold(rule()) && e > 0) {
        const auto& means =
            j[rule() == LocalRule::Bcm ? "mean_square_history" : "mean_response_history"];
        threshold_text =
            fmt::format(" {:>12.5g} {:>12.5g}", j["theta_history"][row - 1].get<double>(),
                        means[row - 1].get<double>());
      }
      fmt::print("  {:>6}{}{}\n", e, norm_text, threshold_text);
    }
    if (j["diverged"].get<bool>()) {
      fmt::print("  stopped after epoch {}: |w| passed {:g} (Hebbian growth is unbounded)\n",
                 epochs, LocalRuleResult::kMaxNorm);
    }
    if (j.contains("abs_cos")) {
      const auto& cosines = j["abs_cos"];
      for (std::size_t m = 0; m < cosines.size(); ++m) {
        fmt::print("  |cos(w{}, v{})| = {:.6f}   (lambda{} = {:.4g} of {})\n",
                   cosines.size() > 1 ? std::to_string(m + 1) : "", m + 1, cosines[m].get<double>(),
                   m + 1, j["eigenvalues"][m].get<double>(), j["eigen_of"].get<std::string>());
      }
    }
    if (j.contains("log_growth_last_epoch")) {
      fmt::print("  last epoch: |w| grew by e^{:.4f}; theory prod (1 + eta lambda1) = e^{:.4f}\n",
                 j["log_growth_last_epoch"].get<double>(),
                 j["theory_log_growth_last_epoch"].get<double>());
    }
    if (j.contains("norm_squared_minus_one")) {
      fmt::print("  |w|^2 - 1 = {:.3g}\n", j["norm_squared_minus_one"].get<double>());
    }
    if (j.contains("orthonormality_error")) {
      fmt::print("  max |W W^T - I| = {:.3g}\n", j["orthonormality_error"].get<double>());
    }
    if (has_threshold(rule())) {
      const auto ltp = j["ltp_events"].get<std::int64_t>(),
                 ltd = j["ltd_events"].get<std::int64_t>();
      fmt::print("  LTP events {} ({:.1f}%), LTD events {} ({:.1f}%)\n", ltp,
                 100.0 * static_cast<double>(ltp) / static_cast<double>(ltp + ltd), ltd,
                 100.0 * static_cast<double>(ltd) / static_cast<double>(ltp + ltd));
    }
    if (rule() == LocalRule::Covariance) {
      fmt::print("  theta_x: max |theta_x - mean of x| = {:.3g} (running averages over tau)\n",
                 j["theta_x_error"].get<double>());
    }
    if (rule() == LocalRule::Bcm) {
      std::string responses;
      for (const auto& y : j["responses"]) responses += fmt::format(" {:.4f}", y.get<double>());
      fmt::print("  responses y = w.x:{}{}\n", responses,
                 X.rows > kMaxListedResponses ? " ..." : "");
      fmt::print(
          "  theta = {:.4f}, <y^2> = {:.4f}; theory for K patterns: y = K to one, 0 to the "
          "rest, theta = K\n",
          j["theta_history"].back().get<double>(), j["mean_square_response"].get<double>());
    }
    fmt::print("  {:.2f} s\n", j["seconds"].get<double>());
  }
};

}  // namespace

void add_local_rule_commands(CLI::App& learn, Subcommands& out) {
  for (const RuleSetup& setup : kSetups) {
    auto* command = learn.add_subcommand(to_string(setup.rule), setup.help);
    auto state = std::make_shared<LocalRuleCli>(setup);
    state->add_to(*command);
    out.emplace_back(command, [state] { return state->run(); });
  }
}

}  // namespace attractor::cli
