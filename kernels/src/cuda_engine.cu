// The CUDA engine (see attractor/cuda/cuda_engine.hpp): the operations of core::Stepper on device
// vectors. The run loop — which states run, outcomes, step control, sections, records — is
// core::run_dynamics, the one the CPU engine runs too.
#include "attractor/cuda/cuda_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "attractor/core/discrete.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/observers.hpp"
#include "attractor/core/run_dynamics.hpp"
#include "attractor/cuda/device.hpp"
#include "device_buffer.hpp"
#include "device_model.hpp"
#include "engine_kernels.cuh"
#include "resources.hpp"

namespace attractor::cuda {

namespace {

using core::Dynamics;

template <class Real>
std::vector<double> widened(const std::vector<Real>& values) {
  return std::vector<double>(values.begin(), values.end());
}

template <class Real>
class CudaStepper final : public core::Stepper {
 public:
  CudaStepper(const core::Network& network, const core::RunOptions& options, Index batch,
              const Resources& resources)
      : network_(network), options_(options), resources_(resources), stream_(resources.stream()),
        n_(network.size()), batch_(batch), slots_(std::max<Index>(batch, 1)),
        continuous_(options.dynamics == Dynamics::Continuous), rule_{core::is_glauber(
                                                                         options.dynamics),
                                                                     options.temperature,
                                                                     core::CounterRng{options.seed},
                                                                     options.stream_offset},
        plan_(DeviceModel<Real>::plan(network, !continuous_,
                                      !core::is_asynchronous(options.dynamics))) {
    check_allocation(plan_bytes());  // the whole plan, before any of it is allocated
    model_.emplace(network, slots_, !continuous_, plan_, resources);
    list_ = DeviceBuffer<int>(static_cast<std::size_t>(slots_));
    item_values_ = DeviceBuffer<double>(static_cast<std::size_t>(slots_));
  }

  void load(const core::StateBatch& states) override {
    const auto size = static_cast<std::size_t>(n_ * slots_);
    const auto per_state = static_cast<std::size_t>(slots_);
    s_ = DeviceBuffer<Real>(size);
    v_ = DeviceBuffer<Real>(size);
    tv_ = DeviceBuffer<Real>(size);
    steps_ = DeviceBuffer<Index>(per_state);
    zero(steps_);
    upload_states(states);
    switch (options_.dynamics) {
      case Dynamics::DiscreteSync:
      case Dynamics::GlauberSync: {
        const auto ring = static_cast<std::size_t>(options_.max_period) + 1;
        rings_ = DeviceBuffer<std::uint64_t>(per_state * ring);
        ring_size_ = DeviceBuffer<int>(per_state);
        ring_next_ = DeviceBuffer<int>(per_state);
        // Each ring starts with the loaded state's fingerprint, as core::CycleHistory::start.
        std::vector<std::uint64_t> first(per_state * ring, 0);
        for (Index b = 0; b < batch_; ++b) {
          first[static_cast<std::size_t>(b) * ring] = core::hash_signs(states.state(b), n_);
        }
        upload(first.data(), rings_.data(), first.size(), stream_);
        const std::vector<int> ones(per_state, 1), next(per_state, ring == 1 ? 0 : 1);
        upload(ones.data(), ring_size_.data(), ones.size(), stream_);
        upload(next.data(), ring_next_.data(), next.size(), stream_);
        frozen_ = DeviceBuffer<std::uint8_t>(per_state);
        taken_ = DeviceBuffer<Index>(per_state);
        break;
      }
      case Dynamics::DiscreteAsync:
      case Dynamics::GlauberAsync: {
        order_ = DeviceBuffer<std::uint32_t>(size);
        draws_ = DeviceBuffer<std::uint32_t>(size);
        settled_ = DeviceBuffer<int>(per_state);
        zero(settled_);
        const auto view = model_->view();
        sums_ = DeviceBuffer<double>(view.kind == WeightKind::Factored
                                         ? per_state * static_cast<std::size_t>(view.patterns)
                                         : 0);
        if (view.kind == WeightKind::Factored)
          model_->overlap_sums(s_.data(), sums_.data(), batch_);
        break;
      }
      case Dynamics::Continuous: {
        for (int s = 0; s < core::stage_count(options_.integrator); ++s) k_.emplace_back(size);
        stage_ = DeviceBuffer<Real>(size);
        u_prev_ = DeviceBuffer<Real>(size);
        f_prev_ = DeviceBuffer<Real>(size);
        sections_ = DeviceBuffer<Real>((static_cast<std::size_t>(options_.max_period) + 1) * size);
        for (auto* buffer : {&u_prev_, &f_prev_, &stage_, &sections_}) zero(*buffer);
        const std::vector<double> w = core::section_direction(options_.seed, n_);
        w_ = DeviceBuffer<double>(w.size());
        upload(w.data(), w_.data(), w.size(), stream_);
        const auto blocks = reduction_blocks_per_item(n_);
        const auto pair_slots = per_state * (static_cast<std::size_t>(options_.max_period) + 1);
        partials_ = DeviceBuffer<double>(pair_slots * static_cast<std::size_t>(blocks) * 6);
        sums_ = DeviceBuffer<double>(pair_slots * 6);
        last_slot_ = DeviceBuffer<int>(per_state);
        jobs_ = DeviceBuffer<HermiteJob>(per_state);
        pairs_ = DeviceBuffer<DevicePair>(pair_slots);
        break;
      }
    }
  }

