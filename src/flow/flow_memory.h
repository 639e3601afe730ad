// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// One memory budget (flow.memcap) for the per-flow state a flow table allocates once payload
// arrives: the FlowExt block (app session, two TCP streams), the parser object and what the
// parser holds, probe and pending buffers, out-of-order segments. Flow slots themselves are
// bounded apart, by max_flows.
//
// Every allocation of that state first asks its flow's MemoryAccount for the bytes. When the
// budget is full, the pool asks its Reclaimer (the flow table) to make room by shedding other
// flows' state; if that fails the allocation is refused and the caller stops buffering (the
// parser is detached, the out-of-order hole is declared lost, the flow gets no app layer).
//
// Thread-safety: none; one pool per pipeline thread.
#include <cstdint>

namespace mw::flow {

class MemoryAccount;

// Frees other flows' state so that "need" more bytes fit; "requester" is never shed.
class Reclaimer {
 public:
  virtual ~Reclaimer() = default;
  virtual void MakeRoom(uint64_t need, const MemoryAccount& requester) = 0;
};

// What the budget did, for the sensor's stats ("memcap.*").
struct MemcapCounters {
  uint64_t limit = 0;          // bytes; 0 = unlimited
  uint64_t in_use = 0;         // bytes charged now
  uint64_t peak = 0;           // most bytes charged at once
  uint64_t shed_flows = 0;     // flows that stopped buffering to make room for others
  uint64_t shed_bytes = 0;     // bytes those flows gave back
  uint64_t evicted_flows = 0;  // promising flows ended to make room for other promising ones
  uint64_t refused = 0;        // allocations refused: the requesting flow stopped buffering
};

class MemoryPool {
 public:
  explicit MemoryPool(uint64_t limit) { counters_.limit = limit; }

  void set_reclaimer(Reclaimer* r) { reclaimer_ = r; }
  bool Fits(uint64_t n) const {
    return counters_.limit == 0 || counters_.in_use + n <= counters_.limit;
  }
  // Charges "n" bytes, making room first if needed; false (nothing charged) when it cannot.
  bool Charge(uint64_t n, const MemoryAccount& requester) {
    if (!Fits(n) && reclaimer_) reclaimer_->MakeRoom(n, requester);
    if (!Fits(n)) {
      ++counters_.refused;
      return false;
    }
    counters_.in_use += n;
    if (counters_.in_use > counters_.peak) counters_.peak = counters_.in_use;
    return true;
  }
  void Release(uint64_t n) { counters_.in_use -= n; }

  const MemcapCounters& counters() const { return counters_; }
  MemcapCounters& counters() { return counters_; }

 private:
  MemcapCounters counters_;
  Reclaimer* reclaimer_ = nullptr;
};

// The bytes one flow holds against the pool.
class MemoryAccount {
 public:
  // "owner": the caller's id of the flow (the flow table's slot index).
  MemoryAccount(MemoryPool* pool, uint32_t owner) : pool_(pool), owner_(owner) {}
  MemoryAccount(const MemoryAccount&) = delete;
  MemoryAccount& operator=(const MemoryAccount&) = delete;

  bool Charge(uint64_t n) {
    if (n == 0) return true;
    if (!pool_->Charge(n, *this)) return false;
    bytes_ += n;
    return true;
  }
  void Release(uint64_t n) {
    bytes_ -= n;
    pool_->Release(n);
  }
  // Gives everything back at once (the flow's state is being freed).
  void ReleaseAll() {
    pool_->Release(bytes_);
    bytes_ = 0;
  }
  uint64_t bytes() const { return bytes_; }
  uint32_t owner() const { return owner_; }

 private:
  MemoryPool* pool_;
  uint32_t owner_;
  uint64_t bytes_ = 0;
};

}  // namespace mw::flow
