// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// A bounded multi-producer queue drained by one worker thread (an output's, src/sinks/output.h).
// Producers (the store's writer thread) must never wait on a slow consumer (an SMTP relay, a dead
// syslog server), so Push never blocks: beyond the bound the item is refused and the caller
// counts the drop.
//
// Thread-safety: every method is safe from any thread.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace mw {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Returns false (and leaves "item" untouched) when full or closed.
  bool Push(T&& item) {
    {
      std::lock_guard lock(mu_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  // Waits until an item arrives, the queue is closed, or "deadline" passes. Returns nullopt on
  // timeout and once closed and drained.
  std::optional<T> PopUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [this] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Wakes the consumer; later pushes are refused, queued items can still be popped.
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;  // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

}  // namespace mw
