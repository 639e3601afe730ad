// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Tests only: a windowed detector on the engine's clock. It counts new flows per client in a
// window that opens at the client's first flow and closes, by the clock, `window` later; a
// window that held at least `min_flows` flows is one finding, "burst N" for the client's Nth.
#include <map>
#include <memory>
#include <string>

#include "flow/flow_events.h"
#include "mw/detect/detector.h"

namespace mw::engine::testing {

inline constexpr std::string_view kBurst = "Test: Flow Burst";

class BurstDetector : public Detector {
 public:
  explicit BurstDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "burst"; }
  void Subscribe(EventBus& bus) override {
    bus.On<flow::FlowStartEvent>([this](const flow::FlowStartEvent& e) {
      Window& w = open_[e.flow.client.ToString()];
      if (w.flows++ == 0) w.start = e.flow.first_seen;
    });
  }
  void OnTick(TimestampUs now) override {
    ++ticks;
    const int64_t window_us = ctx_.settings.Int("window") * 1'000'000;
    const uint64_t min_flows = uint64_t(ctx_.settings.Int("min_flows"));
    for (auto it = open_.begin(); it != open_.end();) {
      if (now < it->second.start + window_us) {
        ++it;
        continue;
      }
      const int n = ++closed_[it->first];
      if (it->second.flows >= min_flows) {
        Finding& f = ctx_.Report(kBurst, it->first, "burst " + std::to_string(n), it->second.start);
        f.evidence["flows"] = it->second.flows;
      }
      it = open_.erase(it);
    }
  }
  static inline int ticks = 0;  // OnTick calls, all instances

 private:
  struct Window {
    TimestampUs start = 0;
    uint64_t flows = 0;
  };
  DetectorContext& ctx_;
  std::map<std::string, Window> open_;
  std::map<std::string, int> closed_;
};

// A registry holding only "burst" (window 2s, min_flows 3 unless configured).
inline DetectorRegistry BurstRegistry() {
  DetectorRegistry r;
  r.Add({.name = "burst",
         .description = "test: flows per client per window.",
         .categories = {{kBurst, Stage::kPrecursor, Severity::kLow, {"T1046"}}},
         .settings = {{.key = "window",
                       .kind = SettingSpec::Kind::kDuration,
                       .default_value = "2s",
                       .description = "window length",
                       .min = 1},
                      {.key = "min_flows",
                       .kind = SettingSpec::Kind::kInt,
                       .default_value = "3",
                       .description = "flows that make a burst",
                       .min = 1,
                       .max = 1000}},
         .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
           return std::make_unique<BurstDetector>(ctx);
         }});
  return r;
}

}  // namespace mw::engine::testing
