#pragma once
// The supervised halves of the Krotov–Hopfield comparison: the top layer trained on frozen
// competing units, and the backprop MLP trained end to end. Both train with Adam on minibatches
// in the shuffled order of epoch_order, in float32 with Eigen's GEMMs.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "attractor/host/io/idx.hpp"

namespace attractor {

// Inputs in [0, 1] (pixel / 255), count × dims row-major, and labels in [0, classes).
struct Dataset {
  std::int64_t count = 0, dims = 0, classes = 0;
  std::vector<float> x;
  std::vector<std::int32_t> labels;
};
// InputError unless every label is below `classes`.
Dataset to_dataset(const LabeledImages& images, std::int64_t classes = 10);

// A labelled synthetic image set for tests and quick runs: `classes` random binary prototypes of
// side × side pixels (CounterRng(0), the same in every split); a sample keeps each pixel of its
// class's prototype with probability `keep` and draws it at random otherwise (CounterRng(seed)).
// Sample s has class s mod classes.
Dataset synthetic_prototypes(std::int64_t count, std::int64_t side, std::int64_t classes,
                             double keep, std::uint64_t seed);

// One Adam optimizer (Kingma & Ba 2015) over a list of parameter arrays, with its moments.
struct Adam {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  std::int64_t steps = 0;
  std::vector<std::vector<float>> m, v;  // per parameter array

  void reset(const std::vector<std::vector<float>*>& params);
  // One step of learning rate `lr` on every parameter array with its gradient.
  void step(const std::vector<std::vector<float>*>& params,
            const std::vector<const std::vector<float>*>& grads, double lr);
};

// The learning rate of epoch e of E: geometric from lr0 to lr_end.
double annealed_rate(double lr0, double lr_end, std::int64_t epoch, std::int64_t epochs);

// The named float arrays and the step count that make a model's training state: what a
// checkpoint saves and restores.
struct TrainingState {
  std::vector<std::pair<std::string, std::vector<float>*>> arrays;
  std::int64_t* steps = nullptr;
};

// Krotov & Hopfield's top layer: h_μ = max(0, W_μ · v̂)^n with v̂ = v / ‖v‖, c = tanh(β S h),
// loss Σ_b Σ_α |c_α − t_α|^m with t = ±1 (one-hot), trained with Adam; the class is argmax c.
struct TopLayerParams {
  double n = 4.5, m = 6, beta = 0.01;
  std::int64_t epochs = 100, batch = 100;
  double lr0 = 1e-3, lr_end = 1e-5;
  std::uint64_t seed = 1;

  void validate() const;
};

// The hidden activities h (count × H) of the frozen units W (H × dims) for every sample.
std::vector<float> competing_features(const std::vector<float>& W, std::int64_t hidden,
                                      const Dataset& data, double n);

class TopLayer {
 public:
  TopLayer(std::int64_t hidden, std::int64_t classes, const TopLayerParams& params);
  // One epoch over `features` (count × H) with `labels`; returns the mean loss per sample.
  double train_epoch(const std::vector<float>& features, const std::vector<std::int32_t>& labels,
                     std::int64_t epoch);
  double accuracy(const std::vector<float>& features,
                  const std::vector<std::int32_t>& labels) const;
  TrainingState state();
  const std::vector<float>& S() const { return S_; }

 private:
  std::int64_t hidden_, classes_;
  TopLayerParams params_;
  std::vector<float> S_, grad_;
  Adam adam_;
};

// The backprop baseline: x → ReLU(W1 x + b1) (H units) → softmax(W2 h + b2), cross-entropy,
// Adam; W1 and W2 start He-normal from CounterRng(seed, Weights).
struct MlpParams {
  std::int64_t hidden = 2000, epochs = 30, batch = 100;
  double lr0 = 1e-3, lr_end = 1e-5;
  std::uint64_t seed = 1;

  void validate() const;
};

class Mlp {
 public:
  Mlp(std::int64_t dims, std::int64_t classes, const MlpParams& params);
  double train_epoch(const Dataset& data, std::int64_t epoch);  // mean cross-entropy
  double accuracy(const Dataset& data) const;
  TrainingState state();
  const std::vector<float>& W1() const { return W1_; }

 private:
  std::int64_t dims_, classes_;
  MlpParams params_;
  std::vector<float> W1_, b1_, W2_, b2_, gW1_, gb1_, gW2_, gb2_;
  Adam adam_;
};

}  // namespace attractor
