// The controlled-plasticity batch on the GPU (attractor/cuda/cuda_control.hpp). Every kernel gives
// one thread block one problem of the batch; the formulas are core/control.hpp's, shared with the
// CPU reference (host/src/engine/cpu_control_batch.cpp), and every sum over a problem's entries is
// taken in a fixed order that depends only on its size, so reruns reproduce every bit.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/control.hpp"
#include "attractor/core/error.hpp"
#include "attractor/cuda/cuda_control.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "launch.hpp"
#include "reduce.cuh"
#include "resources.hpp"

namespace attractor::cuda {

namespace {

using Index = std::int64_t;
constexpr int kBlock = 256;
// Trajectory scratch takes at most this share of the memory free after the batch's vectors, so
// that cuBLAS workspaces and the engine's continuations still fit beside it.
constexpr double kScratchShare = 0.8;

// The network and the discretized problem on the device, passed by value to every launch.
struct NetView {
  const Index* row_ptr;            // union pattern, N + 1
  const std::int32_t* col_idx;     // S
  const double* A;                 // S: A_ij (0 on silent entries)
  const double* bound;             // S: K or k
  const double* b;                 // N
  const Index* column_ptr;         // the pattern by columns, N + 1
  const Index* column_entry;       // S
  const std::int32_t* column_row;  // S
  const double* A_by_column;       // S: A in the column order (A[column_entry[q]])
  const double* step_weight;       // w_k, steps
  const double* W;                 // W_c, intervals
  Index n, synapses, steps, steps_per_interval, intervals;
  double mu, dt, gain;
  core::ActivationKind kind;
  int group;  // lanes per row in the row passes: a power of two ≤ 32 near the mean row length
};

// One launch slot's trajectory: u_k (steps + 1 states) and X_k (steps), which the adjoint pass
// overwrites in place with V_k = g(u_k) and q_k once it has read them; V_k and V_{k+1} of the
// forward pass; λ of the adjoint, and the current interval's ξ in the column order.
struct Scratch {
  double* u;
  double* X;
  double* V;
  double* lambda;
  double* xi_by_column;
};

__device__ Scratch slot_of(const Scratch& s, const NetView& v, Index slot) {
  return {s.u + slot * (v.steps + 1) * v.n, s.X + slot * v.steps * v.n, s.V + slot * 2 * v.n,
          s.lambda + slot * v.n, s.xi_by_column + slot * v.synapses};
}

// Row i's Σ_e (A_e + ξ_e) V[col_e] by a group of kGroup consecutive lanes: lane l of the group
// takes entries l, l + kGroup, … (consecutive lanes read consecutive entries), warp_sum adds them
// within the group (a logical warp of kGroup lanes), and the group's first lane holds the total.
// Every lane of the warp must call it (rows ≥ N contribute nothing), so the shuffles are
// convergent.
template <int kGroup>
__device__ double row_product(const NetView& v, const double* xi, const double* V, Index i,
                              int lane_in_group) {
  double partial = 0.0;
  if (i < v.n) {
    const Index end = v.row_ptr[i + 1];
    for (Index e = v.row_ptr[i] + lane_in_group; e < end; e += kGroup) {
      partial += (v.A[e] + xi[e]) * V[v.col_idx[e]];
    }
  }
  return warp_sum<kGroup>(partial);
}

// Sums and maxima over one problem's entries, by its block: every launch here has kBlock threads.
using ProblemReduction = BlockReduction<double, kBlock>;

// Forward pass of listed problem `first + blockIdx.x` (p = which[…]) under `controls` (B × dim):
//   u_{k+1} = u_k + dt X_k,  X_k = (A + ξ_c(k)) g(u_k) − u_k + b,
// keeping u_k and X_k in the block's slot, then J's terms (4 values per listed problem in
// `costs`) and u at the horizon into u_final (B × N). Thread mapping: groups of kGroup = v.group
// lanes own rows r, r + rows_per_pass, … (row_product); one barrier per step, V double-buffered.
// Bytes per step: the row's ξ (8 B/synapse, coalesced within a group) plus A, columns and V[col],
// which the L1/L2 caches serve for every problem after the first.
template <int kGroup>
__global__ void __launch_bounds__(kBlock)
    forward_kernel(NetView v, const double* controls, const double* u0, const Index* which,
                   Index first, Scratch scratch, double* u_final, double* costs) {
  __shared__ ProblemReduction::TempStorage storage;
  const Index listed = first + blockIdx.x;
  const Index p = which[listed];
  const Index n = v.n, dim = v.intervals * v.synapses;
  const Scratch s = slot_of(scratch, v, blockIdx.x);
  const double* xi_all = controls + p * dim;
  const auto tid = static_cast<Index>(threadIdx.x), threads = static_cast<Index>(blockDim.x);
  for (Index i = tid; i < n; i += threads) {
    s.u[i] = u0[p * n + i];
    s.V[i] = core::activate(v.kind, v.gain, s.u[i]);
  }
  __syncthreads();
  const int lane_in_group = static_cast<int>(threadIdx.x) % kGroup;
  const Index first_row = tid / kGroup, rows_per_pass = threads / kGroup;
  double state_acc = 0.0;
  for (Index k = 0; k < v.steps; ++k) {
    const double* xi = xi_all + (k / v.steps_per_interval) * v.synapses;
    const double* Vk = s.V + (k & 1) * n;
    double* V_next = s.V + ((k + 1) & 1) * n;
    const double* uk = s.u + k * n;
    double* u_next = s.u + (k + 1) * n;
    double* Xk = s.X + k * n;
    const double w = v.step_weight[k];
    for (Index r = 0; r < n; r += rows_per_pass) {
      const Index i = r + first_row;
      const double product = row_product<kGroup>(v, xi, Vk, i, lane_in_group);
      if (lane_in_group == 0 && i < n) {
        const double X = product + v.b[i] - uk[i];
        Xk[i] = X;
        const double next = uk[i] + v.dt * X;
        u_next[i] = next;
        V_next[i] = core::activate(v.kind, v.gain, next);
        state_acc += w * X * X;
      }
    }
    __syncthreads();
  }
  // |X| at the horizon under the last interval's control.
  const double* xi_last = xi_all + (v.intervals - 1) * v.synapses;
  const double* V_end = s.V + (v.steps & 1) * n;
  const double* u_end = s.u + v.steps * n;
  double final_acc = 0.0;
  for (Index r = 0; r < n; r += rows_per_pass) {
    const Index i = r + first_row;
    const double product = row_product<kGroup>(v, xi_last, V_end, i, lane_in_group);
    if (lane_in_group == 0 && i < n) {
      const double X = product + v.b[i] - u_end[i];
      final_acc += X * X;
    }
  }
  // μ Σ_c W_c |ξ_c|²: each interval's norm by one block reduction. The sums land in thread 0,
  // which alone writes the costs; the barrier after each lets the next reuse `storage`.
  double control = 0.0;
  for (Index c = 0; c < v.intervals; ++c) {
    const double* xi = xi_all + c * v.synapses;
    double part = 0.0;
    for (Index e = tid; e < v.synapses; e += threads) part += xi[e] * xi[e];
    control += v.W[c] * ProblemReduction(storage).Sum(part);
    __syncthreads();
  }
  const double state = (1.0 - v.mu) * ProblemReduction(storage).Sum(state_acc);
  __syncthreads();
  const double final2 = ProblemReduction(storage).Sum(final_acc);
  for (Index i = tid; i < n; i += threads) u_final[p * n + i] = u_end[i];
  if (threadIdx.x == 0) {
    double* out = costs + listed * 4;
    out[0] = state + v.mu * control;
    out[1] = state;
    out[2] = v.mu * control;
    out[3] = sqrt(final2);
  }
}

// Adjoint pass of the same problem over the trajectory its forward pass left in the slot,
// writing ∂J/∂ξ into gradient (B × dim):
//   q_k = 2(1−μ) w_k X_k + dt λ_{k+1},  λ_k = λ_{k+1} + g'(u_k) ∘ ((A + ξ)ᵀ q_k) − q_k,
//   ∂J/∂ξ_ij = Σ_{k in c} q_{k,i} g(u_{k,j}) + 2μ W_c ξ_ij.
// Thread mapping: thread t owns neurons t, t + blockDim, … for q and λ, and sums column j's
// entries in increasing row order (the CPU's order) for (A + ξ)ᵀ q — no atomics. ξ's scattered
// reads in that order happen once per interval, into the slot's column-ordered copy, instead of
// once per step. When a step opens its interval, groups of lanes own rows and each lane sums its
// entries' gradient over the interval's steps, latest first (the CPU's order), reading q and V
// from the slot: the gradient is written once per interval, 8 B per synapse.
__global__ void __launch_bounds__(kBlock)
    backward_kernel(NetView v, const double* controls, const Index* which, Index first,
                    Scratch scratch, double* gradient) {
  const Index p = which[first + blockIdx.x];
  const Index n = v.n, dim = v.intervals * v.synapses;
  const Scratch s = slot_of(scratch, v, blockIdx.x);
  const double* xi_all = controls + p * dim;
  double* grad_all = gradient + p * dim;
  const auto tid = static_cast<Index>(threadIdx.x), threads = static_cast<Index>(blockDim.x);
  for (Index i = tid; i < n; i += threads) s.lambda[i] = 0.0;
  __syncthreads();
  const int lane_in_group = static_cast<int>(threadIdx.x) % v.group;
  const Index first_row = tid / v.group, rows_per_pass = threads / v.group;
  for (Index k = v.steps - 1; k >= 0; --k) {
    const Index c = k / v.steps_per_interval;
    const double* xi = xi_all + c * v.synapses;
    double* uk = s.u + k * n;
    double* qk = s.X + k * n;
    const double w = v.step_weight[k];
    // The interval's last step comes first: copy its ξ into the column order (read after the
    // barrier below; the previous interval's reads ended at the barrier after them).
    if ((k + 1) % v.steps_per_interval == 0) {
      for (Index q = tid; q < v.synapses; q += threads) {
        s.xi_by_column[q] = xi[v.column_entry[q]];
      }
    }
    for (Index i = tid; i < n; i += threads) {
      qk[i] = core::adjoint_source(v.mu, w, qk[i], v.dt, s.lambda[i]);
    }
    __syncthreads();
    for (Index j = tid; j < n; j += threads) {
      double Mtq = 0.0;
      for (Index q = v.column_ptr[j]; q < v.column_ptr[j + 1]; ++q) {
        Mtq += (v.A_by_column[q] + s.xi_by_column[q]) * qk[v.column_row[q]];
      }
      const double u = uk[j];
      s.lambda[j] += core::activate_slope(v.kind, v.gain, u) * Mtq - qk[j];
      uk[j] = core::activate(v.kind, v.gain, u);
    }
    __syncthreads();
    if (k % v.steps_per_interval != 0) continue;
    const Index k_last = k + v.steps_per_interval - 1;
    const double decay = 2.0 * v.mu * v.W[c];
    double* grad = grad_all + c * v.synapses;
    for (Index i = first_row; i < n; i += rows_per_pass) {
      for (Index e = v.row_ptr[i] + lane_in_group; e < v.row_ptr[i + 1]; e += v.group) {
        const Index j = v.col_idx[e];
        double acc = 0.0;
        for (Index kk = k_last; kk >= k; --kk) acc += s.X[kk * n + i] * s.u[kk * n + j];
        grad[e] = acc + decay * xi[e];
      }
    }
  }
}

// d = P(x − α D g) − x for listed problem first + blockIdx.x, with ‖P(x − D g) − x‖∞
// and gᵀd into out[2·listed ..]. Thread t owns entries t, t + blockDim, … of each interval:
// 32 B read and 8 B written per entry, coalesced.
__global__ void __launch_bounds__(kBlock)
    directions_kernel(NetView v, const double* x, const double* g, double* d, const Index* which,
                      Index first, const double* alpha, double* out) {
  __shared__ ProblemReduction::TempStorage max_storage;
  __shared__ ProblemReduction::TempStorage sum_storage;
  const Index listed = first + blockIdx.x;
  const Index p = which[listed];
  const Index dim = v.intervals * v.synapses;
  const double a = alpha[listed];
  double worst = 0.0, slope = 0.0;
  for (Index c = 0; c < v.intervals; ++c) {
    const double one_over_W = 1.0 / v.W[c], alpha_over_W = a / v.W[c];
    const Index offset = p * dim + c * v.synapses;
    for (Index e = threadIdx.x; e < v.synapses; e += blockDim.x) {
      const double xe = x[offset + e], ge = g[offset + e], bound = v.bound[e];
      worst = fmax(worst, fabs(core::projected_step(xe, ge, one_over_W, bound)));
      const double de = core::projected_step(xe, ge, alpha_over_W, bound);
      d[offset + e] = de;
      slope += ge * de;
    }
  }
  // In thread 0, which alone writes them.
  worst = ProblemReduction(max_storage).Reduce(worst, Fmax{});
  slope = ProblemReduction(sum_storage).Sum(slope);
  if (threadIdx.x == 0) {
    out[2 * listed] = worst;
    out[2 * listed + 1] = slope;
  }
}

// t = P(x + θ d) for listed problem first + blockIdx.x: the controlled step with its bound.
__global__ void __launch_bounds__(kBlock)
    trial_kernel(NetView v, const double* x, const double* d, double* t, const Index* which,
                 Index first, const double* theta) {
  const Index listed = first + blockIdx.x;
  const Index p = which[listed];
  const Index dim = v.intervals * v.synapses;
  const double th = theta[listed];
  for (Index c = 0; c < v.intervals; ++c) {
    const Index offset = p * dim + c * v.synapses;
    for (Index e = threadIdx.x; e < v.synapses; e += blockDim.x) {
      t[offset + e] = core::trial_point(x[offset + e], d[offset + e], th, v.bound[e]);
    }
  }
}

// x ← t, g ← g_t and u_final ← u_final of the trial for listed problem first + blockIdx.x,
// with s = t − x: sᵀD⁻¹s = Σ_c W_c |s_c|² and sᵀ(g_t − g) into out[2·listed ..].
__global__ void __launch_bounds__(kBlock)
    accept_kernel(NetView v, double* x, double* g, const double* t, const double* gt,
                  double* u_final, const double* u_final_trial, const Index* which, Index first,
                  double* out) {
  __shared__ ProblemReduction::TempStorage storage;
  const Index listed = first + blockIdx.x;
  const Index p = which[listed];
  const Index dim = v.intervals * v.synapses;
  double sDs = 0.0, sy = 0.0;
  for (Index c = 0; c < v.intervals; ++c) {
    const Index offset = p * dim + c * v.synapses;
    double ss = 0.0;
    for (Index e = threadIdx.x; e < v.synapses; e += blockDim.x) {
      const double step = t[offset + e] - x[offset + e];
      ss += step * step;
      sy += step * (gt[offset + e] - g[offset + e]);
      x[offset + e] = t[offset + e];
      g[offset + e] = gt[offset + e];
    }
    // In thread 0, which alone writes the sums; the barrier lets the next reuse `storage`.
    sDs += v.W[c] * ProblemReduction(storage).Sum(ss);
    __syncthreads();
  }
  sy = ProblemReduction(storage).Sum(sy);
  for (Index i = threadIdx.x; i < v.n; i += blockDim.x) {
    u_final[p * v.n + i] = u_final_trial[p * v.n + i];
  }
  if (threadIdx.x == 0) {
    out[2 * listed] = sDs;
    out[2 * listed + 1] = sy;
  }
}

template <class Values>  // a vector or a core::Buffer
DeviceBuffer<typename Values::value_type> upload_vector(const Values& host, cudaStream_t stream) {
  DeviceBuffer<typename Values::value_type> device(host.size());
  upload(host.data(), device.data(), host.size(), stream);
  return device;
}

// A block per listed problem.
LaunchSlices problem_launches(const std::vector<Index>& which) {
  return block_per_item_launches(static_cast<Index>(which.size()), kBlock);
}

// Lanes per row: the power of two at or above the mean row length, at most a warp.
int lanes_per_row(Index synapses, Index n) {
  const double mean = static_cast<double>(synapses) / static_cast<double>(n);
  int group = 1;
  while (group < kWarp && group < mean) group *= 2;
  return group;
}

// The forward pass for `group` lanes per row (one of lanes_per_row's values).
auto forward_kernel_for(int group) {
  switch (group) {
    case 1: return forward_kernel<1>;
    case 2: return forward_kernel<2>;
    case 4: return forward_kernel<4>;
    case 8: return forward_kernel<8>;
    case 16: return forward_kernel<16>;
    default: return forward_kernel<32>;
  }
}

}  // namespace

struct CudaControlBatch::Impl {
  Resources resources;
  // The network and problem.
  DeviceBuffer<Index> row_ptr, column_ptr, column_entry;
  DeviceBuffer<std::int32_t> col_idx, column_row;
  DeviceBuffer<double> A, A_by_column, bound, b, step_weight, W;
  // The batch: B × dim (x, g, d, t, g_t) and B × N (u0, u_final, u_final of the trial).
  DeviceBuffer<double> u0, x, g, d, t, gt, u_final, u_final_trial;
  // Launch scratch: `per_launch` slots of trajectories; the listed problems and their scalars.
  DeviceBuffer<double> traj_u, traj_X, V, lambda, xi_by_column;
  DeviceBuffer<Index> which;
  DeviceBuffer<double> scalars, results;
  NetView view{};
  Index batch = 0, dim = 0, per_launch = 0;

