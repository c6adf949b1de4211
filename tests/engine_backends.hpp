#pragma once
// Every engine test runs once per backend: on the CPU always, on CUDA when this build has it and
// a device is present (skipped, with the reason, otherwise).
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/host/engine_factory.hpp"

namespace attractor::host {
// Names the parameter in test listings ("cpu", "cuda") instead of its bytes.
inline void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::Cuda ? "cuda" : "cpu");
}
}  // namespace attractor::host

namespace attractor::test {

class OnEachBackend : public ::testing::TestWithParam<host::Backend> {
 protected:
  void SetUp() override {
    try {
      // The semantic suite runs CUDA in float64, the reference arithmetic, so that its tolerances
      // (derived for float64) hold on both; the parity tests cover float32.
      engine_ = host::make_engine(GetParam(), core::Precision::Float64);
    } catch (const core::InputError& e) {
      GTEST_SKIP() << e.what();
    }
  }
  core::Engine& engine() { return *engine_; }

 private:
  std::unique_ptr<core::Engine> engine_;
};

inline std::string backend_name(const ::testing::TestParamInfo<host::Backend>& info) {
  return info.param == host::Backend::Cuda ? "cuda" : "cpu";
}

}  // namespace attractor::test

#define ATTRACTOR_ON_EACH_BACKEND(suite)                                                      \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                  \
                           ::testing::Values(attractor::host::Backend::Cpu,                  \
                                             attractor::host::Backend::Cuda),                \
                           attractor::test::backend_name)