  void store(core::StateBatch& states) override {
    const auto values = download_widened(s_.data(), n_ * batch_);
    std::copy(values.begin(), values.end(), states.values.begin());
  }

  core::Observation observe(const std::vector<Index>& which, bool with_tx) override {
    core::Observation o;
    const auto m = static_cast<Index>(which.size());
    if (m == 0) return o;
    const int* list = set_list(which);
    gather(s_.data(), list, m, false, v_.data());
    o.state = download_widened(v_.data(), n_ * m);
    if (continuous_) {
      gather(s_.data(), list, m, true, v_.data());
      o.x = download_widened(v_.data(), n_ * m);
    }
    if (with_tx) {
      model_->multiply(v_.data(), tv_.data(), m);
      o.tx = download_widened(tv_.data(), n_ * m);
    }
    return o;
  }

  // The listed states are gathered into a compact block (v_), take the chunk's steps there with
  // no host round trip — per step one product, the fused update, and the classify kernel that
  // freezes the columns whose trajectory ended — and are scattered back. One download of the
  // chunk's flags at the end.
  void sync_steps(const std::vector<Index>& which, Index steps, core::SyncChunk& out) override {
    const auto m = static_cast<Index>(which.size());
    const auto flags = static_cast<std::size_t>(steps * m);
    if (changed_.size() < flags) {
      changed_ = DeviceBuffer<std::uint8_t>(flags);
      fingerprint_ = DeviceBuffer<unsigned long long>(flags);
    }
    const int* list = set_list(which);
    gather(s_.data(), list, m, false, v_.data());
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(frozen_.data(), 0, static_cast<std::size_t>(m), stream_));
    ATTRACTOR_CUDA_CHECK(
        cudaMemsetAsync(taken_.data(), 0, static_cast<std::size_t>(m) * sizeof(Index), stream_));
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(changed_.data(), 0, flags, stream_));
    ATTRACTOR_CUDA_CHECK(
        cudaMemsetAsync(fingerprint_.data(), 0, flags * sizeof(unsigned long long), stream_));
    for (Index k = 0; k < steps; ++k) {
      std::uint8_t* changed = changed_.data() + k * m;
      unsigned long long* fingerprint = fingerprint_.data() + k * m;
      model_->multiply(v_.data(), tv_.data(), m);
      for (const LaunchSlice& slice : sign_word_launches(n_, m)) {
        launch_kernel(sync_update_kernel<Real>, slice.shape, stream_, v_.data(), tv_.data(),
                      model_->view().b, n_, slice.first_item, list, steps_.data(), frozen_.data(),
                      rule_, changed, fingerprint);
      }
      launch_kernel(sync_classify_kernel, thread_per_item_launch(m, 128), stream_,
                    static_cast<int>(m), list, rule_.glauber, options_.max_period, changed,
                    fingerprint, frozen_.data(), taken_.data(), steps_.data(), rings_.data(),
                    ring_size_.data(), ring_next_.data());
    }
    for (const LaunchSlice& slice : per_neuron_launches(n_, m)) {
      launch_kernel(scatter_kernel<Real>, slice.shape, stream_, v_.data(), list, slice.first_item,
                    n_, s_.data());
    }
    // Through pinned staging: three asynchronous copies and one wait per chunk.
    if (staged_changed_.size() < flags || staged_taken_.size() < static_cast<std::size_t>(m)) {
      staged_taken_ = PinnedBuffer<Index>(static_cast<std::size_t>(slots_));
      staged_changed_ = PinnedBuffer<std::uint8_t>(flags);
      staged_fingerprint_ = PinnedBuffer<unsigned long long>(flags);
    }
    download(taken_.data(), staged_taken_.data(), static_cast<std::size_t>(m), stream_);
    download(changed_.data(), staged_changed_.data(), flags, stream_);
    download(fingerprint_.data(), staged_fingerprint_.data(), flags, stream_);
    resources_.synchronize();
    out.taken.assign(staged_taken_.data(), staged_taken_.data() + m);
    out.changed.assign(staged_changed_.data(), staged_changed_.data() + flags);
    out.fingerprint.assign(staged_fingerprint_.data(), staged_fingerprint_.data() + flags);
  }