  Scratch scratch() {
    return {traj_u.data(), traj_X.data(), V.data(), lambda.data(), xi_by_column.data()};
  }

  // Uploads the listed problems and one scalar each.
  void list(const std::vector<Index>& listed, const std::vector<double>& values) {
    upload(listed.data(), which.data(), listed.size(), resources.stream());
    upload(values.data(), scalars.data(), values.size(), resources.stream());
  }

  // Forward and adjoint passes of the listed problems (already in `which`) under `controls`, in
  // launches of at most per_launch problems; J's terms come back in listed order.
  void evaluate(Index count, const double* controls, double* gradient, double* u_end,
                std::vector<core::CostTerms>& out) {
    const cudaStream_t stream = resources.stream();
    for (const LaunchSlice& slice : block_per_item_launches(count, kBlock, per_launch)) {
      launch_kernel(forward_kernel_for(view.group), slice.shape, stream, view, controls, u0.data(),
                    which.data(), slice.first_item, scratch(), u_end, results.data());
      launch_kernel(backward_kernel, slice.shape, stream, view, controls, which.data(),
                    slice.first_item, scratch(), gradient);
    }
    std::vector<double> host(static_cast<std::size_t>(4 * count));
    download(results.data(), host.data(), host.size(), stream);
    resources.synchronize();
    out.resize(static_cast<std::size_t>(count));
    for (Index l = 0; l < count; ++l) {
      out[l] = {host[4 * l], host[4 * l + 1], host[4 * l + 2], host[4 * l + 3]};
    }
  }

