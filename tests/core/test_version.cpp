// attractor/version.hpp against the version that project() in CMakeLists.txt declares, passed to
// this test by tests/CMakeLists.txt as ATTRACTOR_PROJECT_VERSION.
#include <gtest/gtest.h>

#include <string>

#include "attractor/version.hpp"

TEST(Version, TheHeaderStatesTheProjectVersion) {
  EXPECT_STREQ(ATTRACTOR_VERSION, ATTRACTOR_PROJECT_VERSION);
  EXPECT_EQ(std::to_string(ATTRACTOR_VERSION_MAJOR) + "." +
                std::to_string(ATTRACTOR_VERSION_MINOR) + "." +
                std::to_string(ATTRACTOR_VERSION_PATCH),
            ATTRACTOR_PROJECT_VERSION);
}