  // One block per listed state sweeps until `until` or until it settles.
  void async_sweeps(const std::vector<Index>& which, Index until, std::vector<Index>& sweeps,
                    std::vector<std::uint8_t>& settled) override {
    const auto m = static_cast<Index>(which.size());
    const int* list = set_list(which);
    for (const LaunchSlice& slice : block_per_item_launches(m, kThreads)) {
      launch_kernel(async_sweeps_kernel<Real>, slice.shape, stream_, model_->view(), s_.data(),
                    list + slice.first_item, rule_, until, steps_.data(), settled_.data(),
                    order_.data(), draws_.data(), sums_.data());
    }
    std::vector<Index> all_steps(static_cast<std::size_t>(batch_));
    std::vector<int> all_settled(static_cast<std::size_t>(batch_));
    download(steps_.data(), all_steps.data(), all_steps.size(), stream_);
    download(settled_.data(), all_settled.data(), all_settled.size(), stream_);
    resources_.synchronize();
    sweeps.resize(which.size());
    settled.resize(which.size());
    for (std::size_t j = 0; j < which.size(); ++j) {
      sweeps[j] = all_steps[which[j]];
      settled[j] = all_settled[which[j]] != 0 ? 1 : 0;
    }
  }

  void evaluate(const std::vector<Index>& which, core::Point point, int k_into) override {
    const auto m = static_cast<Index>(which.size());
    if (m == 0) return;
    const Real* in = point == core::Point::State ? s_.data() : stage_.data();
    const int* list = set_list(which);
    gather(in, list, m, true, v_.data());
    model_->multiply(v_.data(), tv_.data(), m);
    for (const LaunchSlice& slice : per_neuron_launches(n_, m)) {
      launch_kernel(field_scatter_kernel<Real>, slice.shape, stream_, tv_.data(), in, list,
                    slice.first_item, n_, model_->view().b, k_[k_into].data());
    }
  }

  void stage(const std::vector<Index>& which, int s, const double* a,
             const std::vector<double>& h) override {
    const Combination<Real> combo = combination(a, s);
    const int* list = set_list(which);
    const double* step = set_item_values(h);
    for (const LaunchSlice& slice : per_neuron_launches(n_, static_cast<Index>(which.size()))) {
      launch_kernel(stage_kernel<Real>, slice.shape, stream_, stage_.data(), s_.data(), combo, step,
                    list, slice.first_item, n_);
    }
  }

  std::vector<double> dopri_error(const std::vector<Index>& which, const double* E,
                                  const std::vector<double>& h, double atol, double rtol) override {
    const DopriErrorTerm<Real> term{combination(E, 7), s_.data(), stage_.data(), set_item_values(h),
                                    set_list(which),   n_,        atol,          rtol};
    return reduce<1>(term, which.size());
  }

  void accept(const std::vector<Index>& which, const double* w, int terms,
              const std::vector<double>& h) override {
    const bool fsal = terms == 0;
    const Combination<Real> update = combination(w, terms);
    const int* list = set_list(which);
    const double* step = set_item_values(h);
    for (const LaunchSlice& slice : per_neuron_launches(n_, static_cast<Index>(which.size()))) {
      launch_kernel(accept_kernel<Real>, slice.shape, stream_, s_.data(), k_[0].data(),
                    u_prev_.data(), f_prev_.data(), fsal ? stage_.data() : nullptr,
                    fsal ? k_[6].data() : nullptr, update, step, list, slice.first_item, n_);
    }
  }