  // Two scalars per listed problem from `results`.
  std::vector<double> pairs(Index count) {
    std::vector<double> host(static_cast<std::size_t>(2 * count));
    download(results.data(), host.data(), host.size(), resources.stream());
    resources.synchronize();
    return host;
  }
};

CudaControlBatch::CudaControlBatch(int device, std::int64_t max_problems_per_launch)
    : device_(device), max_per_launch_(max_problems_per_launch) {
  core::require(max_problems_per_launch >= 0, "control batch",
                "max_problems_per_launch must not be negative");
  const DeviceGuard guard(device_);
  impl_ = std::make_unique<Impl>();
}

CudaControlBatch::~CudaControlBatch() = default;

std::int64_t CudaControlBatch::problems_per_launch() const { return impl_->per_launch; }

void CudaControlBatch::start(const core::ControlledNetwork& net,
                             const core::ControlProblem& problem, const core::ControlPlan& plan,
                             const std::vector<double>& u0,
                             const std::vector<double>& initial_controls,
                             std::vector<core::CostTerms>& costs) {
  const Index batch = core::check_batch(net, problem, plan, u0, initial_controls);
  const Index n = net.n(), synapses = net.synapses(), dim = problem.intervals * synapses;
  const DeviceGuard guard(device_);
  // Release the previous batch before measuring what fits.
  impl_.reset();
  impl_ = std::make_unique<Impl>();
  auto& m = *impl_;
  const cudaStream_t stream = m.resources.stream();

  // Everything the batch keeps, checked before anything is allocated.
  const auto doubles = [](Index count) { return static_cast<std::size_t>(count) * sizeof(double); };
  const std::size_t network_bytes =
      (2 * static_cast<std::size_t>(n + 1) + static_cast<std::size_t>(synapses)) * sizeof(Index) +
      2 * static_cast<std::size_t>(synapses) * sizeof(std::int32_t) +
      doubles(3 * synapses + n + plan.steps + problem.intervals);
  const std::size_t batch_bytes = doubles(5 * batch * dim + 3 * batch * n) +
                                  static_cast<std::size_t>(batch) * sizeof(Index) +
                                  doubles(batch + 4 * batch);
  check_allocation(network_bytes + batch_bytes);

  std::vector<double> bounds(static_cast<std::size_t>(synapses));
  for (Index i = 0; i < n; ++i) {
    for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) bounds[e] = net.bound(i, e);
  }
  std::vector<double> weights(static_cast<std::size_t>(plan.steps));
  for (Index k = 0; k < plan.steps; ++k) weights[k] = core::step_weight(problem, k);
  std::vector<std::int32_t> column_row(net.column_row.begin(), net.column_row.end());
  std::vector<double> A_by_column(static_cast<std::size_t>(synapses));
  for (Index q = 0; q < synapses; ++q) A_by_column[q] = net.T.values[net.column_entry[q]];
  m.row_ptr = upload_vector(net.T.row_ptr, stream);
  m.col_idx = upload_vector(net.T.col_idx, stream);
  m.A = upload_vector(net.T.values, stream);
  m.A_by_column = upload_vector(A_by_column, stream);
  m.bound = upload_vector(bounds, stream);
  m.b = upload_vector(net.b, stream);
  m.column_ptr = upload_vector(net.column_ptr, stream);
  m.column_entry = upload_vector(net.column_entry, stream);
  m.column_row = upload_vector(column_row, stream);
  m.step_weight = upload_vector(weights, stream);
  m.W = upload_vector(core::interval_weights(problem, plan), stream);

