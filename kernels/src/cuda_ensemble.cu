// The CUDA ensemble engine: many small networks, one thread block each, every step of a launch
// fused in one kernel (see attractor/cuda/cuda_ensemble.hpp). The semantics are the CPU engine's
// (host/src/engine/cpu_engine.cpp) network by network: the same tie rule, step
// count, fingerprints, cycle bookkeeping and asynchronous order.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "attractor/core/discrete.hpp"
#include "attractor/core/ensemble_checks.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/integer_weights.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/cuda/cuda_ensemble.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "launch.hpp"
#include "reduce.cuh"
#include "resources.hpp"

namespace attractor::cuda {

namespace {

using Index = std::int64_t;
// Synapse visits per launch (all networks together): a launch lasts a fraction of a second on a
// current GPU, so progress is reported a few times a second. Asynchronous sweeps are latency-bound
// (one neuron at a time), so they get fewer visits per launch.
constexpr double kSyncVisitsPerLaunch = 0x1p30;
constexpr double kStagedSteps = 16;
constexpr double kAsyncVisitsPerLaunch = 0x1p26;

enum : int { kRunning = 0, kFixedPoint = 1, kLimitCycle = 2 };

// What survives between launches for one network: its step count and outcome and, for
// synchronous dynamics, where it stands in its ring of fingerprints (core::CycleHistory's deque).
// All zero is a network that has not started.
struct NetworkStatus {
  std::int64_t steps;
  int outcome;    // kRunning, kFixedPoint or kLimitCycle
  int period;     // limit cycle: steps per cycle
  int ring_size;  // fingerprints held, ≤ max_period + 1
  int ring_next;  // slot of the next fingerprint
};

// The ensemble on the device, passed by value to every launch. W is the weights' type: Real, or
// int8 when a dense stack is integers over one denominator (core::exact_integer_form, max|K| ≤
// 127): a quarter of float32's shared memory, so networks of N = 256 stage their weights (64 KB,
// not 256 KB), and fields that are exact integer sums divided once.
template <class Real, class W>
struct EnsembleView {
  const W* weights;             // count × per_network: dense N × N row-major, or CSR values
  const std::int32_t* col_idx;  // sparse: the shared pattern's column indices (nnz)
  const std::int64_t* row_ptr;  // sparse: the shared pattern's row offsets (N + 1)
  const Real* bias;             // count × N, the effective bias b = h − a
  Real* states;                 // count × N, ±1
  NetworkStatus* status;        // count
  std::uint64_t* rings;         // synchronous: count × (max_period + 1) fingerprints
  Index count;
  int n;
  Index per_network;  // weights per network: N² (dense) or nnz (sparse)
  bool sparse;
  bool weights_in_shared;  // each block stages its network's weights in shared memory
  double denominator;      // int8 weights: T = K / denominator
};

// Where a block reads its network's weights: shared memory when staged, else global memory.
template <class W>
struct BlockWeights {
  const W* values;
  const std::int32_t* col_idx;
};

// (T s)_i for one row of the network's weights, by a whole warp: lane l takes the row's entries
// l, l + 32, … (consecutive lanes read consecutive weights: coalesced, and free of shared-memory
// bank conflicts). Every lane gets the result. int8 weights (dense only) sum ±K_ij in int32 —
// exactly, |sum| ≤ 127 N — and divide once.
template <class Real, class W>
__device__ Real row_dot(const EnsembleView<Real, W>& v, const BlockWeights<W>& T, int i,
                        const Real* s, int lane) {
  if constexpr (std::is_same_v<W, std::int8_t>) {
    const W* row = T.values + static_cast<Index>(i) * v.n;
    int partial = 0;
    for (int j = lane; j < v.n; j += kWarp) partial += s[j] > Real(0) ? row[j] : -row[j];
    // |sum| ≤ 127 N and D are exact in Real: one correctly rounded division in Real.
    return static_cast<Real>(warp_sum_to_all(partial)) / static_cast<Real>(v.denominator);
  } else {
    Real partial = Real(0);
    if (!v.sparse) {
      const Real* row = T.values + static_cast<Index>(i) * v.n;
      for (int j = lane; j < v.n; j += kWarp) partial += row[j] * s[j];
    } else {
      const Index end = v.row_ptr[i + 1];
      for (Index k = v.row_ptr[i] + lane; k < end; k += kWarp) {
        partial += T.values[k] * s[T.col_idx[k]];
      }
    }
    return warp_sum_to_all(partial);
  }
}

// Network e's weights for this block: copied into shared memory by all its threads when staged
// (the caller synchronizes before use), else read in place.
template <class Real, class W>
__device__ BlockWeights<W> stage_weights(const EnsembleView<Real, W>& v, Index e, W* shared_T,
                                         std::int32_t* shared_cols) {
  const W* T = v.weights + e * v.per_network;
  if (!v.weights_in_shared) return {T, v.col_idx};
  const auto first = static_cast<Index>(threadIdx.x), stride = static_cast<Index>(blockDim.x);
  for (Index k = first; k < v.per_network; k += stride) shared_T[k] = T[k];
  if (!v.sparse) return {shared_T, nullptr};
  for (Index k = first; k < v.per_network; k += stride) shared_cols[k] = v.col_idx[k];
  return {shared_T, shared_cols};
}

// Shared-memory bytes of a block's staged weights, padded to 16 so what follows stays aligned
// (ensemble_launch plans the same).
template <class Real, class W>
__device__ Index staged_weight_bytes(const EnsembleView<Real, W>& v) {
  return v.weights_in_shared ? (v.per_network * static_cast<Index>(sizeof(W)) + 15) / 16 * 16 : 0;
}

// Adds word_hash(bits_w, w) of the ±1 state s to *hash for the 64-neuron words of neurons
// [begin, end) (begin a multiple of 64) that fall to this warp — w = begin/64 + warp, + warps, … —
// integer addition mod 2^64, so any order of the atomics gives core::hash_signs's value (hash may
// be another cluster block's shared memory) — and returns whether s differs from `old` in any of
// those neurons. A word is two ballots of its halves (lane l reads neurons 64w + l and
// 64w + 32 + l: consecutive shared-memory words, no bank conflicts), not 64 serial reads by one
// thread; lane 0 adds it. Kept by hand: a ballot builds the 32 bits in one instruction, which no
// CUB reduction matches, and the atomics make the words' sum order-free. Every thread of the block
// must call this (the ballots take whole warps).
template <class Real>
__device__ bool add_word_hashes(const Real* s, const Real* old, int begin, int end,
                                unsigned long long* hash) {
  bool changed = false;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warps = static_cast<int>(blockDim.x) / kWarp;
  for (int w = begin / 64 + static_cast<int>(threadIdx.x) / kWarp; 64 * w < end; w += warps) {
    unsigned halves[2];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int i = 64 * w + 32 * half + lane;
      const bool inside = i < end;
      halves[half] = __ballot_sync(kFullMask, inside && s[i] > Real(0));
      changed = (__ballot_sync(kFullMask, inside && s[i] != old[i]) != 0u) || changed;
    }
    if (lane == 0) {
      const std::uint64_t bits =
          static_cast<std::uint64_t>(halves[0]) | (static_cast<std::uint64_t>(halves[1]) << 32);
      atomicAdd(hash, static_cast<unsigned long long>(
                          core::word_hash(bits, static_cast<std::uint64_t>(w))));
    }
  }
  return changed;
}

// A network's bookkeeping after synchronous step `step`, by one thread: the step count, and the
// end of its trajectory under the sign rule (nothing changed: a fixed point; the fingerprint
// closes a cycle by core::push_fingerprint: a limit cycle). True when it ended.
__device__ inline bool end_of_step(NetworkStatus& st, std::uint64_t* ring, int max_period,
                                   Index step, bool changed, unsigned long long fingerprint) {
  st.steps = step;
  if (!changed) {
    st.outcome = kFixedPoint;
    return true;
  }
  const int period =
      core::push_fingerprint(ring, st.ring_size, st.ring_next, max_period, fingerprint);
  if (period == 0) return false;
  st.outcome = kLimitCycle;
  st.period = period;
  return true;
}

// Synchronous steps first_step + 1 … last_step of every network still running.
// Thread mapping: block g takes networks g, g + G, … (G blocks) one at a time. For a network,
// warp w computes the fields of rows w, w + W, … (W warps), its lanes striding over the row
// (row_dot); then thread t hashes 64-neuron words t, t + blockDim, … and thread 0 alone keeps the
// step count, outcome and cycle ring. Bytes: the state, b and (when they fit) the weights sit in
// shared memory, so a step reads N² (dense) or nnz values + nnz columns (sparse) from shared
// memory, or from global memory/L2 when not staged; global traffic per launch is one load of the
// weights, state and b and one store of the state per network, plus the status and ring words.
template <class Real, class W>
__global__ void sync_kernel(EnsembleView<Real, W> v, Index first_step, Index last_step,
                            int max_period) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  __shared__ unsigned long long hash;  // the new state's fingerprint, summed over words
  __shared__ int done;                 // thread 0's verdict, read by all after a barrier
  const int n = v.n;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int warps = static_cast<int>(blockDim.x) / kWarp;
  Real* const s_first = reinterpret_cast<Real*>(shared_bytes);
  Real* const s_second = s_first + n;
  Real* const b = s_second + n;
  W* const shared_T = reinterpret_cast<W*>(b + n);
  auto* const shared_cols = reinterpret_cast<std::int32_t*>(
      reinterpret_cast<unsigned char*>(shared_T) + staged_weight_bytes(v));

