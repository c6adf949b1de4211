// learn krotov|backprop: Krotov–Hopfield competing hidden units with their supervised top layer,
// and the backprop MLP of the same size, on Fashion-MNIST (Debian's dataset-fashion-mnist) or on
// synthetic prototypes. Long runs checkpoint into --out after every epoch, atomically, and
// --resume continues from the last checkpoint to the same bits as an uninterrupted run.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/checkpoint.hpp"
#include "attractor/host/io/idx.hpp"
#include "attractor/host/io/image.hpp"
#include "attractor/host/io/input_file.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "attractor/host/learning/competing_units.hpp"
#include "attractor/host/learning/supervised.hpp"
#include "common.hpp"

namespace attractor::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The upper median of a JSON list of seconds (0 for an empty list).
double median_seconds(const json& list) {
  std::vector<double> seconds = list.get<std::vector<double>>();
  if (seconds.empty()) return 0.0;
  std::nth_element(seconds.begin(),
                   seconds.begin() + static_cast<std::ptrdiff_t>(seconds.size() / 2),
                   seconds.end());
  return seconds[seconds.size() / 2];
}

// Where the samples come from: the IDX files of a folder, or synthetic prototypes.
struct DataOptions {
  std::string dir = kFashionMnistDir;
  bool synthetic = false;
  std::int64_t train_limit = 0;

  void add_to(CLI::App& command) {
    command.add_option("--data", dir, "Folder of the Fashion-MNIST IDX files (.gz or plain)")
        ->capture_default_str();
    command.add_flag("--synthetic", synthetic,
                     "Synthetic data instead: 10 classes of 14 × 14 binary prototypes, 2000 "
                     "training and 500 test samples (a quick run that needs no dataset)");
    command
        .add_option("--train-limit", train_limit, "Use only the first N training samples (0: all)")
        ->capture_default_str();
  }

  json describe() const {
    return {{"source", synthetic ? "synthetic" : dir}, {"train_limit", train_limit}};
  }

  std::pair<Dataset, Dataset> load() const {
    core::require(train_limit >= 0, "--train-limit", "must not be negative");
    Dataset train, test;
    if (synthetic) {
      train = synthetic_prototypes(2000, 14, 10, 0.8, 1);
      test = synthetic_prototypes(500, 14, 10, 0.8, 2);
    } else {
      train = to_dataset(read_fashion_mnist(dir, "train"));
      test = to_dataset(read_fashion_mnist(dir, "t10k"));
    }
    if (train_limit > 0 && train_limit < train.count) {
      train.count = train_limit;
      train.x.resize(static_cast<std::size_t>(train_limit * train.dims));
      train.labels.resize(static_cast<std::size_t>(train_limit));
    }
    return {std::move(train), std::move(test)};
  }
};

// What a run of `hidden` units on this data holds, in float32: the weights with their update,
// gradient and optimizer state, a minibatch's activations, and every sample's hidden features.
// Refused with the number before any work when it cannot fit.
void require_training_memory(std::int64_t hidden, std::int64_t batch, const Dataset& train,
                             const Dataset& test) {
  const std::int64_t kMax = core::kMaxEstimate;
  const std::string what = "--hidden";
  const std::int64_t floats =
      core::checked_product({4, hidden, train.dims}, kMax, what, "the weights' memory") +
      core::checked_product({4, batch, hidden}, kMax, what, "a minibatch's memory") +
      core::checked_product({train.count + test.count, hidden}, kMax, what, "the features' memory");
  core::require_memory(core::checked_product({floats, 4}, kMax, what, "the memory"),
                       "--hidden and --batch");
}

std::int64_t image_side(const Dataset& data) {
  auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(data.dims))));
  return side * side == data.dims ? side : 0;
}

void write_floats(const std::string& path, const std::vector<std::int64_t>& shape,
                  const std::vector<float>& values) {
  write_npy(path, shape, std::vector<double>(values.begin(), values.end()), NpyDtype::Float32);
}

// The receptive fields of the first 100 units over square images as a PNG grid (nothing for
// other inputs); `attractor learn fields` draws any number from the saved weights.
void write_fields(const std::string& path, const std::vector<float>& W, std::int64_t hidden,
                  const Dataset& data) {
  const std::int64_t side = image_side(data);
  if (side == 0) return;
  const std::int64_t drawn = std::min<std::int64_t>(hidden, 100);
  const std::vector<float> first(W.begin(), W.begin() + drawn * data.dims);
  write_png(path, receptive_field_grid(first, drawn, side, side));
}

