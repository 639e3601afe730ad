// minerwatch — SPDX-License-Identifier: Apache-2.0
// The host detectors whose decisions are still made inside HostScanner::RunPass (src/hostscan):
// their names (detectors.<name>.*), what they emit and their switches, which the scanner reads
// through hostscan::ApplyDetectorSwitches. Each moves to its own event-driven detector in
// src/detectors/<d>/ (as miner_process did) and leaves this file.
#include "detectors/host_scan/host_scan_detectors.h"

namespace mw {
namespace {

// Built so the engine lists the detector; it subscribes to nothing while HostScanner decides.
class DecidedInHostScanner : public Detector {
 public:
  explicit DecidedInHostScanner(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  void Subscribe(EventBus&) override {}

 private:
  std::string_view name_;
};

void Add(DetectorRegistry& r, std::string_view name, std::string_view description,
         std::vector<CategorySpec> categories) {
  r.Add({.name = name,
         .description = description,
         .categories = std::move(categories),
         .create = [name](DetectorContext&) -> std::unique_ptr<Detector> {
           return std::make_unique<DecidedInHostScanner>(name);
         }});
}

}  // namespace

void RegisterHostScanDetectors(DetectorRegistry& r) {
  Add(r, "persistence",
      "host: autostart entries (cron, systemd, rc.local, ld.so.preload, profiles, "
      "authorized_keys) and replaced system binaries that start or hide a miner.",
      {{category::kMinerAutostart, Stage::kPrecursor, Severity::kMedium, {"T1496"}}});
}

}  // namespace mw
