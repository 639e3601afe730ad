// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What app-layer parsers and detectors may know about a flow: its endpoints in client/server
// roles and its timing. The flow table owns the storage; a FlowInfo reference is valid for the
// duration of the callback that receives it.
#include <cstdint>

#include "mw/net/ip_address.h"

namespace mw {

enum class Direction : uint8_t { kToServer = 0, kToClient = 1 };
enum class IpProto : uint8_t { kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpV6 = 58 };

// Microseconds since the Unix epoch, taken from packet timestamps (never the wall clock) so that
// reading a capture twice gives identical output.
using TimestampUs = int64_t;

struct FlowInfo {
  uint64_t flow_id = 0;  // unique within one run
  IpAddress client;
  IpAddress server;
  uint16_t client_port = 0;
  uint16_t server_port = 0;
  IpProto proto = IpProto::kTcp;
  TimestampUs first_seen = 0;
  TimestampUs last_seen = 0;
  uint64_t packets[2] = {0, 0};  // indexed by Direction
  uint64_t bytes[2] = {0, 0};
};

}  // namespace mw
