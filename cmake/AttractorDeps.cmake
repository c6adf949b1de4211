# Third-party dependencies, from Debian packages or from a bundled folder (ATTRACTOR_DEPS_DIR, as
# written by shared/tools/bundle-deps.sh: include/{eigen3,CLI,nlohmann,fmt,...} and googletest/).
# Each becomes an INTERFACE target attractor_dep_<name>, so nothing else cares where it came from.
set(_attractor_hint_dirs /usr/include)
if(ATTRACTOR_DEPS_DIR)
  if(NOT EXISTS "${ATTRACTOR_DEPS_DIR}/include")
    message(FATAL_ERROR "ATTRACTOR_DEPS_DIR=${ATTRACTOR_DEPS_DIR} has no include/ folder")
  endif()
  set(_attractor_hint_dirs "${ATTRACTOR_DEPS_DIR}/include")
endif()

function(attractor_header_dep name probe subdir)
  if(ATTRACTOR_DEPS_DIR)
    # The bundle only: a bundled build must not silently mix in whatever the system has.
    find_path(ATTRACTOR_${name}_INCLUDE_DIR "${probe}" PATHS ${_attractor_hint_dirs}
              PATH_SUFFIXES "${subdir}" NO_DEFAULT_PATH NO_CACHE)
  else()
    find_path(ATTRACTOR_${name}_INCLUDE_DIR "${probe}" HINTS ${_attractor_hint_dirs}
              PATH_SUFFIXES "${subdir}" NO_CACHE)
  endif()
  if(NOT ATTRACTOR_${name}_INCLUDE_DIR)
    message(FATAL_ERROR "attractor needs ${probe} (${name}); install the Debian package "
                        "or pass -DATTRACTOR_DEPS_DIR=<bundle>")
  endif()
  add_library(attractor_dep_${name} INTERFACE)
  target_include_directories(attractor_dep_${name} SYSTEM INTERFACE
                             "${ATTRACTOR_${name}_INCLUDE_DIR}")
endfunction()

attractor_header_dep(eigen Eigen/Core eigen3)
attractor_header_dep(cli11 CLI/CLI.hpp "")
attractor_header_dep(json nlohmann/json.hpp "")
attractor_header_dep(fmt fmt/format.h "")
attractor_header_dep(stb stb/stb_image_write.h "")
attractor_header_dep(spectra Spectra/SymEigsShiftSolver.h "")
# fmt header-only: the bundle ships no compiled fmt, and one definition serves both set-ups.
target_compile_definitions(attractor_dep_fmt INTERFACE FMT_HEADER_ONLY=1)
target_compile_definitions(attractor_dep_eigen INTERFACE EIGEN_MPL2_ONLY=1)

if(ATTRACTOR_BUILD_TESTS)
  if(ATTRACTOR_DEPS_DIR AND EXISTS "${ATTRACTOR_DEPS_DIR}/googletest")
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    add_subdirectory("${ATTRACTOR_DEPS_DIR}/googletest" "${CMAKE_BINARY_DIR}/_deps/googletest"
                     EXCLUDE_FROM_ALL SYSTEM)
    if(NOT TARGET GTest::gtest_main)
      add_library(GTest::gtest_main ALIAS gtest_main)
    endif()
  else()
    find_package(GTest REQUIRED)
  endif()
endif()

# zlib inflates gzip-compressed IDX files as they are read. A set-up without it (a bundled build
# on a machine without packages) still builds and refuses gzip input with a clear message.
find_package(ZLIB)
