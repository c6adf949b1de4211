// learn hebb|covariance|bcm|oja|sanger: local rules for feedforward units.
#include "common.hpp"

namespace attractor::cli {

void add_local_rule_commands(CLI::App& /*learn*/, Subcommands& /*out*/) {}

}  // namespace attractor::cli
