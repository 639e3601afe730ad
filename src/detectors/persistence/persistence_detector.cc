// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/persistence/persistence_detector.h"

#include <algorithm>

#include "detectors/pool_intel/host_intel.h"
#include "hostscan/host_events.h"

namespace mw {
namespace {

using hostscan::AutostartEvent;
using hostscan::AutostartReason;
using hostscan::PersistenceHit;
using hostscan::ReplacedBinaryEvent;

// Downloading code, a pool, a detected miner's file or a listed host are what a miner's
// autostart does; one vaguer sign alone (a base64 payload, a preloaded library no package
// ships) is only suspicious.
bool StrongEvidence(const std::vector<AutostartReason>& reasons) {
  using Kind = AutostartReason::Kind;
  return reasons.size() >= 2 ||
         std::any_of(reasons.begin(), reasons.end(), [](const AutostartReason& r) {
           return r.kind != Kind::kBase64Payload && r.kind != Kind::kForeignPreload &&
                  r.kind != Kind::kReplacedBinary;
         });
}

// "/etc/crontab:3"; a whole file (a replaced binary) is its path.
std::string EntryIndicator(const PersistenceHit& h) {
  return h.file + (h.line ? ":" + std::to_string(h.line) : "");
}

class PersistenceDetector : public Detector {
 public:
  explicit PersistenceDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "persistence"; }
  void Subscribe(EventBus& bus) override {
    bus.On<AutostartEvent>([this](const AutostartEvent& e) { OnEntry(e.host, e.root, e.entry); });
    bus.On<ReplacedBinaryEvent>(
        [this](const ReplacedBinaryEvent& e) { OnEntry(e.host, e.root, e.binary); });
  }

 private:
  void OnEntry(const hostscan::HostRef& host, std::string_view root, const PersistenceHit& h) {
    std::vector<AutostartReason> reasons = WithListedHosts(h);
    if (reasons.empty()) return;  // it only named hosts, none of them listed
    Finding& f = ctx_.Report(category::kMinerAutostart, host.host_ip, EntryIndicator(h), host.ts);
    f.severity = StrongEvidence(reasons) ? Severity::kHigh : Severity::kMedium;
    f.attack = {"T1496", h.attack};  // and the technique of the autostart location
    f.source = h.kind;
    f.resource.hostname = std::string(host.hostname);
    f.evidence["persistence"] = {
        {"file", h.file}, {"line", h.line}, {"text", h.text}, {"kind", h.kind}, {"root", root}};
    std::vector<std::string> texts;
    for (const AutostartReason& r : reasons) texts.push_back(r.text);
    f.evidence["reasons"] = texts;
  }

  // The entry's own reasons, and each host it names that intel lists (a cron job fetching from
  // a known dropper, a unit pointing a miner at a pool): intel is what can tell those apart.
  std::vector<AutostartReason> WithListedHosts(const PersistenceHit& h) const {
    std::vector<AutostartReason> reasons = h.reasons;
    for (const std::string& host : h.hosts) {
      if (auto why = ListedHost(ctx_.intel, host))
        reasons.push_back({AutostartReason::Kind::kListedHost, "names " + host + ": " + *why});
    }
    return reasons;
  }

  DetectorContext& ctx_;
};

}  // namespace

void RegisterPersistence(DetectorRegistry& registry) {
  registry.Add(
      {.name = "persistence",
       .description = "host: autostart entries (cron, systemd, rc.local, ld.so.preload, profiles, "
                      "authorized_keys) and replaced system binaries that start or hide a miner.",
       .categories = {{category::kMinerAutostart, Stage::kPrecursor, Severity::kMedium, {"T1496"}}},
       .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
         return std::make_unique<PersistenceDetector>(ctx);
       }});
}

}  // namespace mw