  for (Index e = blockIdx.x; e < v.count; e += gridDim.x) {
    NetworkStatus* const st = v.status + e;
    // Every thread reads the same word before thread 0 can change it: a uniform branch.
    if (st->outcome != kRunning) continue;
    const BlockWeights<W> T = stage_weights(v, e, shared_T, shared_cols);
    Real* s = s_first;        // the state
    Real* s_next = s_second;  // the state after this step
    for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) {
      s[i] = v.states[e * n + i];
      b[i] = v.bias[e * n + i];
    }
    std::uint64_t* const ring = v.rings + e * (max_period + 1);
    if (threadIdx.x == 0) {
      hash = 0;
      done = 0;
    }
    __syncthreads();
    if (first_step == 0) {  // CycleHistory::start with the initial state's fingerprint
      add_word_hashes(s, s, 0, n, &hash);
      __syncthreads();
      if (threadIdx.x == 0) {
        ring[0] = hash;
        st->ring_size = 1;
        st->ring_next = 1;
      }
      __syncthreads();
    }

    for (Index step = first_step + 1; step <= last_step; ++step) {
      // s_next_i = sign_update(Σ_j T_ij s_j + b_i, s_i), every row from the old state.
      for (int i = warp; i < n; i += warps) {
        const Real f = row_dot(v, T, i, s, lane);
        if (lane == 0) s_next[i] = core::sign_update(f + b[i], s[i]);
      }
      if (threadIdx.x == 0) hash = 0;  // thread 0 read the last fingerprint before the barrier
      __syncthreads();
      const bool changed = __syncthreads_or(add_word_hashes(s_next, s, 0, n, &hash)) != 0;
      Real* const old = s;
      s = s_next;
      s_next = old;  // overwritten only after the next barrier, when nobody reads it any more
      if (threadIdx.x == 0) {
        done = end_of_step(*st, ring, max_period, step, changed, hash) ? 1 : 0;
      }
      __syncthreads();
      if (done) break;
    }
    for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) {
      v.states[e * n + i] = s[i];
    }
    __syncthreads();  // before the next network overwrites shared memory
  }
}