  m.u0 = upload_vector(u0, stream);
  const auto size = static_cast<std::size_t>(batch * dim);
  if (initial_controls.empty()) {
    m.x = DeviceBuffer<double>(size);
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(m.x.data(), 0, size * sizeof(double), stream));
  } else {
    std::vector<double> x = initial_controls;
    for (Index p = 0; p < batch; ++p) core::project(net, problem.intervals, x.data() + p * dim);
    m.x = upload_vector(x, stream);
  }
  m.g = DeviceBuffer<double>(size);
  m.d = DeviceBuffer<double>(size);
  m.t = DeviceBuffer<double>(size);
  m.gt = DeviceBuffer<double>(size);
  m.u_final = DeviceBuffer<double>(u0.size());
  m.u_final_trial = DeviceBuffer<double>(u0.size());
  m.which = DeviceBuffer<Index>(static_cast<std::size_t>(batch));
  m.scalars = DeviceBuffer<double>(static_cast<std::size_t>(batch));
  m.results = DeviceBuffer<double>(static_cast<std::size_t>(4 * batch));

  // Trajectory slots: as many problems per launch as the free memory allows.
  const std::size_t per_problem = doubles((2 * plan.steps + 1) * n + 3 * n + synapses);
  std::size_t bytes_free = 0, bytes_total = 0;
  ATTRACTOR_CUDA_CHECK(cudaMemGetInfo(&bytes_free, &bytes_total));
  const auto fit = static_cast<Index>(kScratchShare * static_cast<double>(bytes_free) /
                                      static_cast<double>(per_problem));
  if (fit < 1) throw OutOfDeviceMemory(per_problem, bytes_free, bytes_total);
  m.per_launch = std::min(batch, fit);
  if (max_per_launch_ > 0) m.per_launch = std::min(m.per_launch, max_per_launch_);
  m.traj_u = DeviceBuffer<double>(static_cast<std::size_t>(m.per_launch * (plan.steps + 1) * n));
  m.traj_X = DeviceBuffer<double>(static_cast<std::size_t>(m.per_launch * plan.steps * n));
  m.V = DeviceBuffer<double>(static_cast<std::size_t>(m.per_launch * 2 * n));
  m.lambda = DeviceBuffer<double>(static_cast<std::size_t>(m.per_launch * n));
  m.xi_by_column = DeviceBuffer<double>(static_cast<std::size_t>(m.per_launch * synapses));

  NetView& v = m.view;
  v.row_ptr = m.row_ptr.data();
  v.col_idx = m.col_idx.data();
  v.A = m.A.data();
  v.bound = m.bound.data();
  v.b = m.b.data();
  v.column_ptr = m.column_ptr.data();
  v.column_entry = m.column_entry.data();
  v.column_row = m.column_row.data();
  v.A_by_column = m.A_by_column.data();
  v.step_weight = m.step_weight.data();
  v.W = m.W.data();
  v.n = n;
  v.synapses = synapses;
  v.steps = plan.steps;
  v.steps_per_interval = plan.steps_per_interval;
  v.intervals = problem.intervals;
  v.mu = problem.mu;
  v.dt = problem.dt;
  v.gain = net.activation.gain;
  v.kind = net.activation.kind;
  v.group = lanes_per_row(synapses, n);
  m.batch = batch;
  m.dim = dim;

  std::vector<Index> all(static_cast<std::size_t>(batch));
  for (Index p = 0; p < batch; ++p) all[p] = p;
  upload(all.data(), m.which.data(), all.size(), stream);
  m.evaluate(batch, m.x.data(), m.g.data(), m.u_final.data(), costs);
}

