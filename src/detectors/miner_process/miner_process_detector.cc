// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/miner_process/miner_process_detector.h"

#include <algorithm>

#include "detectors/miner_process/miner_heuristics.h"
#include "hostscan/host_events.h"
#include "hostscan/process_evidence.h"

namespace mw {
namespace {

using hostscan::MinerEvidenceEvent;

// A pool URL or miner options on the command line, or two independent signs, are as good as a
// confession; one disguise sign alone is only suspicious.
bool StrongEvidence(std::span<const std::string> reasons) {
  return reasons.size() >= 2 || reasons[0].starts_with("pool URL") ||
         reasons[0].starts_with("miner options");
}

// T1496 always; the hiding technique when a reason shows one.
std::vector<std::string> AttackIds(std::span<const std::string> reasons) {
  std::vector<std::string> attack = {"T1496"};
  for (const auto& r : reasons) {
    if (r.find("kernel thread") != std::string::npos) attack.push_back("T1036.004");
    if (r.find("deleted") != std::string::npos || r.find("memfd") != std::string::npos) {
      attack.push_back("T1070.004");
    }
  }
  return attack;
}

class MinerProcessDetector : public Detector {
 public:
  explicit MinerProcessDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "miner_process"; }
  void Subscribe(EventBus& bus) override {
    bus.On<MinerEvidenceEvent>([this](const MinerEvidenceEvent& e) { OnMiner(e); });
  }

 private:
  void OnMiner(const MinerEvidenceEvent& e) {
    Finding& f = ctx_.Report(category::kMinerProcess, e.host.host_ip,
                             hostscan::ProcessIndicator(e.process), e.host.ts);
    f.severity = StrongEvidence(e.reasons) ? Severity::kHigh : Severity::kMedium;
    f.attack = AttackIds(e.reasons);
    f.source = "heuristics";
    f.resource.hostname = std::string(e.host.hostname);
    hostscan::AddProcess(f, e.process);
    f.evidence["reasons"] = std::vector<std::string>(e.reasons.begin(), e.reasons.end());
  }

  DetectorContext& ctx_;
};

}  // namespace

void SubscribeMinerEvidence(EventBus& bus) {
  bus.On<hostscan::ProcessEvent>([&bus](const hostscan::ProcessEvent& e) {
    std::vector<std::string> reasons = MinerProcessReasons(e.process, e.high_cpu_percent);
    if (!reasons.empty()) bus.Publish(MinerEvidenceEvent{e.host, e.process, reasons});
  });
}

void RegisterMinerProcess(DetectorRegistry& registry) {
  registry.Add(
      {.name = "miner_process",
       .description = "host: processes that look like miners (pool URLs, miner options or wallets "
                      "on the command line; deleted, fileless or kernel-thread-named executables "
                      "using the CPU).",
       .categories = {{category::kMinerProcess, Stage::kMining, Severity::kMedium, {"T1496"}}},
       .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
         return std::make_unique<MinerProcessDetector>(ctx);
       }});
}

}  // namespace mw
