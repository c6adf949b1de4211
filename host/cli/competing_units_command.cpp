// learn krotov|backprop: competing hidden units with a supervised top layer, and the backprop MLP.
#include "common.hpp"

namespace attractor::cli {

void add_competing_unit_commands(CLI::App& /*learn*/, Subcommands& /*out*/) {}

}  // namespace attractor::cli
