#include "attractor/host/engine/processes.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>

#if defined(ATTRACTOR_HAVE_MPI)
#include <mpi.h>
#endif

namespace attractor {

Share share_of(std::int64_t count, int rank, int ranks) {
  const std::int64_t base = count / ranks, extra = count % ranks;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

namespace {

const Processes* g_world = nullptr;

#if defined(ATTRACTOR_HAVE_MPI)
// Whether an MPI launcher started this process. Without one MPI is not initialized at all: a
// singleton MPI_Init costs a noticeable start-up and can print transport warnings for a program
// that will only ever be one process.
bool launched_by_mpi() {
  for (const char* name :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

int to_int(std::int64_t value) {
  if (value < 0 || value > INT_MAX) {
    throw std::runtime_error("MPI exchange of " + std::to_string(value) +
                             " values: more than one message can carry (2^31 - 1)");
  }
  return static_cast<int>(value);
}

std::vector<int> to_ints(const std::vector<std::int64_t>& values) {
  std::vector<int> out;
  out.reserve(values.size());
  for (const std::int64_t v : values) out.push_back(to_int(v));
  return out;
}
#endif

}  // namespace

struct Processes::Exchange::State {
#if defined(ATTRACTOR_HAVE_MPI)
  MPI_Request request = MPI_REQUEST_NULL;
  std::vector<int> counts, displs;  // MPI reads them until the exchange ends
#endif
};

Processes::Exchange::Exchange() = default;
Processes::Exchange::~Exchange() {
  if (state_) wait();
}
Processes::Exchange::Exchange(Exchange&&) noexcept = default;
Processes::Exchange& Processes::Exchange::operator=(Exchange&&) noexcept = default;

void Processes::Exchange::wait() {
#if defined(ATTRACTOR_HAVE_MPI)
  if (state_ && state_->request != MPI_REQUEST_NULL) MPI_Wait(&state_->request, MPI_STATUS_IGNORE);
#endif
  state_.reset();
}

void Processes::Exchange::poke() {
#if defined(ATTRACTOR_HAVE_MPI)
  if (state_ && state_->request != MPI_REQUEST_NULL) {
    int done = 0;
    MPI_Test(&state_->request, &done, MPI_STATUS_IGNORE);
  }
#endif
}

Processes::Processes() = default;

Processes::Processes(int& argc, char**& argv) {
#if defined(ATTRACTOR_HAVE_MPI)
  if (launched_by_mpi()) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    started_mpi_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
  }
#else
  static_cast<void>(argc);
  static_cast<void>(argv);
#endif
  g_world = this;
}

Processes::~Processes() {
  if (g_world == this) g_world = nullptr;
#if defined(ATTRACTOR_HAVE_MPI)
  if (started_mpi_) MPI_Finalize();
#endif
}

const Processes& Processes::world() {
  static const Processes alone;
  return g_world != nullptr ? *g_world : alone;
}

bool Processes::built_with_mpi() {
#if defined(ATTRACTOR_HAVE_MPI)
  return true;
#else
  return false;
#endif
}

void Processes::allgather(double* data, const std::vector<std::int64_t>& counts,
                          const std::vector<std::int64_t>& displs) const {
  start_allgather(data, counts, displs).wait();
}

Processes::Exchange Processes::start_allgather(double* data,
                                               const std::vector<std::int64_t>& counts,
                                               const std::vector<std::int64_t>& displs) const {
  Exchange exchange;
  if (size_ == 1) return exchange;
#if defined(ATTRACTOR_HAVE_MPI)
  exchange.state_ = std::make_unique<Exchange::State>();
  auto& st = *exchange.state_;
  st.counts = to_ints(counts);
  st.displs = to_ints(displs);
  MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, st.counts.data(), st.displs.data(),
                  MPI_DOUBLE, MPI_COMM_WORLD, &st.request);
#else
  static_cast<void>(data);
  static_cast<void>(counts);
  static_cast<void>(displs);
#endif
  return exchange;
}

std::vector<double> Processes::gather(const std::vector<double>& mine) const {
  if (size_ == 1) return mine;
#if defined(ATTRACTOR_HAVE_MPI)
  std::vector<std::int64_t> counts(static_cast<std::size_t>(size_)), displs(counts.size());
  long long own = static_cast<long long>(mine.size());
  std::vector<long long> sizes(counts.size());
  MPI_Allgather(&own, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, MPI_COMM_WORLD);
  std::int64_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    counts[r] = sizes[r];
    displs[r] = total;
    total += sizes[r];
  }
  std::vector<double> all(static_cast<std::size_t>(total));
  std::copy(mine.begin(), mine.end(), all.begin() + displs[static_cast<std::size_t>(rank_)]);
  allgather(all.data(), counts, displs);
  return all;
#else
  return mine;
#endif
}

double Processes::max(double value) const {
#if defined(ATTRACTOR_HAVE_MPI)
  if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
#endif
  return value;
}

std::int64_t Processes::sum(std::int64_t value) const {
#if defined(ATTRACTOR_HAVE_MPI)
  if (size_ > 1) {
    long long v = value;
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    value = v;
  }
#endif
  return value;
}

void Processes::abort(int code) const {
#if defined(ATTRACTOR_HAVE_MPI)
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

}  // namespace attractor
