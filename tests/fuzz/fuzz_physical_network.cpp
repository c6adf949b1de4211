// libFuzzer target: read_physical_network on arbitrary bytes (graph JSON).
#include "attractor/host/physical/physical_network.hpp"
#include "fuzz_file.hpp"

ATTRACTOR_FUZZ_READER(attractor::read_physical_network)
