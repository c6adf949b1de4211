#pragma once
// The processes of one run: MPI's ranks when the build has MPI and `mpirun` started the program,
// else this process alone (rank 0 of 1). The few collectives the engines and the CLI need, on
// doubles and 64-bit integers; MPI's own types stay inside processes.cpp.
#include <cstdint>
#include <memory>
#include <vector>

namespace attractor {

// Rank r's contiguous share [begin, end) of `count` items, in rank order; the first count % ranks
// ranks get one more. Every rank computes every share the same way, so none is sent.
struct Share {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};
Share share_of(std::int64_t count, int rank, int ranks);

class Processes {
 public:
  // Starts MPI (threads FUNNELED: OpenMP threads never call it) when the build has MPI; the
  // destructor ends it. Make one, in main(), before anything else reads argv.
  Processes(int& argc, char**& argv);
  ~Processes();
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;

  // The processes main() started, or this process alone when main() made none (tests, programs
  // that link the library).
  static const Processes& world();
  static bool built_with_mpi();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  // Rank among the processes on this machine (picks the GPU: one per process).
  int local_rank() const { return local_rank_; }

  // On return every rank holds every rank's block: rank r's counts[r] values at displs[r] of
  // `data` (in place; blocks must not overlap). counts and displs are the same on every rank.
  void allgather(double* data, const std::vector<std::int64_t>& counts,
                 const std::vector<std::int64_t>& displs) const;

  // The same exchange started without waiting, so work can go on while it moves; wait() ends it.
  // Exchanges in flight must be started in the same order on every rank.
  class Exchange {
   public:
    Exchange();
    ~Exchange();
    Exchange(Exchange&&) noexcept;
    Exchange& operator=(Exchange&&) noexcept;
    void wait();
    // Lets MPI move data along without blocking (Open MPI progresses collectives only inside
    // its own calls).
    void poke();

   private:
    friend class Processes;
    struct State;
    std::unique_ptr<State> state_;
  };
  Exchange start_allgather(double* data, const std::vector<std::int64_t>& counts,
                           const std::vector<std::int64_t>& displs) const;

  // Every rank's vector, concatenated in rank order, on every rank (sizes may differ).
  std::vector<double> gather(const std::vector<double>& mine) const;
  double max(double value) const;
  std::int64_t sum(std::int64_t value) const;
  // Ends every process with `code`: an error on one rank would otherwise leave the others
  // waiting in a collective for ever.
  [[noreturn]] void abort(int code) const;

 private:
  Processes();  // this process alone
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  [[maybe_unused]] bool started_mpi_ = false;  // read only when the build has MPI
};

}  // namespace attractor