void CudaControlBatch::directions(const std::vector<Index>& which, const std::vector<double>& alpha,
                                  std::vector<core::Direction>& out) {
  auto& m = *impl_;
  core::require(m.batch > 0, "control batch", "directions() before start()");
  out.assign(which.size(), {});
  if (which.empty()) return;
  const DeviceGuard guard(device_);
  m.list(which, alpha);
  for (const LaunchSlice& slice : problem_launches(which)) {
    launch_kernel(directions_kernel, slice.shape, m.resources.stream(), m.view, m.x.data(),
                  m.g.data(), m.d.data(), m.which.data(), slice.first_item, m.scalars.data(),
                  m.results.data());
  }
  const auto host = m.pairs(static_cast<Index>(which.size()));
  for (std::size_t l = 0; l < which.size(); ++l) out[l] = {host[2 * l], host[2 * l + 1]};
}

void CudaControlBatch::trials(const std::vector<Index>& which, const std::vector<double>& theta,
                              std::vector<core::CostTerms>& out) {
  auto& m = *impl_;
  core::require(m.batch > 0, "control batch", "trials() before start()");
  out.clear();
  if (which.empty()) return;
  const DeviceGuard guard(device_);
  m.list(which, theta);
  for (const LaunchSlice& slice : problem_launches(which)) {
    launch_kernel(trial_kernel, slice.shape, m.resources.stream(), m.view, m.x.data(), m.d.data(),
                  m.t.data(), m.which.data(), slice.first_item, m.scalars.data());
  }
  m.evaluate(static_cast<Index>(which.size()), m.t.data(), m.gt.data(), m.u_final_trial.data(),
             out);
}