// --out and --resume, shared by both commands.
struct RunOptions {
  std::string out;
  bool resume = false;

  void add_to(CLI::App& command) {
    command.add_option(
        "--out", out,
        "Folder for the weights (.npy), the receptive fields (.png), result.json and "
        "the checkpoint written after every epoch");
    command.add_flag("--resume", resume, "Continue from the checkpoint in --out");
  }
  void validate() const {
    core::require(!resume || !out.empty(), "--resume", "needs --out, the folder of the checkpoint");
    if (!out.empty() && !resume) {
      core::require(!fs::exists(out + "/checkpoint.json"), "--out",
                    out +
                        " holds a checkpoint already; pass --resume to continue it, or choose "
                        "another folder");
    }
  }
  // The output folder, opened after the inputs are read and before any work (none without
  // --out); result.json is its record.
  std::unique_ptr<OutputFolder> open_folder(std::vector<std::string> outputs) const {
    if (out.empty()) return nullptr;
    return std::make_unique<OutputFolder>(out, std::move(outputs), "result.json");
  }
  // The checkpoint to resume from (nullopt without --resume), read before anything else so that
  // a bad one is refused with the folder untouched. `history` is a new run's: the checkpoint's
  // must have the same lists of numbers.
  std::optional<CheckpointRecord> resumed(Checkpoint& checkpoint,
                                          const std::vector<std::string>& phases,
                                          json& history) const {
    if (!resume) return std::nullopt;
    CheckpointRecord record = checkpoint.open();
    const std::string path = checkpoint.json_path();
    core::require(std::count(phases.begin(), phases.end(), record.phase) == 1, path,
                  "\"phase\" \"" + core::printable_excerpt(record.phase) + "\" is not one of " +
                      fmt::format("{}", fmt::join(phases, ", ")));
    const json saved = json::parse(record.history);
    for (const auto& item : history.items()) {
      const bool numbers = saved.is_object() && saved.contains(item.key()) &&
                           saved[item.key()].is_array() &&
                           std::all_of(saved[item.key()].begin(), saved[item.key()].end(),
                                       [](const json& v) { return v.is_number(); });
      core::require(numbers, path,
                    "\"history\" must hold a list of numbers \"" + item.key() + "\"");
    }
    history = saved;
    return record;
  }
};

struct KrotovCli {
  CommonOptions common;
  DataOptions data;
  RunOptions run;
  CompetingUnitsParams units;
  TopLayerParams top;
  std::string units_file;

  void add_to(CLI::App& command) {
    common.add_to(command, {core::Precision::Float32},
                  "float32: the competing units and the top layer compute in float32 on every "
                  "backend");
    data.add_to(command);
    run.add_to(command);
    command.add_option("--units", units_file,
                       "Trained units (the W.npy of an earlier run, H × D): skip the unsupervised "
                       "epochs and train only the top layer on them");
    command.add_option("--hidden", units.hidden, "Hidden units H")->capture_default_str();
    command.add_option("--p", units.rule.p, "Lebesgue norm p of the synapses")
        ->capture_default_str();
    command.add_option("--k", units.rule.rank, "Rank of the anti-Hebbian unit")
        ->capture_default_str();
    command.add_option("--delta", units.rule.delta, "Strength Δ of the anti-Hebbian push")
        ->capture_default_str();
    command.add_option("--eps0", units.eps0, "Initial learning rate ε₀ (falls linearly to 0)")
        ->capture_default_str();
    command.add_option("--batch", units.batch, "Minibatch size")->capture_default_str();
    command.add_option("--epochs", units.epochs, "Epochs of unsupervised training")
        ->capture_default_str();
    command.add_option("--top-epochs", top.epochs, "Epochs of the supervised top layer")
        ->capture_default_str();
    command.add_option("--n", top.n, "Power n of the hidden activation max(0, W·v̂)^n")
        ->capture_default_str();
    command.add_option("--m", top.m, "Power m of the loss Σ|c − t|^m")->capture_default_str();
    command.add_option("--beta", top.beta, "Gain β of c = tanh(β S h)")->capture_default_str();
    command.add_option("--top-lr", top.lr0, "Adam's initial learning rate (top layer)")
        ->capture_default_str();
    command.add_option("--top-lr-end", top.lr_end, "Adam's final learning rate (geometric decay)")
        ->capture_default_str();
  }

