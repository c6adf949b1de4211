// learn: the learning rules, one subcommand each (`attractor learn <rule> --help`).
#include "common.hpp"

namespace attractor::cli {

Action add_learn(CLI::App& app) {
  CLI::App* learn = app.add_subcommand(
      "learn",
      "Train weights with a learning rule: local rules for feedforward units (hebb, "
      "covariance, bcm, oja, sanger), Krotov–Hopfield competing hidden units (krotov) "
      "and the backprop baseline (backprop)");
  learn->require_subcommand(1);
  auto rules = std::make_shared<Subcommands>();
  add_local_rule_commands(*learn, *rules);
  add_competing_unit_commands(*learn, *rules);
  return run_parsed(rules);
}

}  // namespace attractor::cli
