#pragma once
// A FIFO on a power-of-two ring that grows as needed: O(1) push/pop without the per-chunk allocations of
// std::deque, and removal from the middle for schedulers that pick out of order (short queues).
#include <cstddef>
#include <utility>
#include <vector>

namespace prunesim::models {

template <class T>
class RingQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return buf_[(head_ + size_ - 1) & mask_]; }
  T& operator[](size_t i) { return buf_[(head_ + i) & mask_]; }
  const T& operator[](size_t i) const { return buf_[(head_ + i) & mask_]; }

  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & mask_] = v;
    ++size_;
  }
  void pop_front() {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void pop_front(size_t n) {  // the first n (n <= size())
    head_ = (head_ + n) & mask_;
    size_ -= n;
  }
  // Removes element i, keeping the order of the rest: the shorter side moves up by one (a scheduler mostly
  // picks near the front).
  void erase_at(size_t i) {
    if (i < size_ / 2) {
      for (size_t j = i; j > 0; --j) (*this)[j] = std::move((*this)[j - 1]);
      pop_front();
      return;
    }
    for (size_t j = i; j + 1 < size_; ++j) (*this)[j] = std::move((*this)[j + 1]);
    --size_;
  }

 private:
  void grow() {
    std::vector<T> next(buf_.empty() ? 64 : buf_.size() * 2);
    for (size_t i = 0; i < size_; ++i) next[i] = std::move((*this)[i]);
    buf_ = std::move(next);
    head_ = 0;
    mask_ = buf_.size() - 1;
  }
  std::vector<T> buf_;
  size_t head_ = 0, size_ = 0, mask_ = 0;
};

}  // namespace prunesim::models