  std::vector<core::SettleSums> settle_sums(const std::vector<Index>& which,
                                            const std::vector<Index>& last_slot) override {
    const std::vector<int> slots(last_slot.begin(), last_slot.end());
    upload(slots.data(), last_slot_.data(), slots.size(), stream_);
    const SettleTerm<Real> term{k_[0].data(),    s_.data(),         u_prev_.data(),
                                f_prev_.data(),  sections_.data(),  w_.data(),
                                set_list(which), last_slot_.data(), n_,
                                slots_};
    const std::vector<double> r = reduce<6>(term, which.size());
    std::vector<core::SettleSums> sums(which.size());
    for (std::size_t j = 0; j < which.size(); ++j) {
      const double* q = r.data() + j * 6;
      sums[j] = core::SettleSums{q[0], q[1], q[2], q[3], q[4], q[5]};
    }
    return sums;
  }

  void section_points(const std::vector<core::SectionJob>& jobs) override {
    std::vector<HermiteJob> device_jobs;
    for (const auto& job : jobs) {
      device_jobs.push_back(HermiteJob{static_cast<int>(job.state),
                                       static_cast<int>(job.slot),
                                       {job.u0, job.f0, job.u1, job.f1}});
    }
    upload(device_jobs.data(), jobs_.data(), device_jobs.size(), stream_);
    for (const LaunchSlice& slice : per_neuron_launches(n_, static_cast<Index>(jobs.size()))) {
      launch_kernel(hermite_kernel<Real>, slice.shape, stream_, sections_.data(), jobs_.data(),
                    slice.first_item, n_, slots_, u_prev_.data(), f_prev_.data(), s_.data(),
                    k_[0].data());
    }
  }

  std::vector<double> section_distances(const std::vector<core::SectionPair>& pairs) override {
    std::vector<DevicePair> device_pairs;
    for (const auto& p : pairs) {
      device_pairs.push_back(DevicePair{static_cast<int>(p.state), static_cast<int>(p.slot_a),
                                        static_cast<int>(p.slot_b)});
    }
    upload(device_pairs.data(), pairs_.data(), device_pairs.size(), stream_);
    const SectionDistanceTerm<Real> term{sections_.data(), pairs_.data(), n_, slots_};
    return reduce<1>(term, pairs.size());
  }

 private:
  // Memory plan: the model plus, per state, the vectors each dynamics keeps (in Real): states and
  // two product buffers always; async 2 · 4-byte order scratch (+ 8 P overlap sums for factored
  // weights, counted in the model's plan); continuous k_1..k_s, the stage point, u_prev, f_prev
  // and max_period + 1 section points; sync a ring of max_period + 1 fingerprints and, per
  // chunk, kSyncChunk bytes and words of flags.
  std::size_t plan_bytes() const {
    const auto per_state = static_cast<std::size_t>(n_) * sizeof(Real);
    const auto states = static_cast<std::size_t>(slots_);
    const auto ring = static_cast<std::size_t>(options_.max_period) + 1;
    std::size_t bytes =
        DeviceModel<Real>::bytes_needed(network_, batch_, plan_) + states * 3 * per_state;
    if (continuous_) {
      const auto vectors =
          static_cast<std::size_t>(core::stage_count(options_.integrator)) + 3 + ring;
      bytes += states * vectors * per_state;
      bytes +=
          states * ring * 8 * (static_cast<std::size_t>(reduction_blocks_per_item(n_)) * 6 + 6);
    } else if (core::is_asynchronous(options_.dynamics)) {
      bytes += states * static_cast<std::size_t>(n_) * 8;
    } else {
      bytes += states * (ring * 8 + static_cast<std::size_t>(core::kSyncChunk) * 9 + 32);
    }
    return bytes;
  }

