#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/host/learning/supervised.hpp"

namespace attractor {

// What a checkpoint holds besides its arrays. `history` is JSON text, kept as the caller wrote it.
struct CheckpointRecord {
  std::string phase;
  std::int64_t epochs_done = 0;
  std::int64_t generation = 0;
  std::string history = "null";
  std::vector<std::string> arrays;  // the names of the saved arrays
  std::vector<std::int64_t> steps;  // one per saved TrainingState
};

// A long training run's checkpoint in its output folder. checkpoint.json names its arrays; each
// is a float32 .npy file `checkpoint-<generation>-<array>.npy`, a name this class makes itself
// and checks when it reads one back, so a checkpoint can never name a file outside its pattern.
// save() writes the arrays first, then renames the JSON over the old one, then removes the
// previous generation's arrays: at every instant checkpoint.json names complete files, so a run
// killed anywhere resumes from the last finished epoch.
class Checkpoint {
 public:
  // `identity`: JSON text of the command, parameters and data; a checkpoint resumes only a run
  // with the same identity.
  Checkpoint(std::string folder, std::string identity);

  std::string json_path() const { return folder_ + "/checkpoint.json"; }

  void save(const std::string& phase, std::int64_t epochs_done,
            const std::vector<TrainingState>& states, const std::string& history);

  // Reads checkpoint.json; core::InputError unless it is a checkpoint of a run with this
  // identity, each field of its type and range, and its arrays named by the pattern above.
  CheckpointRecord open();

  // Fills `states` from the arrays of `record` (from open()), checking each one's size.
  void restore(const CheckpointRecord& record, const std::vector<TrainingState>& states) const;

 private:
  std::string array_file(std::int64_t generation, const std::string& array) const;

  std::string folder_;
  std::string identity_;
  std::int64_t generation_ = 0;
  std::vector<std::string> previous_files_;
};

}  // namespace attractor
