// The supervised layers: Adam, the Krotov–Hopfield top layer on frozen units, the backprop MLP.
#include <gtest/gtest.h>

#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/engine/cpu_competing_units.hpp"
#include "attractor/host/learning/supervised.hpp"

namespace attractor::test {
namespace {

// Ten classes of 8 × 8 binary prototypes, 85% of each sample's pixels its class's: the Bayes
// error is ~0 while no sample equals its prototype.
Dataset prototype_data(std::int64_t count, std::int64_t side, std::uint64_t seed) {
  return synthetic_prototypes(count, side, 10, 0.85, seed);
}

// Adam on f(x) = Σ_i a_i (x_i − 1)² with curvatures over four decades: its per-coordinate scaling
// makes every coordinate converge at the same pace, where plain gradient descent at a rate stable
// for a = 100 would leave the a = 0.01 coordinate essentially unmoved after 3000 steps.
TEST(Adam, ConvergesOnAnIllConditionedQuadratic) {
  std::vector<float> x(4, 0.0f), grad(4);
  const double a[4] = {100, 1, 0.1, 0.01};
  Adam adam;
  adam.reset({&x});
  for (int step = 0; step < 3000; ++step) {
    for (int i = 0; i < 4; ++i) grad[i] = static_cast<float>(2 * a[i] * (x[i] - 1));
    adam.step({&x}, {&grad}, 1e-2 * std::pow(0.998, step));
  }
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(x[i], 1.0, 1e-2) << "coordinate " << i;
  EXPECT_EQ(adam.steps, 3000);
}

// The top layer on frozen units learns the prototype classes: competing units trained on the data
// (one epoch) give features from which c = tanh(β S h) separates the ten classes on held-out
// samples; chance is 10%.
TEST(TopLayer, LearnsPrototypeClassesFromFrozenUnits) {
  const std::int64_t D = 64, H = 100;
  const Dataset train = prototype_data(2000, 8, 1), test = prototype_data(500, 8, 2);
  CompetingUnitsParams units;
  units.hidden = H;
  units.rule.rank = 2;
  units.epochs = 20;
  CpuCompetingUnits step(H, D, units.rule);
  step.set_weights(initial_competing_weights(H, D, units.seed));
  step.load_inputs(train.x.data(), train.count);
  for (std::int64_t e = 0; e < units.epochs; ++e)
    train_competing_epoch(step, units, train.count, e);
  TopLayerParams params;
  params.epochs = 30;
  params.lr0 = 1e-2;
  params.lr_end = 1e-3;
  const std::vector<float> h_train = competing_features(step.weights(), H, train, params.n);
  const std::vector<float> h_test = competing_features(step.weights(), H, test, params.n);
  TopLayer top(H, 10, params);
  double first = 0, last = 0;
  for (std::int64_t e = 0; e < params.epochs; ++e) {
    const double loss = top.train_epoch(h_train, train.labels, e);
    if (e == 0) first = loss;
    last = loss;
  }
  EXPECT_LT(last, first);
  EXPECT_GE(top.accuracy(h_test, test.labels), 0.95);
}

// Backprop on the same task: a 64-32-10 MLP reaches ≥ 95% held-out accuracy in a few epochs, and
// its training loss falls.
TEST(Mlp, LearnsPrototypeClasses) {
  const Dataset train = prototype_data(2000, 8, 1), test = prototype_data(500, 8, 2);
  MlpParams params;
  params.hidden = 32;
  params.epochs = 10;
  params.lr0 = 1e-2;
  params.lr_end = 1e-3;
  Mlp mlp(64, 10, params);
  const double before = mlp.accuracy(test);
  double first = 0, last = 0;
  for (std::int64_t e = 0; e < params.epochs; ++e) {
    const double loss = mlp.train_epoch(train, e);
    if (e == 0) first = loss;
    last = loss;
  }
  EXPECT_LT(before, 0.5);
  EXPECT_LT(last, first);
  EXPECT_GE(mlp.accuracy(test), 0.95);
}

TEST(Supervised, RejectsBadParametersAndLabels) {
  TopLayerParams top;
  top.m = 1;
  EXPECT_THROW(top.validate(), core::InputError);
  MlpParams mlp;
  mlp.lr_end = 1;  // above lr0
  EXPECT_THROW(mlp.validate(), core::InputError);
  LabeledImages images;
  images.count = 1;
  images.rows = images.cols = 1;
  images.pixels = {3};
  images.labels = {10};
  EXPECT_THROW(to_dataset(images, 10), core::InputError);
  EXPECT_FLOAT_EQ(to_dataset(images, 11).x[0], 3.0f / 255.0f);
}

}  // namespace
}  // namespace attractor::test