  json identity() const {
    return {{"command", "learn krotov"},
            {"seed", common.seed},
            {"data", data.describe()},
            {"hidden", units.hidden},
            {"p", units.rule.p},
            {"k", units.rule.rank},
            {"delta", units.rule.delta},
            {"eps0", units.eps0},
            {"batch", units.batch},
            {"epochs", units.epochs},
            {"top_epochs", top.epochs},
            {"n", top.n},
            {"m", top.m},
            {"beta", top.beta},
            {"top_lr", top.lr0},
            {"top_lr_end", top.lr_end},
            {"units_file", units_file}};
  }

  // The units of an earlier run, checked against H and the data's D.
  std::vector<float> read_units(std::int64_t inputs) const {
    const NpyArray array = read_npy(units_file);
    core::require(array.shape == std::vector<std::int64_t>{units.hidden, inputs}, units_file,
                  "expected shape (" + std::to_string(units.hidden) + ", " +
                      std::to_string(inputs) + ") for --hidden and the data, got " +
                      shape_text(array.shape));
    require_finite(array.values, units_file);
    return {array.values.begin(), array.values.end()};
  }

  int execute() {
    units.seed = top.seed = common.seed;
    units.validate();
    top.validate();
    run.validate();
    const Backend backend = parse_enum<Backend>(common.backend, "--backend");
    Checkpoint checkpoint(run.out, identity().dump());
    json history = {{"epoch_seconds", json::array()},
                    {"converged", json::array()},
                    {"top_loss", json::array()}};
    const auto resumed = run.resumed(checkpoint, {"units", "top"}, history);
    const auto [train, test] = data.load();
    require_training_memory(units.hidden, std::max(units.batch, top.batch), train, test);
    std::vector<float> W = units_file.empty()
                               ? initial_competing_weights(units.hidden, train.dims, units.seed)
                               : read_units(train.dims);
    auto step = make_competing_units_step(backend, units.hidden, train.dims, units.rule);
    const auto folder = run.open_folder({"W.npy", "S.npy", "fields.png", "result.json"});

    TopLayer layer(units.hidden, train.classes, top);
    std::string phase = units_file.empty() ? "units" : "top";
    std::int64_t done = 0;
    const TrainingState units_state{{{"W", &W}}, nullptr};
    if (resumed) {
      phase = resumed->phase;
      done = resumed->epochs_done;
      if (phase == "units")
        checkpoint.restore(*resumed, {units_state});
      else
        checkpoint.restore(*resumed, {units_state, layer.state()});
    }

    // Unsupervised: the competing units (skipped for --units and for a run resumed in the top
    // layer's epochs, so neither uploads the training set for nothing).
    if (phase == "units") {
      step->set_weights(W);
      step->load_inputs(train.x.data(), train.count);
      Progress progress("learn krotov: units");
      for (std::int64_t epoch = done; epoch < units.epochs; ++epoch) {
        const auto start = Clock::now();
        train_competing_epoch(*step, units, train.count, epoch);
        W = step->weights();
        history["epoch_seconds"].push_back(seconds_since(start));
        history["converged"].push_back(converged_fraction(W, units.hidden, units.rule.p));
        if (!run.out.empty()) checkpoint.save("units", epoch + 1, {units_state}, history.dump());
        progress.update(epoch + 1, units.epochs);
      }
      done = 0;  // the top layer starts from its first epoch
    }

    // Supervised: the top layer on the frozen units.
    const auto features_start = Clock::now();
    const std::vector<float> h_train = competing_features(W, units.hidden, train, top.n);
    const std::vector<float> h_test = competing_features(W, units.hidden, test, top.n);
    const double features_seconds = seconds_since(features_start);
    const auto top_start = Clock::now();
    {
      Progress progress("learn krotov: top layer");
      for (std::int64_t epoch = done; epoch < top.epochs; ++epoch) {
        history["top_loss"].push_back(layer.train_epoch(h_train, train.labels, epoch));
        if (!run.out.empty())
          checkpoint.save("top", epoch + 1, {units_state, layer.state()}, history.dump());
        progress.update(epoch + 1, top.epochs);
      }
    }
    const double top_seconds = seconds_since(top_start);

    const bool trained_epochs = !history["epoch_seconds"].empty();
    const double median_epoch = median_seconds(history["epoch_seconds"]);
    const double converged = converged_fraction(W, units.hidden, units.rule.p);
    const double test_accuracy = layer.accuracy(h_test, test.labels);
    const double train_accuracy = layer.accuracy(h_train, train.labels);
    json result = {{"command", "learn krotov"},
                   {"backend", step->backend()},
                   {"params", identity()},
                   {"train_samples", train.count},
                   {"test_samples", test.count},
                   {"inputs", train.dims},
                   {"test_accuracy", test_accuracy},
                   {"train_accuracy", train_accuracy},
                   {"converged_fraction", converged},
                   {"median_epoch_seconds", median_epoch},
                   {"features_seconds", features_seconds},
                   {"top_layer_seconds_this_run", top_seconds},
                   {"history", history}};
    if (folder) {
      write_floats(folder->path("W.npy"), {units.hidden, train.dims}, W);
      write_floats(folder->path("S.npy"), {train.classes, units.hidden}, layer.S());
      write_fields(folder->path("fields.png"), W, units.hidden, train);
      write_file_atomically(folder->path("result.json"),
                            [&](std::ostream& out) { out << result.dump(2) << '\n'; });
      folder->commit();
    }
    if (common.json) {
      print_json(result);
    } else {
      fmt::print("attractor learn krotov: {} hidden units, {} training samples of {} inputs, {}\n",
                 units.hidden, train.count, train.dims, step->backend());
      fmt::print("  units converged (|Σ|W|^p − 1| < 0.1)  {:.1f}%\n", 100 * converged);
      if (trained_epochs) {
        fmt::print("  median time per epoch            {:.3f} s\n", median_epoch);
      }
      fmt::print("  test accuracy (top layer)        {:.2f}%   (train {:.2f}%)\n",
                 100 * test_accuracy, 100 * train_accuracy);
      if (!run.out.empty())
        fmt::print("  wrote {}/W.npy, S.npy, fields.png, result.json\n", run.out);
    }
    return 0;
  }
};

