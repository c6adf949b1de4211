#pragma once
#include <set>
#include <string>
#include <vector>

namespace attractor {

// The folder a command writes its results to (--out), so that it never mixes two runs' results
// and never changes on bad input.
//
// Constructed after the inputs have been read and checked, before any work: creates the folder
// when it is missing, proves it writable (core::InputError otherwise) and removes temporaries an
// interrupted run left in it. Results are written to path(name), inside a private staging folder;
// commit() then removes the record (the file that says a run finished, summary.json or
// result.json), moves the other results into place, removes the command's outputs this run did
// not write, and moves the record in last. So the folder holds the previous run's complete
// results until commit(), this run's after it, and a folder without a record is a run cut short
// in the middle of commit(). A run that ends without commit() leaves the folder as it found it.
class OutputFolder {
 public:
  // `outputs`: every name this command may write, where one '*' stands for any text
  // ("xi_inf_*.mtx"); `record` is one of them.
  OutputFolder(std::string folder, std::vector<std::string> outputs, std::string record);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::string& folder() const { return folder_; }
  // Where to write the result `name` (which must match one of the outputs).
  std::string path(const std::string& name);
  void commit();

 private:
  bool is_output(const std::string& name) const;

  std::string folder_;
  std::vector<std::string> outputs_;
  std::string record_;
  std::string staging_;
  std::set<std::string> written_;
};

}  // namespace attractor
