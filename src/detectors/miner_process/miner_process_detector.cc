// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/miner_process/miner_process_detector.h"

#include <algorithm>

#include "detectors/miner_process/miner_heuristics.h"
#include "hostscan/host_events.h"
#include "hostscan/process_evidence.h"

namespace mw {
namespace {

using hostscan::MinerEvidenceEvent;

using hostscan::MinerReason;
using Kind = MinerReason::Kind;

// A pool URL or miner options on the command line, or two independent signs, are as good as a
// confession; one disguise sign alone is only suspicious.
bool StrongEvidence(std::span<const MinerReason> reasons) {
  return reasons.size() >= 2 || std::any_of(reasons.begin(), reasons.end(), [](const auto& r) {
           return r.kind == Kind::kPoolUrl || r.kind == Kind::kMinerOptions;
         });
}

// T1496 always; the hiding technique when a reason shows one.
std::vector<std::string> AttackIds(std::span<const MinerReason> reasons) {
  std::vector<std::string> attack = {"T1496"};
  auto add = [&](const char* id) {
    if (std::find(attack.begin(), attack.end(), id) == attack.end()) attack.push_back(id);
  };
  for (const MinerReason& r : reasons) {
    if (r.kind == Kind::kKernelThreadName) add("T1036.004");
    if (r.kind == Kind::kDeletedExe || r.kind == Kind::kFilelessExe) add("T1070.004");
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
    std::vector<std::string> texts;
    for (const MinerReason& r : e.reasons) texts.push_back(r.text);
    f.evidence["reasons"] = texts;
  }

  DetectorContext& ctx_;
};

}  // namespace

void SubscribeMinerEvidence(EventBus& bus) {
  bus.On<hostscan::ProcessEvent>([&bus](const hostscan::ProcessEvent& e) {
    std::vector<MinerReason> reasons = MinerProcessReasons(e.process, e.high_cpu_percent);
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