struct BackpropCli {
  CommonOptions common;
  DataOptions data;
  RunOptions run;
  MlpParams params;

  void add_to(CLI::App& command) {
    common.add_to(command, {core::Precision::Float32},
                  "float32: the backprop baseline computes in float32");
    data.add_to(command);
    run.add_to(command);
    command.add_option("--hidden", params.hidden, "Hidden ReLU units H")->capture_default_str();
    command.add_option("--epochs", params.epochs, "Epochs")->capture_default_str();
    command.add_option("--batch", params.batch, "Minibatch size")->capture_default_str();
    command.add_option("--lr", params.lr0, "Adam's initial learning rate")->capture_default_str();
    command.add_option("--lr-end", params.lr_end, "Adam's final learning rate (geometric decay)")
        ->capture_default_str();
  }

  json identity() const {
    return {{"command", "learn backprop"},
            {"seed", common.seed},
            {"data", data.describe()},
            {"hidden", params.hidden},
            {"epochs", params.epochs},
            {"batch", params.batch},
            {"lr", params.lr0},
            {"lr_end", params.lr_end}};
  }

  int execute() {
    params.seed = common.seed;
    params.validate();
    run.validate();
    common.require_cpu_backend("the backprop baseline");
    Checkpoint checkpoint(run.out, identity().dump());
    json history = {{"epoch_seconds", json::array()}, {"loss", json::array()}};
    const auto resumed = run.resumed(checkpoint, {"mlp"}, history);
    const auto [train, test] = data.load();
    require_training_memory(params.hidden, params.batch, train, test);
    const auto folder = run.open_folder({"W1.npy", "fields.png", "result.json"});
    Mlp mlp(train.dims, train.classes, params);
    std::int64_t done = 0;
    if (resumed) {
      done = resumed->epochs_done;
      checkpoint.restore(*resumed, {mlp.state()});
    }
    {
      Progress progress("learn backprop");
      for (std::int64_t epoch = done; epoch < params.epochs; ++epoch) {
        const auto start = Clock::now();
        history["loss"].push_back(mlp.train_epoch(train, epoch));
        history["epoch_seconds"].push_back(seconds_since(start));
        if (!run.out.empty()) checkpoint.save("mlp", epoch + 1, {mlp.state()}, history.dump());
        progress.update(epoch + 1, params.epochs);
      }
    }
    const double median_epoch = median_seconds(history["epoch_seconds"]);
    const double test_accuracy = mlp.accuracy(test), train_accuracy = mlp.accuracy(train);
    json result = {{"command", "learn backprop"},
                   {"backend", "cpu"},
                   {"params", identity()},
                   {"train_samples", train.count},
                   {"test_samples", test.count},
                   {"inputs", train.dims},
                   {"test_accuracy", test_accuracy},
                   {"train_accuracy", train_accuracy},
                   {"median_epoch_seconds", median_epoch},
                   {"history", history}};
    if (folder) {
      write_floats(folder->path("W1.npy"), {params.hidden, train.dims}, mlp.W1());
      write_fields(folder->path("fields.png"), mlp.W1(), params.hidden, train);
      write_file_atomically(folder->path("result.json"),
                            [&](std::ostream& out) { out << result.dump(2) << '\n'; });
      folder->commit();
    }
    if (common.json) {
      print_json(result);
    } else {
      fmt::print("attractor learn backprop: {}-{}-{} MLP, {} training samples, cpu\n", train.dims,
                 params.hidden, train.classes, train.count);
      fmt::print("  median time per epoch            {:.3f} s\n", median_epoch);
      fmt::print("  test accuracy                    {:.2f}%   (train {:.2f}%)\n",
                 100 * test_accuracy, 100 * train_accuracy);
      if (!run.out.empty()) fmt::print("  wrote {}/W1.npy, fields.png, result.json\n", run.out);
    }
    return 0;
  }
};

