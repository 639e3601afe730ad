// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/host_agent.h"

#include <chrono>

namespace mw::hostscan {
namespace {

std::shared_ptr<const intel::IntelStore> OrEmpty(std::shared_ptr<const intel::IntelStore> intel) {
  return intel ? std::move(intel) : std::make_shared<const intel::IntelStore>();
}

TimestampUs WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HostAgent::HostAgent(HostScanOptions scan, std::shared_ptr<const intel::IntelStore> intel,
                     const engine::EngineOptions& engine)
    : intel_(OrEmpty(std::move(intel))),
      engine_(*intel_, engine),
      scanner_(std::move(scan), engine_.bus()) {}

HostAgent::~HostAgent() = default;

HostScanReport HostAgent::RunPass(std::stop_token stop, const std::function<void()>& checkpoint) {
  // The host agent is live: its detectors' clock is wall time.
  engine_.AdvanceTo(WallUs());
  return scanner_.RunPass(std::move(stop), checkpoint);
}

}  // namespace mw::hostscan