void CudaControlBatch::accept(const std::vector<Index>& which, std::vector<core::Curvature>& out) {
  auto& m = *impl_;
  core::require(m.batch > 0, "control batch", "accept() before start()");
  out.assign(which.size(), {});
  if (which.empty()) return;
  const DeviceGuard guard(device_);
  upload(which.data(), m.which.data(), which.size(), m.resources.stream());
  for (const LaunchSlice& slice : problem_launches(which)) {
    launch_kernel(accept_kernel, slice.shape, m.resources.stream(), m.view, m.x.data(), m.g.data(),
                  m.t.data(), m.gt.data(), m.u_final.data(), m.u_final_trial.data(), m.which.data(),
                  slice.first_item, m.results.data());
  }
  const auto host = m.pairs(static_cast<Index>(which.size()));
  for (std::size_t l = 0; l < which.size(); ++l) out[l] = {host[2 * l], host[2 * l + 1]};
}

core::ControlState CudaControlBatch::read(Index p, bool with_gradient) {
  auto& m = *impl_;
  core::require(m.batch > 0, "control batch", "read() before start()");
  core::require(p >= 0 && p < m.batch, "control batch",
                "problem " + std::to_string(p) + " is not in the batch");
  const DeviceGuard guard(device_);
  const cudaStream_t stream = m.resources.stream();
  const auto dim = static_cast<std::size_t>(m.dim), n = static_cast<std::size_t>(m.view.n);
  core::ControlState state;
  state.controls.resize(dim);
  download(m.x.data() + p * m.dim, state.controls.data(), dim, stream);
  if (with_gradient) {
    state.gradient.resize(dim);
    download(m.g.data() + p * m.dim, state.gradient.data(), dim, stream);
  }
  state.u_final.resize(n);
  download(m.u_final.data() + p * m.view.n, state.u_final.data(), n, stream);
  m.resources.synchronize();
  return state;
}

}  // namespace attractor::cuda
