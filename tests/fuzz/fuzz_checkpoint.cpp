// libFuzzer target: Checkpoint::open and restore on arbitrary bytes as checkpoint.json. A
// checkpoint is a folder, so the input file is reached through a link named checkpoint.json in
// a private folder; restore then asks for the arrays the record names, which are absent (their
// names come from the record, so a name that escaped the pattern would show here as a read
// outside the folder or an ASan report).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "attractor/host/io/checkpoint.hpp"
#include "fuzz_file.hpp"

namespace {

// The folder, removed with its link when the process exits.
struct CheckpointFolder {
  std::string path;
  CheckpointFolder() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") +
           "/attractor-fuzz-checkpoint-XXXXXX";
    if (::mkdtemp(path.data()) == nullptr) std::abort();
    std::filesystem::create_symlink(attractor::fuzz::InputFile::instance().path(),
                                    path + "/checkpoint.json");
  }
  ~CheckpointFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  CheckpointFolder(const CheckpointFolder&) = delete;
  CheckpointFolder& operator=(const CheckpointFolder&) = delete;
};

const std::string& checkpoint_folder() {
  static const CheckpointFolder folder;
  return folder.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& folder = checkpoint_folder();
  return attractor::fuzz::read_input(data, size, [&](const std::string&) {
    attractor::Checkpoint checkpoint(folder, R"({"command": "learn krotov", "seed": 1})");
    const attractor::CheckpointRecord record = checkpoint.open();
    std::vector<float> W(4);
    std::int64_t steps = 0;
    checkpoint.restore(record, {{{{"W", &W}}, &steps}});
  });
}
