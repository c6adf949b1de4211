#pragma once
// Every engine test runs once per backend: on the CPU always, on CUDA when this build has it and
// a device is present (skipped, with the reason, otherwise).
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/host/engine/engine_factory.hpp"

namespace attractor {
// Names the parameter in test listings ("cpu", "cuda") instead of its bytes.
inline void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::Cuda ? "cuda" : "cpu");
}
}  // namespace attractor

namespace attractor::test {

// A test parameterized over backends that builds its engine with `make` in `precision`, skipping
// with the reason where that backend cannot run.
template <class EngineType, std::unique_ptr<EngineType> (*make)(Backend, core::Precision, int),
          core::Precision precision>
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    try {
      engine_ = make(GetParam(), precision, 0);
    } catch (const core::InputError& e) {
      GTEST_SKIP() << e.what();
    }
  }
  EngineType& engine() { return *engine_; }

 private:
  std::unique_ptr<EngineType> engine_;
};

// The semantic suite runs CUDA in float64, the reference arithmetic, so that its tolerances
// (derived for float64) hold on both; the parity tests cover float32.
using OnEachBackend = BackendTest<core::Engine, make_engine, core::Precision::Float64>;

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Cuda ? "cuda" : "cpu";
}

}  // namespace attractor::test

#define ATTRACTOR_ON_EACH_BACKEND(suite)                                                         \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                      \
                           ::testing::Values(attractor::Backend::Cpu, attractor::Backend::Cuda), \
                           attractor::test::backend_name)