// Draws the receptive fields of saved weights (any .npy of shape (units, side²)).
struct FieldsCli {
  std::string weights, png;
  std::int64_t units = 100, columns = 0;

  void add_to(CLI::App& command) {
    command.add_option("weights", weights, "Weights .npy of shape (units, side × side)")
        ->required();
    command.add_option("png", png, "The picture to write")->required();
    command.add_option("--units", units, "Draw the first N units (0: all)")->capture_default_str();
    command.add_option("--columns", columns, "Tiles a row (0: about square)")
        ->capture_default_str();
  }

  int execute() const {
    core::require(units >= 0, "--units", "must not be negative");
    core::require(columns >= 0, "--columns", "must not be negative");
    const NpyArray array = read_npy(weights);
    core::require(array.shape.size() == 2, weights,
                  "expected a (units, inputs) array, got shape " + shape_text(array.shape));
    const auto side =
        static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(array.shape[1]))));
    core::require(side * side == array.shape[1], weights,
                  std::to_string(array.shape[1]) + " inputs are not a square image");
    require_finite(array.values, weights);
    require_writable_file(png, "png");
    const std::int64_t drawn = units == 0 ? array.shape[0] : std::min(units, array.shape[0]);
    const std::vector<float> W(array.values.begin(), array.values.begin() + drawn * array.shape[1]);
    write_png(png, receptive_field_grid(W, drawn, side, side, columns));
    return 0;
  }
};

}  // namespace

void add_competing_unit_commands(CLI::App& learn, Subcommands& out) {
  auto fields = std::make_shared<FieldsCli>();
  CLI::App* f = learn.add_subcommand(
      "fields", "Draw saved weights (W.npy, W1.npy) as a grid of receptive fields (PNG)");
  fields->add_to(*f);
  out.emplace_back(f, [fields] { return fields->execute(); });

  auto krotov = std::make_shared<KrotovCli>();
  CLI::App* k = learn.add_subcommand(
      "krotov",
      "Krotov–Hopfield competing hidden units (unsupervised), then the supervised top "
      "layer on them; test accuracy, converged units, receptive fields");
  krotov->add_to(*k);
  out.emplace_back(k, [krotov] { return krotov->execute(); });

  auto backprop = std::make_shared<BackpropCli>();
  CLI::App* b = learn.add_subcommand(
      "backprop", "The baseline: an MLP with one hidden ReLU layer trained end to end by backprop");
  backprop->add_to(*b);
  out.emplace_back(b, [backprop] { return backprop->execute(); });
}

}  // namespace attractor::cli
