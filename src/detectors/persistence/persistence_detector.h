// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Persistence: Miner Autostart" (stage 0): autostart entries (cron, systemd, rc.local,
// ld.so.preload, profiles, authorized_keys) the persistence pass flagged, and system binaries
// that differ from their Debian package (hostscan::AutostartEvent, ReplacedBinaryEvent).
#include "mw/detect/detector.h"

namespace mw {
void RegisterPersistence(DetectorRegistry& registry);
}  // namespace mw
