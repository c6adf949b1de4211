# Warnings, sanitizers and threading shared by every C++ target of the project.
add_library(attractor_flags INTERFACE)
target_compile_options(attractor_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>)
if(ATTRACTOR_WERROR)
  target_compile_options(attractor_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
endif()
if(ATTRACTOR_NATIVE)
  target_compile_options(attractor_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  target_compile_definitions(attractor_flags INTERFACE ATTRACTOR_NATIVE=1)  # benchmarks report it
endif()
if(ATTRACTOR_SANITIZE)
  target_compile_options(attractor_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined>)
  target_link_options(attractor_flags INTERFACE -fsanitize=address,undefined)
endif()

find_package(OpenMP REQUIRED COMPONENTS CXX)

# The upper-cased value of an AUTO|ON|OFF option `name`, in `out`; anything else is an error.
function(attractor_tristate name out)
  string(TOUPPER "${${name}}" mode)
  if(NOT mode MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "${name} must be AUTO, ON or OFF (got '${${name}}')")
  endif()
  set(${out} "${mode}" PARENT_SCOPE)
endfunction()

# find_package(ARGN) for an AUTO|ON|OFF `mode`: required when ON, quiet when AUTO.
macro(attractor_find_for_mode mode)
  if("${mode}" STREQUAL "ON")
    find_package(${ARGN} REQUIRED)
  else()
    find_package(${ARGN} QUIET)
  endif()
endmacro()
