#pragma once
#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace attractor::core {

// The array behind a matrix: a vector of its own, or a read-only view of memory someone else
// owns (a NumPy array or SciPy's CSR arrays, kept alive by `keeper`), so that a network of 10⁸
// synapses built from Python does not need a second copy of them. Reading is the same either
// way. Any access that could write copies a borrowed array into a vector of its own first
// (copy on write), so a borrowed array is never written through, and a copy of a borrowed buffer
// shares the view instead of duplicating it.
template <typename T>
class Buffer {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  Buffer() = default;
  Buffer(std::vector<T> values) : own_(std::move(values)) {}  // NOLINT: implicit, like a vector
  Buffer(std::initializer_list<T> values) : own_(values) {}
  Buffer(std::size_t count, const T& fill) : own_(count, fill) {}
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  Buffer(It first, It last) : own_(first, last) {}

  // A view of `count` values at `data`, which stay valid while `keeper` lives.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): moved below (a clang-tidy 14 slip)
  static Buffer borrow(const T* data, std::size_t count, std::shared_ptr<const void> keeper) {
    Buffer b;
    b.view_ = data;
    b.view_size_ = count;
    b.keeper_ = std::move(keeper);
    return b;
  }

  bool borrowed() const { return keeper_ != nullptr; }
  std::size_t size() const { return borrowed() ? view_size_ : own_.size(); }
  bool empty() const { return size() == 0; }

  const T* data() const { return borrowed() ? view_ : own_.data(); }
  const T& operator[](std::size_t i) const { return data()[i]; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  const T& front() const { return data()[0]; }
  const T& back() const { return data()[size() - 1]; }

  T* data() { return own().data(); }
  T& operator[](std::size_t i) { return own()[i]; }
  T* begin() { return own().data(); }
  T* end() { return own().data() + own_.size(); }
  T& back() { return own().back(); }
  void pop_back() { own().pop_back(); }

  void resize(std::size_t count) { own().resize(count); }
  void resize(std::size_t count, const T& fill) { own().resize(count, fill); }
  void reserve(std::size_t count) { own().reserve(count); }
  void clear() { *this = Buffer(); }
  void push_back(const T& v) { own().push_back(v); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return own().emplace_back(std::forward<Args>(args)...);
  }
  void assign(std::size_t count, const T& fill) { *this = Buffer(count, fill); }
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  void assign(It first, It last) {
    *this = Buffer(first, last);
  }
  template <typename It>
  void insert(const T* pos, It first, It last) {
    const auto at = pos - data();
    auto& v = own();
    v.insert(v.begin() + at, first, last);
  }

  // The values as a vector of their own (a copy for a borrowed buffer), for code that needs one.
  std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

  friend bool operator==(const Buffer& a, const Buffer& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Buffer& a, const Buffer& b) { return !(a == b); }

 private:
  std::vector<T>& own() {
    if (borrowed()) {
      own_.assign(view_, view_ + view_size_);
      view_ = nullptr;
      view_size_ = 0;
      keeper_.reset();
    }
    return own_;
  }

  std::vector<T> own_;
  const T* view_ = nullptr;
  std::size_t view_size_ = 0;
  std::shared_ptr<const void> keeper_;
};

// Read-only contiguous values from a vector or a buffer, for functions that only read them.
template <typename T>
class ConstSpan {
 public:
  ConstSpan(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT: implicit
  ConstSpan(const Buffer<T>& b) : data_(b.data()), size_(b.size()) {}       // NOLINT: implicit
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  const T* data_;
  std::size_t size_;
};

}  // namespace attractor::core