  template <class T>
  void zero(DeviceBuffer<T>& buffer) {
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(buffer.data(), 0, buffer.bytes(), stream_));
  }

  void upload_states(const core::StateBatch& states) {
    std::vector<Real> host(states.values.begin(), states.values.end());
    upload(host.data(), s_.data(), host.size(), stream_);
    resources_.synchronize();
  }

  // The list of states the next kernels work on. Uploaded only when it changed: between two
  // changes of the running set (most steps) a continuous step uploads no list at all.
  const int* set_list(const std::vector<Index>& indices) {
    if (!std::equal(indices.begin(), indices.end(), list_host_.begin(), list_host_.end())) {
      list_host_.assign(indices.begin(), indices.end());
      upload(list_host_.data(), list_.data(), list_host_.size(), stream_);
    }
    return list_.data();
  }

  // Per-item values (step sizes) for the next kernels, uploaded only when they changed (fixed
  // steps never do). A copy from pageable memory has read the host values when it returns.
  const double* set_item_values(const std::vector<double>& values) {
    if (values != item_values_host_) {
      item_values_host_ = values;
      upload(values.data(), item_values_.data(), values.size(), stream_);
    }
    return item_values_.data();
  }

  Combination<Real> combination(const double* c, int terms) const {
    Combination<Real> combo{};
    combo.terms = terms;
    for (int j = 0; j < terms; ++j) {
      combo.v[j] = k_[j].data();
      combo.c[j] = c[j];
    }
    return combo;
  }

  template <int K, class Term>
  std::vector<double> reduce(const Term& term, std::size_t items) {
    std::vector<double> out(items * K);
    if (items == 0) return out;
    reduce_per_item<K>(term, static_cast<int>(items), n_, partials_.data(), sums_.data(), stream_);
    download(sums_.data(), out.data(), out.size(), stream_);
    resources_.synchronize();
    return out;
  }

  void gather(const Real* src, const int* which, Index m, bool activate, Real* dst) {
    const auto& g = network_.activation;
    for (const LaunchSlice& slice : per_neuron_launches(n_, m)) {
      launch_kernel(gather_kernel<Real>, slice.shape, stream_, src, which, slice.first_item, n_,
                    activate, g.kind, g.gain, dst);
    }
  }

  std::vector<double> download_widened(const Real* src, Index count) {
    std::vector<Real> host(static_cast<std::size_t>(count));
    download(src, host.data(), host.size(), stream_);
    resources_.synchronize();
    return widened(host);
  }

  const core::Network& network_;
  const core::RunOptions& options_;
  const Resources& resources_;
  cudaStream_t stream_;
  Index n_;
  Index batch_;
  Index slots_;  // batch, at least 1 (buffers are never empty)
  bool continuous_;
  SyncRule rule_;
  typename DeviceModel<Real>::Plan plan_;  // the product layouts (integer form, SELL-C-σ)
  std::optional<DeviceModel<Real>> model_;
  DeviceBuffer<int> list_;
  std::vector<int> list_host_;
  DeviceBuffer<double> item_values_;
  std::vector<double> item_values_host_;
  DeviceBuffer<Real> s_, v_, tv_;  // states; product input and output (n × batch)
  DeviceBuffer<Index> steps_;      // steps or sweeps each state has taken
  // Synchronous.
  DeviceBuffer<std::uint64_t> rings_;
  DeviceBuffer<int> ring_size_, ring_next_;
  DeviceBuffer<std::uint8_t> frozen_, changed_;
  DeviceBuffer<Index> taken_;
  DeviceBuffer<unsigned long long> fingerprint_;
  PinnedBuffer<Index> staged_taken_;
  PinnedBuffer<std::uint8_t> staged_changed_;
  PinnedBuffer<unsigned long long> staged_fingerprint_;
  // Asynchronous.
  DeviceBuffer<std::uint32_t> order_, draws_;
  DeviceBuffer<int> settled_;
  DeviceBuffer<double> sums_;  // factored overlap sums (async); reduction results (continuous)
  // Continuous.
  std::vector<DeviceBuffer<Real>> k_;
  DeviceBuffer<Real> stage_, u_prev_, f_prev_, sections_;
  DeviceBuffer<double> w_, partials_;
  DeviceBuffer<int> last_slot_;
  DeviceBuffer<HermiteJob> jobs_;
  DeviceBuffer<DevicePair> pairs_;
};

template <class Real>
core::RunResult run_with(const core::Network& network, core::StateBatch& states,
                         const core::RunOptions& options) {
  Resources resources;
  CudaStepper<Real> stepper(network, options, states.batch, resources);
  return core::run_dynamics(network, states, options, stepper);
}

}  // namespace

CudaEngine::CudaEngine(core::Precision precision, int device)
    : precision_(precision), device_(device) {
  core::require(device >= 0 && device < device_count(), "--backend cuda",
                "no CUDA device with index " + std::to_string(device));
}

core::RunResult CudaEngine::run(const core::Network& network, core::StateBatch& states,
                                const core::RunOptions& options) {
  core::check_run_inputs(network, states, options);
  const auto start = std::chrono::steady_clock::now();
  DeviceGuard guard(device_);
  core::RunResult out = precision_ == core::Precision::Float32
                            ? run_with<float>(network, states, options)
                            : run_with<double>(network, states, options);
  out.backend = name();
  out.precision = precision_;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace attractor::cuda
