// attractor: the command-line shell over the library. Exit codes: 0 ok, 2 bad usage or bad
// input (nothing was written), 3 failure while running.
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "attractor/core/error.hpp"
#include "attractor/host/engine/processes.hpp"
#include "attractor/host/io/input_file.hpp"
#include "attractor/version.hpp"
#include "common.hpp"

int main(int argc, char** argv) try {
  using namespace attractor;
  // Under mpirun every process runs this program; the first one speaks for all of them.
  const Processes processes(argc, argv);
  if (!processes.root()) static_cast<void>(std::freopen("/dev/null", "w", stdout));
  CLI::App app{"attractor: Hopfield-family recurrent networks — dynamics, recall and capacity",
               "attractor"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "attractor " ATTRACTOR_VERSION);
  app.footer("Run `attractor <command> --help` for the options of one command.");
  // A usage error quotes what was typed: made printable like every other message.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return printable_message(e.what()) + "\nRun with --help for more information.\n";
  });
  std::vector<std::pair<CLI::App*, cli::Action>> actions;
  const auto& add = [&](cli::Action (*adder)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    cli::Action action = adder(app);
    actions.emplace_back(app.get_subcommands({})[before], std::move(action));
  };
  add(cli::add_demo);
  add(cli::add_recall);
  add(cli::add_capacity);
  add(cli::add_run);
  add(cli::add_ensemble);
  add(cli::add_dam);
  add(cli::add_control);
  add(cli::add_memory_experiment);
  add(cli::add_learn);
  add(cli::add_physical);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every process parsed the same arguments: the first one prints the help or the error.
    const int code = processes.root() ? app.exit(e) : e.get_exit_code();
    return code == 0 ? 0 : 2;
  }
  try {
    for (auto& [command, action] : actions) {
      if (!command->parsed()) continue;
      const std::string name = command->get_name();
      core::require(processes.size() == 1 || name == "run" || name == "recall" || name == "demo" ||
                        name == "ensemble",
                    name,
                    "runs on one process; under mpirun use run (a sparse network's rows "
                    "shared out), recall or demo (the cues shared out) or ensemble (the "
                    "networks shared out)");
      return action();
    }
  } catch (const core::InputError& e) {
    // Every process read the same input and found the same fault: one message says it.
    if (processes.root()) {
      std::cerr << "attractor: error: " << printable_message(e.what()) << '\n';
    }
    return 2;
  } catch (const std::bad_alloc&) {
    // A size the checks before the work let through and this machine could not give.
    std::cerr << "attractor: failed: out of memory\n";
    if (processes.size() > 1) processes.abort(3);
    return 3;
  } catch (const std::exception& e) {
    if (processes.size() == 1) {
      std::cerr << "attractor: failed: " << printable_message(e.what()) << '\n';
      return 3;
    }
    // One process may fail alone (its GPU's memory); the others would wait for it for ever.
    std::cerr << "attractor: failed on process " << processes.rank() << ": "
              << printable_message(e.what()) << '\n';
    processes.abort(3);
  }
  return 2;
} catch (const std::exception& e) {
  // What the handlers above let through (setting up the commands, writing a message): a failure
  // like any other, not std::terminate.
  std::cerr << "attractor: failed: " << e.what() << '\n';
  return 3;
}