// Synchronous steps of dense networks too large for one block's shared memory, on a thread-block
// cluster per network (ensemble_launch's cluster plan): block r of the cluster stages rows
// [r R, r R + R) of T (R = rows_per_block, a multiple of 64) and keeps a full copy of s, s_next
// and b. Per step each block computes its rows' new values and writes each into every block's
// s_next through distributed shared memory; after a cluster barrier each block hashes its own
// 64-neuron words and adds the hash and its changed flag to block 0's; after another, block 0's
// thread 0 applies core::push_fingerprint and the tie rule's verdict, and every block reads it.
// The weights are read from shared memory only, as when they fit one block; the price is C
// remote stores per neuron and three cluster barriers per step.
template <class Real, class W>
__global__ void sync_cluster_kernel(EnsembleView<Real, W> v, Index first_step, Index last_step,
                                    int max_period, int rows_per_block) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
  // Clusters need sm_90; plan_launch never plans one on an older device.
  __trap();
#else
  namespace cg = cooperative_groups;
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  __shared__ unsigned long long hash;  // block 0's: the new state's fingerprint
  __shared__ int changed;              // block 0's: whether any block's rows changed
  __shared__ int done;                 // block 0's verdict
  const cg::cluster_group cluster = cg::this_cluster();
  const auto rank = static_cast<int>(cluster.block_rank());
  const auto blocks = static_cast<int>(cluster.num_blocks());
  const int n = v.n;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int warps = static_cast<int>(blockDim.x) / kWarp;
  const int row_begin = rank * rows_per_block;
  const int row_end = row_begin + rows_per_block < n ? row_begin + rows_per_block : n;
  Real* const s_first = reinterpret_cast<Real*>(shared_bytes);
  Real* const s_second = s_first + n;
  Real* const b = s_second + n;
  W* const rows = reinterpret_cast<W*>(b + n);
  unsigned long long* const hash0 = cluster.map_shared_rank(&hash, 0);
  int* const changed0 = cluster.map_shared_rank(&changed, 0);
  const int* const done0 = cluster.map_shared_rank(&done, 0);

  const Index clusters = gridDim.x / static_cast<unsigned>(blocks);
  for (Index e = blockIdx.x / static_cast<unsigned>(blocks); e < v.count; e += clusters) {
    NetworkStatus* const st = v.status + e;
    // Every block reads it before block 0 can change it (barriers below): a uniform branch.
    if (st->outcome != kRunning) continue;
    const W* T = v.weights + e * v.per_network + static_cast<Index>(row_begin) * n;
    const Index staged = static_cast<Index>(row_end - row_begin) * n;
    for (Index k = threadIdx.x; k < staged; k += blockDim.x) rows[k] = T[k];
    Real* s = s_first;
    Real* s_next = s_second;
    for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) {
      s[i] = v.states[e * n + i];
      b[i] = v.bias[e * n + i];
    }
    if (threadIdx.x == 0) {
      hash = 0;
      changed = 0;
      done = 0;
    }
    std::uint64_t* const ring = v.rings + e * (max_period + 1);
    cluster.sync();
    if (first_step == 0) {  // CycleHistory::start with the initial state's fingerprint
      add_word_hashes(s, s, row_begin, row_end, hash0);
      cluster.sync();
      if (rank == 0 && threadIdx.x == 0) {
        ring[0] = hash;
        st->ring_size = 1;
        st->ring_next = 1;
        hash = 0;
      }
      cluster.sync();
    }
    const BlockWeights<W> local{rows, nullptr};  // row i of T is local row i − row_begin
    for (Index step = first_step + 1; step <= last_step; ++step) {
      for (int i = row_begin + warp; i < row_end; i += warps) {
        const Real f = row_dot(v, local, i - row_begin, s, lane);
        const Real next = core::sign_update(f + b[i], s[i]);
        for (int q = lane; q < blocks; q += kWarp) cluster.map_shared_rank(s_next, q)[i] = next;
      }
      cluster.sync();  // every block's s_next is complete
      if (add_word_hashes(s_next, s, row_begin, row_end, hash0)) {
        if (lane == 0) atomicOr(changed0, 1);
      }
      cluster.sync();  // block 0 holds the step's fingerprint and flag
      if (rank == 0 && threadIdx.x == 0) {
        done = end_of_step(*st, ring, max_period, step, changed != 0, hash) ? 1 : 0;
        hash = 0;
        changed = 0;
      }
      cluster.sync();  // the verdict is out
      Real* const old = s;
      s = s_next;
      s_next = old;
      if (*done0 != 0) break;
    }
    for (int i = row_begin + static_cast<int>(threadIdx.x); i < row_end;
         i += static_cast<int>(blockDim.x)) {
      v.states[e * n + i] = s[i];
    }
    cluster.sync();  // before the next network overwrites any block's shared memory
  }
