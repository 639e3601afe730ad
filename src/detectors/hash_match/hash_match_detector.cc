// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/hash_match/hash_match_detector.h"

#include "hostscan/host_events.h"
#include "hostscan/memory_evidence.h"
#include "hostscan/process_evidence.h"

namespace mw {
namespace {

using hostscan::MemoryScanEvent;

class HashMatchDetector : public Detector {
 public:
  explicit HashMatchDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "hash_match"; }
  void Subscribe(EventBus& bus) override {
    bus.On<MemoryScanEvent>([this](const MemoryScanEvent& e) { OnMemory(e); });
  }

 private:
  void OnMemory(const MemoryScanEvent& e) {
    if (e.page_matches.empty()) return;
    Finding& f = ctx_.Report(category::kHashMatch, e.host.host_ip,
                             hostscan::ProcessIndicator(e.process), e.host.ts);
    f.source = "pagedb";
    f.resource.hostname = std::string(e.host.hostname);
    hostscan::AddProcess(f, e.process);
    f.evidence["page_matches"] = hostscan::PageMatchesJson(e.page_matches);
  }

  DetectorContext& ctx_;
};

}  // namespace

void RegisterHashMatch(DetectorRegistry& registry) {
  registry.Add({.name = "hash_match",
                .description = "host: executable pages of processes matched against known miner "
                               "builds (`intel add-binary`).",
                .categories = {{category::kHashMatch, Stage::kMining, Severity::kHigh, {"T1496"}}},
                .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
                  return std::make_unique<HashMatchDetector>(ctx);
                }});
}

}  // namespace mw
