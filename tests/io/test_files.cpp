// Files as an attacker would make them: inputs that are not regular files, planted links where
// the program writes, output folders that must never mix two runs, and checkpoints that name
// files outside their folder.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/checkpoint.hpp"
#include "attractor/host/io/image.hpp"
#include "attractor/host/io/input_file.hpp"
#include "attractor/host/io/output_folder.hpp"
#include "file_fixture.hpp"

namespace attractor::test {
namespace {

namespace fs = std::filesystem;

class Files : public TempDirTest {
 protected:
  // The names in `folder`, sorted.
  static std::vector<std::string> names(const std::string& folder) {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(folder)) {
      out.push_back(entry.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static void write_text(const std::string& path, const std::string& text) {
    write_file_atomically(path, [&](std::ostream& out) { out << text; });
  }
};

TEST_F(Files, InputsMustBeRegularFiles) {
  expect_input_error([] { InputFile("/dev/zero", "a .npy file"); }, "/dev/zero",
                     {"not a regular file"});
  const std::string folder = path("folder");
  fs::create_directory(folder);
  expect_input_error([&] { InputFile(folder, "a .npy file"); }, folder, {"is a directory"});
  // A FIFO with no writer: refused at once, not waited on.
  const std::string fifo = path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_input_error([&] { InputFile(fifo, "a .npy file"); }, fifo, {"not a regular file"});
  expect_input_error([&] { InputFile(path("missing"), "x"); }, path("missing"), {"cannot open"});
  const std::string file = write_file("f", "abc");
  InputFile input(file, "a file");
  EXPECT_EQ(input.size(), 3u);
}

TEST_F(Files, LinesAreBoundedAndExcerptsPrintable) {
  const std::string file =
      write_file("long.txt", "short\r\n" + std::string(core::kMaxLineBytes + 1, '7') + "\n");
  InputFile input(file, "a text file");
  std::string line;
  ASSERT_TRUE(input.read_line(line, 1));
  EXPECT_EQ(line, "short");
  expect_input_error([&] { input.read_line(line, 2); }, file, {"line 2", "longer than"});
  EXPECT_EQ(core::printable_excerpt("a\x1b[31mb\0c"), "a?[31mb");
  EXPECT_EQ(core::printable_excerpt(std::string("a\0b", 3)), "a?b");
  EXPECT_EQ(core::printable_excerpt(std::string(100, 'x'), 10), "xxxxxxxxxx...");
}

// The old temporary was `<path>.tmp.<pid>`: a link planted there made the write go through it.
TEST_F(Files, AtomicWritesNeverFollowAPlantedLink) {
  const std::string victim = write_file("victim.txt", "precious");
  const std::string target = path("result.json");
  const std::string planted = target + ".tmp." + std::to_string(::getpid());
  fs::create_symlink(victim, planted);
  write_text(target, "new");
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_EQ(read_file(target), "new");
  // A link at the final name is replaced, not written through.
  const std::string link = path("linked.json");
  fs::create_symlink(victim, link);
  write_text(link, "replaced");
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(link));
  EXPECT_EQ(read_file(link), "replaced");
  // Nothing but the planted link and the results: no temporary left behind.
  EXPECT_EQ(names(path("")),
            (std::vector<std::string>{"linked.json", "result.json",
                                      fs::path(planted).filename().string(), "victim.txt"}));
}

TEST_F(Files, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  const std::string target = write_file("a.json", "old");
  EXPECT_THROW(write_file_atomically(target,
                                     [](std::ostream& out) {
                                       out << "partial";
                                       throw std::runtime_error("interrupted");
                                     }),
               std::runtime_error);
  EXPECT_EQ(read_file(target), "old");
  EXPECT_EQ(names(path("")), std::vector<std::string>{"a.json"});
}

TEST_F(Files, StaleTemporariesAreRemovedAndNothingElse) {
  write_file("final.npy.tmp.AbC123", "stale");
  write_file("final.npy.tmp.123", "not ours: the suffix is too short");
  write_file("final.npy", "result");
  fs::create_directory(path(".results.tmp.Zz9Zz9"));
  write_file(".results.tmp.Zz9Zz9/final.npy", "staged");
  const std::string victim = write_file("victim.txt", "precious");
  fs::create_directory(path("elsewhere"));
  const std::string kept = write_file("elsewhere/kept.txt", "kept");
  fs::create_directory_symlink(path("elsewhere"), path("link.tmp.QQQQQQ"));
  remove_stale_temporaries(path(""));
  EXPECT_EQ(names(path("")), (std::vector<std::string>{"elsewhere", "final.npy",
                                                       "final.npy.tmp.123", "victim.txt"}));
  EXPECT_EQ(read_file(kept), "kept");  // the link went, not what it pointed to
  EXPECT_TRUE(is_temporary_name("x.tmp.a1B2c3"));
  EXPECT_FALSE(is_temporary_name("x.tmp.a1B2c"));
  EXPECT_FALSE(is_temporary_name("x.tmp.a1B2c/"));
}

TEST_F(Files, AnOutputFolderHoldsOneRunsResultsAtATime) {
  const std::string out = path("out");
  const std::vector<std::string> outputs = {"final.npy", "energy.npy", "xi_*.mtx", "summary.json"};
  {
    OutputFolder first(out, outputs, "summary.json");
    write_text(first.path("final.npy"), "1");
    write_text(first.path("energy.npy"), "1");
    write_text(first.path("xi_0.mtx"), "1");
    write_text(first.path("summary.json"), "1");
    first.commit();
  }
  write_file("out/notes.txt", "the user's");
  EXPECT_EQ(names(out), (std::vector<std::string>{"energy.npy", "final.npy", "notes.txt",
                                                  "summary.json", "xi_0.mtx"}));
  {
    // A run that fails before commit leaves the folder as it was.
    OutputFolder failed(out, outputs, "summary.json");
    write_text(failed.path("final.npy"), "failed");
  }
  EXPECT_EQ(read_file(out + "/final.npy"), "1");
  EXPECT_EQ(names(out).size(), 5u);
  {
    // The second run writes no energy and other traces: the first run's are removed, the user's
    // file is not.
    OutputFolder second(out, outputs, "summary.json");
    write_text(second.path("final.npy"), "2");
    write_text(second.path("xi_1.mtx"), "2");
    EXPECT_EQ(read_file(out + "/final.npy"), "1");  // not before commit
    write_text(second.path("summary.json"), "2");
    second.commit();
  }
  EXPECT_EQ(names(out),
            (std::vector<std::string>{"final.npy", "notes.txt", "summary.json", "xi_1.mtx"}));
  EXPECT_EQ(read_file(out + "/final.npy"), "2");
  EXPECT_EQ(read_file(out + "/summary.json"), "2");
  EXPECT_THROW(OutputFolder(out, outputs, "summary.json").path("../escape"), std::logic_error);
}

// A run killed mid-write (no destructor runs) leaves the previous results whole and only its
// staging folder beside them; the next run removes that.
TEST_F(Files, AKilledRunLeavesThePreviousResultsAndItsLeftoversGoNextTime) {
  const std::string out = path("out");
  const std::vector<std::string> outputs = {"final.npy", "trajectory.npy", "summary.json"};
  {
    OutputFolder first(out, outputs, "summary.json");
    write_text(first.path("final.npy"), "1");
    write_text(first.path("trajectory.npy"), "1");
    write_text(first.path("summary.json"), "1");
    first.commit();
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto* killed = new OutputFolder(out, outputs, "summary.json");
    write_text(killed->path("final.npy"), "2");
    ::_exit(0);  // as SIGKILL would: nothing is cleaned up
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  std::vector<std::string> left = names(out);
  ASSERT_EQ(left.size(), 4u);
  EXPECT_TRUE(is_temporary_name(left[0])) << left[0];  // ".results.tmp.XXXXXX"
  EXPECT_EQ(read_file(out + "/final.npy"), "1");
  EXPECT_EQ(read_file(out + "/trajectory.npy"), "1");
  const std::string leftover = left[0];
  OutputFolder next(out, outputs, "summary.json");
  EXPECT_FALSE(fs::exists(out + "/" + leftover));
  EXPECT_EQ(read_file(out + "/final.npy"), "1");
}

TEST_F(Files, AnOutputFolderThatCannotBeMadeIsAnInputError) {
  write_file("file", "a file where a folder should be");
  const std::string out = path("file/sub");
  expect_input_error([&] { OutputFolder(out, {"a"}, "a"); }, out, {"cannot create"});
  expect_input_error([&] { require_writable_file(path("no/such/x.json"), "--out"); }, "--out",
                     {"does not exist"});
  expect_input_error([&] { require_writable_file(path(""), "--out"); }, "--out", {"is a folder"});
}

// Checkpoints name their arrays; a name that leads outside the folder, or any file not of the
// checkpoint's own pattern, is refused before anything is read or removed.
class Checkpoints : public Files {
 protected:
  std::string folder() const { return path("run"); }
  void write_meta(const std::string& json) const {
    fs::create_directories(folder());
    std::ofstream(folder() + "/checkpoint.json") << json;
  }
};

TEST_F(Checkpoints, ResumeRestoresTheSavedArraysAndRemovesOnlyItsOwnFiles) {
  fs::create_directories(folder());
  std::vector<float> W = {1, 2, 3};
  std::int64_t steps = 7;
  Checkpoint saved(folder(), R"({"run": 1})");
  saved.save("units", 1, {{{{"W", &W}}, &steps}}, R"({"loss": [0.5]})");
  W = {4, 5, 6};
  saved.save("units", 2, {{{{"W", &W}}, &steps}}, R"({"loss": [0.5, 0.25]})");
  EXPECT_EQ(names(folder()), (std::vector<std::string>{"checkpoint-2-W.npy", "checkpoint.json"}));

  std::vector<float> restored(3);
  std::int64_t restored_steps = 0;
  Checkpoint resumed(folder(), R"({"run": 1})");
  const CheckpointRecord record = resumed.open();
  EXPECT_EQ(record.phase, "units");
  EXPECT_EQ(record.epochs_done, 2);
  EXPECT_EQ(record.history, R"({"loss":[0.5,0.25]})");
  resumed.restore(record, {{{{"W", &restored}}, &restored_steps}});
  EXPECT_EQ(restored, W);
  EXPECT_EQ(restored_steps, 7);
  resumed.save("units", 3, {{{{"W", &restored}}, &restored_steps}}, "{}");
  EXPECT_EQ(names(folder()), (std::vector<std::string>{"checkpoint-3-W.npy", "checkpoint.json"}));
  expect_input_error([&] { Checkpoint(folder(), R"({"run": 2})").open(); },
                     folder() + "/checkpoint.json", {"other parameters"});
}

TEST_F(Checkpoints, ANameOutsideTheFolderIsRefusedAndNothingIsRemoved) {
  const std::string victim = write_file("victim.txt", "precious");
  write_meta(R"({"identity": 1, "phase": "units", "epochs_done": 1, "generation": 1,
                 "arrays": {"x": "../victim.txt"}, "history": {}, "steps": [0]})");
  Checkpoint checkpoint(folder(), "1");
  expect_input_error([&] { checkpoint.open(); }, folder() + "/checkpoint.json",
                     {"must be in checkpoint-1-x.npy"});
  std::vector<float> W = {1};
  checkpoint.save("units", 2, {{{{"W", &W}}, nullptr}}, "{}");
  EXPECT_EQ(read_file(victim), "precious");
  write_meta(R"({"identity": 1, "phase": "units", "epochs_done": 1, "generation": 1,
                 "arrays": {"../x": "checkpoint-1-../x.npy"}, "history": {}, "steps": [0]})");
  expect_input_error([&] { Checkpoint(folder(), "1").open(); }, folder() + "/checkpoint.json",
                     {"not an identifier"});
}

TEST_F(Checkpoints, FieldsOfTheWrongTypeOrRangeAreInputErrors) {
  const std::string path = folder() + "/checkpoint.json";
  const std::string arrays = R"("arrays": {"W": "checkpoint-1-W.npy"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2", "not valid JSON"},
      {"[]", "not a checkpoint"},
      {R"({"identity": 1, "phase": 3, "epochs_done": 1, "generation": 1, )" + arrays +
           R"(, "steps": [0]})",
       "\"phase\""},
      {R"({"identity": 1, "phase": "units", "epochs_done": "1", "generation": 1, )" + arrays +
           R"(, "steps": [0]})",
       "\"epochs_done\""},
      {R"({"identity": 1, "phase": "units", "epochs_done": 2.5, "generation": 1, )" + arrays +
           R"(, "steps": [0]})",
       "\"epochs_done\""},
      {R"({"identity": 1, "phase": "units", "epochs_done": -1, "generation": 1, )" + arrays +
           R"(, "steps": [0]})",
       "\"epochs_done\""},
      {R"({"identity": 1, "phase": "units", "epochs_done": 1, "generation": 1, )" + arrays +
           R"(, "steps": 0})",
       "\"steps\""},
      {R"({"identity": 1, "phase": "units", "epochs_done": 1, "generation": 1, "arrays": [],
           "steps": [0]})",
       "\"arrays\""},
  };
  for (const auto& [text, word] : cases) {
    write_meta(text);
    expect_input_error([&] { Checkpoint(folder(), "1").open(); }, path, {word});
  }
  // An empty list of steps passes open() but cannot restore a model that has steps.
  write_meta(R"({"identity": 1, "phase": "units", "epochs_done": 1, "generation": 1, )" + arrays +
             R"(, "steps": []})");
  Checkpoint checkpoint(folder(), "1");
  const auto record = checkpoint.open();
  std::vector<float> W(1);
  expect_input_error(
      [&] {
        checkpoint.restore(record, {{{{"W", &W}}, nullptr}});
      },
      path, {"\"steps\" has 0 entries, expected 1"});
}

// --columns 1431655766 wrapped the picture's int width; tiles were then written past the pixels.
TEST_F(Files, AReceptiveFieldGridTooLargeToDrawIsAnInputError) {
  const std::vector<float> W(std::size_t{100} * 28 * 28, 1.0f);
  for (const std::int64_t columns : {std::int64_t{1431655766}, std::int64_t{100000000000}}) {
    expect_input_error([&] { receptive_field_grid(W, 100, 28, 28, columns); }, "receptive fields",
                       {"more than the limit"});
  }
  EXPECT_EQ(receptive_field_grid(W, 100, 28, 28, 100).width, 100 * 29 + 1);
}

}  // namespace
}  // namespace attractor::test