#endif
}

// Asynchronous sweeps first_sweep + 1 … last_sweep of every network still running.
// Thread mapping: one warp per block; block g takes networks g, g + G, … one at a time. Each
// sweep the lanes draw the Fisher–Yates swaps in parallel (lane l draws positions l, l + 32, …,
// with the CPU engine's keys), lane 0 applies them in order from the identity, and the warp then
// updates the neurons one at a time in that order, each field a warp-wide row_dot of the current
// state. Bytes: as the synchronous kernel — a sweep reads each network's weights once, from
// shared memory when staged, else from global memory/L2; state, b and the order stay in shared
// memory.
template <class Real, class W>
__global__ void async_kernel(EnsembleView<Real, W> v, Index first_sweep, Index last_sweep,
                             core::CounterRng rng, std::uint64_t stream_offset) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  const int n = v.n;
  const int lane = static_cast<int>(threadIdx.x);  // blockDim.x == kWarp
  Real* const s = reinterpret_cast<Real*>(shared_bytes);
  Real* const b = s + n;
  W* const shared_T = reinterpret_cast<W*>(b + n);
  auto* const order = reinterpret_cast<std::uint32_t*>(reinterpret_cast<unsigned char*>(shared_T) +
                                                       staged_weight_bytes(v));
  std::uint32_t* const draws = order + n;
  auto* const shared_cols = reinterpret_cast<std::int32_t*>(draws + n);

  for (Index e = blockIdx.x; e < v.count; e += gridDim.x) {
    NetworkStatus* const st = v.status + e;
    if (st->outcome != kRunning) continue;  // read by every lane before lane 0 writes it
    const BlockWeights<W> T = stage_weights(v, e, shared_T, shared_cols);
    for (int i = lane; i < n; i += kWarp) {
      s[i] = v.states[e * n + i];
      b[i] = v.bias[e * n + i];
    }
    __syncwarp();
    const auto stream = static_cast<std::uint32_t>(stream_offset + static_cast<std::uint64_t>(e));
    Index sweep = first_sweep;
    bool fixed = false;  // the same in every lane: each computes it from the same values
    while (sweep < last_sweep && !fixed) {
      ++sweep;
      // The CPU's order: partners drawn in parallel, applied in order by lane 0.
      for (int pos = lane + 1; pos < n; pos += kWarp) {
        draws[pos] = core::async_swap_partner(rng, stream, sweep, n, pos);
      }
      __syncwarp();
      if (lane == 0) core::apply_swaps(order, draws, n);
      __syncwarp();
      int flips = 0;
      for (int k = 0; k < n; ++k) {
        const int i = static_cast<int>(order[k]);
        const Real f = row_dot(v, T, i, s, lane);
        const Real old = s[i];
        const Real next = core::sign_update(f + b[i], old);
        __syncwarp();  // every lane has read s before lane 0 writes s_i …
        if (lane == 0) s[i] = next;
        __syncwarp();  // … and sees the write before the next field
        flips += next != old ? 1 : 0;
      }
      fixed = flips == 0;
    }
    if (lane == 0) {
      st->steps = sweep;
      if (fixed) st->outcome = kFixedPoint;
    }
    for (int i = lane; i < n; i += kWarp) v.states[e * n + i] = s[i];
    __syncwarp();  // before the next network overwrites shared memory
  }
}

