#pragma once
// Shared by the file-format tests: a fresh temporary folder per test, and the check that a bad
// input raised a one-line core::InputError naming the file and the problem.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"

namespace attractor::test {

const std::string kDataDir = ATTRACTOR_TEST_DATA_DIR;

// A fresh folder per test, removed with everything in it when the test ends.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("attractor_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes `bytes` to a file in the folder and returns its path.
  std::string write_file(const std::string& name, const std::string& bytes) const {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

 private:
  std::filesystem::path dir_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `f` must throw core::InputError with a one-line message "<path>: ..." containing every word.
inline void expect_input_error(const std::function<void()>& f, const std::string& path,
                               const std::vector<std::string>& words) {
  try {
    f();
    ADD_FAILURE() << "no InputError; expected one mentioning " << words.front();
  } catch (const core::InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + ": "), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto& word : words) EXPECT_NE(message.find(word), std::string::npos) << message;
  }
}

}  // namespace attractor::test
