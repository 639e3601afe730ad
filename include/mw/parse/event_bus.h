// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Typed publish/subscribe between parsers (which produce events) and detectors (which consume
// them). "Events are the product of inspection, not detection" (Snort 3 DataBus): a parser never
// knows which detectors listen. Events carry views that are valid only during Publish().
//
// Thread-safety: one bus per pipeline thread; subscribe at start-up, publish on the data plane.
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace mw {

class EventBus {
 public:
  template <typename Event>
  void On(std::function<void(const Event&)> handler) {
    SlotFor<Event>().handlers.push_back(std::move(handler));
  }

  template <typename Event>
  void Publish(const Event& event) {
    size_t id = TypeId<Event>();
    if (id >= slots_.size() || !slots_[id]) return;
    for (auto& h : static_cast<Slot<Event>*>(slots_[id].get())->handlers) h(event);
  }

  template <typename Event>
  bool HasSubscribers() const {
    size_t id = TypeId<Event>();
    return id < slots_.size() && slots_[id] &&
           !static_cast<Slot<Event>*>(slots_[id].get())->handlers.empty();
  }

 private:
  struct SlotBase {
    virtual ~SlotBase() = default;
  };
  template <typename Event>
  struct Slot : SlotBase {
    std::vector<std::function<void(const Event&)>> handlers;
  };

  static size_t NextTypeId() {
    static size_t next = 0;
    return next++;
  }
  template <typename Event>
  static size_t TypeId() {
    static const size_t id = NextTypeId();
    return id;
  }
  template <typename Event>
  Slot<Event>& SlotFor() {
    size_t id = TypeId<Event>();
    if (id >= slots_.size()) slots_.resize(id + 1);
    if (!slots_[id]) slots_[id] = std::make_unique<Slot<Event>>();
    return *static_cast<Slot<Event>*>(slots_[id].get());
  }

  std::vector<std::unique_ptr<SlotBase>> slots_;
};

}  // namespace mw