template <class Values>  // a vector or a core::Buffer
DeviceBuffer<typename Values::value_type> to_device(const Values& host) {
  DeviceBuffer<typename Values::value_type> device(host.size());
  if (!host.empty()) {
    ATTRACTOR_CUDA_CHECK(
        cudaMemcpy(device.data(), host.data(), device.bytes(), cudaMemcpyHostToDevice));
  }
  return device;
}

template <class Real>
std::vector<Real> to_real(const std::vector<double>& values) {
  std::vector<Real> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(),
                 [](double x) { return static_cast<Real>(x); });
  return out;
}

// The launch of `kernel` over the ensemble (ensemble_launch: the weights are staged in shared
// memory whenever they fit beside the state; a state alone too large for the device is an
// InputError, since this engine is for many small networks), with the kernel opted in to the
// dynamic shared memory it takes.
template <class Kernel>
std::size_t static_shared_bytes(Kernel* kernel) {
  cudaFuncAttributes attributes{};
  ATTRACTOR_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
  return attributes.sharedSizeBytes;
}

// Synchronous ensembles may take a cluster plan (sm_90 on): `cluster_kernel`'s static shared
// memory counts too, and it is opted in as well.
template <class Kernel, class ClusterKernel = Kernel>
EnsembleLaunch plan_launch(Kernel* kernel, const EnsembleShape& ensemble, int device,
                           ClusterKernel* cluster_kernel = nullptr) {
  int optin = 0, major = 0;
  ATTRACTOR_CUDA_CHECK(
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  ATTRACTOR_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  std::size_t fixed = static_shared_bytes(kernel);
  if (cluster_kernel != nullptr) fixed = std::max(fixed, static_shared_bytes(cluster_kernel));
  const std::int64_t max_cluster =
      cluster_kernel != nullptr && major >= 9 ? kMaxPortableCluster : 1;
  const EnsembleLaunch launch =
      ensemble_launch(ensemble, static_cast<std::size_t>(optin), fixed, max_cluster);
  const auto bytes = static_cast<int>(launch.shape.shared_bytes);
  if (launch.cluster > 1) {
    ATTRACTOR_CUDA_CHECK(
        cudaFuncSetAttribute(cluster_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  } else {
    ATTRACTOR_CUDA_CHECK(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  }
  return launch;
}

// The ensemble's operations for core::run_ensemble, with weights of type W (the stack converted
// to Real, or its exact int8 integers over `denominator`): everything uploaded once, then each
// advance is one fused launch over all networks and one download of their statuses.
template <class Real, class W>
class CudaEnsembleStepper final : public core::EnsembleStepper {
 public:
  CudaEnsembleStepper(const core::Ensemble& ensemble, const core::StateBatch& states,
                      const core::RunOptions& options, int device,
                      const std::vector<W>& weight_values, double denominator)
      : options_(options), count_(ensemble.count), n_(ensemble.n),
        sync_(options.dynamics == core::Dynamics::DiscreteSync) {
    const auto* csr = std::get_if<core::Ensemble::SharedCsr>(&ensemble.weights);
    const Index per_network = csr ? static_cast<Index>(csr->pattern.col_idx.size()) : n_ * n_;
    const EnsembleShape shape{count_,         n_,           per_network, sync_,
                              csr != nullptr, sizeof(Real), sizeof(W)};
    launch_ = sync_ ? plan_launch(sync_kernel<Real, W>, shape, device, sync_cluster_kernel<Real, W>)
                    : plan_launch(async_kernel<Real, W>, shape, device);
    std::vector<double> bias(static_cast<std::size_t>(count_ * n_));  // b = h − a, in float64
    for (std::size_t k = 0; k < bias.size(); ++k) {
      bias[k] = (ensemble.bias.empty() ? 0.0 : ensemble.bias[k]) - ensemble.threshold;
    }
    weights_ = to_device(weight_values);
    if (csr != nullptr) {
      col_idx_ = to_device(csr->pattern.col_idx);
      row_ptr_ = to_device(csr->pattern.row_ptr);
    }
    bias_ = to_device(to_real<Real>(bias));
    states_ = to_device(to_real<Real>(states.values));
    status_ = DeviceBuffer<NetworkStatus>(static_cast<std::size_t>(count_));
    ATTRACTOR_CUDA_CHECK(cudaMemset(status_.data(), 0, status_.bytes()));
    rings_ = DeviceBuffer<std::uint64_t>(
        sync_ ? static_cast<std::size_t>(count_) * static_cast<std::size_t>(options.max_period + 1)
              : 0);
    view_ = EnsembleView<Real, W>{weights_.data(), col_idx_.data(), row_ptr_.data(),
                                  bias_.data(),    states_.data(),  status_.data(),
                                  rings_.data(),   count_,          static_cast<int>(n_),
                                  per_network,     csr != nullptr,  launch_.weights_in_shared,
                                  denominator};
    // About kSyncVisitsPerLaunch (kAsyncVisitsPerLaunch) weight and state visits per launch:
    // long enough to hide the launch, short enough for progress and an early end.
    const double visits = static_cast<double>(count_) * static_cast<double>(per_network + n_);
    const double per_launch = sync_ ? kSyncVisitsPerLaunch : kAsyncVisitsPerLaunch;
    // Staged weights are loaded once per network per launch: at least kStagedSteps steps a
    // launch, so loading does not cost as much as stepping.
    const double fewest = launch_.weights_in_shared ? kStagedSteps : 1.0;
    chunk_ =
        static_cast<Index>(std::clamp(std::max(per_launch / visits, fewest), 1.0,
                                      static_cast<double>(std::max<Index>(options.max_steps, 1))));
  }

  std::int64_t chunk() const override { return chunk_; }

  void advance(std::int64_t until, std::vector<core::StateResult>& results) override {
    if (launch_.cluster > 1) {
      launch_cluster_kernel(sync_cluster_kernel<Real, W>, launch_.shape, launch_.cluster, nullptr,
                            view_, done_, until, options_.max_period,
                            static_cast<int>(launch_.rows_per_block));
    } else if (sync_) {
      launch_kernel(sync_kernel<Real, W>, launch_.shape, nullptr, view_, done_, until,
                    options_.max_period);
    } else {
      launch_kernel(async_kernel<Real, W>, launch_.shape, nullptr, view_, done_, until,
                    core::CounterRng{options_.seed}, options_.stream_offset);
    }
    done_ = until;
    // Same (default) stream: the copy follows the kernel and reports any error it raised.
    std::vector<NetworkStatus> status(static_cast<std::size_t>(count_));
    ATTRACTOR_CUDA_CHECK(
        cudaMemcpy(status.data(), status_.data(), status_.bytes(), cudaMemcpyDeviceToHost));
    for (Index e = 0; e < count_; ++e) {
      const NetworkStatus& st = status[static_cast<std::size_t>(e)];
      auto& r = results[static_cast<std::size_t>(e)];
      r.steps = st.steps;
      r.outcome = st.outcome == kFixedPoint   ? core::Outcome::FixedPoint
                  : st.outcome == kLimitCycle ? core::Outcome::LimitCycle
                                              : core::Outcome::Wandering;
      r.period = st.outcome == kLimitCycle ? st.period : 0;
    }
  }

  void store(core::StateBatch& states) override {
    std::vector<Real> final_states(states.values.size());
    ATTRACTOR_CUDA_CHECK(
        cudaMemcpy(final_states.data(), states_.data(), states_.bytes(), cudaMemcpyDeviceToHost));
    std::transform(final_states.begin(), final_states.end(), states.values.begin(),
                   [](Real x) { return static_cast<double>(x); });
  }

 private:
  const core::RunOptions& options_;
  Index count_, n_;
  bool sync_;
  EnsembleLaunch launch_{};
  DeviceBuffer<W> weights_;
  DeviceBuffer<std::int32_t> col_idx_;
  DeviceBuffer<std::int64_t> row_ptr_;
  DeviceBuffer<Real> bias_, states_;
  DeviceBuffer<NetworkStatus> status_;
  DeviceBuffer<std::uint64_t> rings_;
  EnsembleView<Real, W> view_{};
  Index chunk_ = 1;
  Index done_ = 0;
};

template <class Real>
core::RunResult run_ensemble(const core::Ensemble& ensemble, core::StateBatch& states,
                             const core::RunOptions& options, int device) {
  if (ensemble.count == 0 || options.max_steps == 0) {  // no work: nothing to upload
    struct Idle final : core::EnsembleStepper {
      std::int64_t chunk() const override { return 1; }
      void advance(std::int64_t, std::vector<core::StateResult>&) override {}
      void store(core::StateBatch&) override {}
    } idle;
    return core::run_ensemble(ensemble, states, options, idle);
  }
  const auto* dense = std::get_if<core::Ensemble::DenseStack>(&ensemble.weights);
  const auto form = dense != nullptr ? core::exact_integer_form(
                                           dense->values.data(),
                                           static_cast<Index>(dense->values.size()), ensemble.n)
                                     : std::nullopt;
  if (form && form->storage == core::IntegerStorage::Int8) {
    const std::vector<std::int8_t> k(form->values.begin(), form->values.end());
    CudaEnsembleStepper<Real, std::int8_t> stepper(ensemble, states, options, device, k,
                                                   static_cast<double>(form->denominator));
    return core::run_ensemble(ensemble, states, options, stepper);
  }
  const std::vector<double>& values =
      dense != nullptr ? dense->values
                       : std::get<core::Ensemble::SharedCsr>(ensemble.weights).values;
  CudaEnsembleStepper<Real, Real> stepper(ensemble, states, options, device, to_real<Real>(values),
                                          1.0);
  return core::run_ensemble(ensemble, states, options, stepper);
}

}  // namespace

CudaEnsembleEngine::CudaEnsembleEngine(core::Precision precision, int device)
    : precision_(precision), device_(device) {}

core::RunResult CudaEnsembleEngine::run(const core::Ensemble& ensemble, core::StateBatch& states,
                                        const core::RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  core::check_ensemble_run(ensemble, states, options);
  const DeviceGuard guard(device_);
  core::RunResult out = precision_ == core::Precision::Float32
                            ? run_ensemble<float>(ensemble, states, options, device_)
                            : run_ensemble<double>(ensemble, states, options, device_);
  out.backend = "cuda";
  out.precision = precision_;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace attractor::cuda
