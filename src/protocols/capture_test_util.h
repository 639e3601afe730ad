// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Test-only (not linked into libraries): real captures as the app layer sees them, and nDPI's
// expected output for them.
//
// ReadCaptureFlows runs a capture through the real packet path (capture::PcapFileSource →
// PacketProcessor: decoder, fragment reassembly, flow table, TCP reassembly) with a recorder
// attached to every TCP and UDP flow, and returns what the flow layer delivered: per flow, the
// in-order bytes of each delivery (a UDP datagram, a run of TCP stream bytes) and the holes it
// reported. Parser tests then replay those deliveries into the parser under test.
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "capture/pcap_file_source.h"
#include "mw/parse/app_parser.h"
#include "pipeline/packet_processor.h"
#include "protocols/parse_test_util.h"

namespace mw::testing {

struct Delivery {
  Direction dir;
  std::vector<uint8_t> bytes;
  uint32_t gap_before = 0;  // bytes of "dir" the flow layer reported lost just before these
};

struct CapturedFlow {
  bool tcp = false;
  std::string client;  // "ip:port", IPv6 as "[ip]:port" (nDPI's spelling); roles as the flow
  std::string server;  // table assigned them
  std::vector<Delivery> deliveries;  // in the order the flow layer delivered them
  size_t gaps = 0;                   // holes the flow layer reported
};

namespace internal {

inline std::string Endpoint(const IpAddress& ip, uint16_t port) {
  return (ip.is_v4() ? ip.ToString() : "[" + ip.ToString() + "]") + ":" + std::to_string(port);
}

// The flows being recorded, by flow id (create() takes no argument: one capture at a time).
inline std::map<uint64_t, CapturedFlow>* g_recording = nullptr;

// Takes every byte the flow layer offers and keeps it with the flow it belongs to.
class DeliveryRecorder final : public AppParser {
 public:
  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override {
    CapturedFlow& f = For(ctx.flow());
    f.deliveries.push_back({dir, {bytes.begin(), bytes.end()}, gap_[int(dir)]});
    gap_[int(dir)] = 0;
    return ParseResult::Ok(uint32_t(bytes.size()));
  }
  void OnGap(Direction dir, uint32_t len, ParseContext& ctx) override {
    ++For(ctx.flow()).gaps;
    gap_[int(dir)] += len;
  }

 private:
  static CapturedFlow& For(const FlowInfo& info) {
    auto [it, fresh] = g_recording->try_emplace(info.flow_id);
    if (fresh) {
      it->second.tcp = info.proto == IpProto::kTcp;
      it->second.client = Endpoint(info.client, info.client_port);
      it->second.server = Endpoint(info.server, info.server_port);
    }
    return it->second;
  }
  uint32_t gap_[2] = {0, 0};
};

}  // namespace internal

// Reads "path" (pcap or pcapng, any link type the decoder knows) through PacketProcessor and
// returns its TCP and UDP flows with payload, in the order the flow table created them. A flow
// the table ended (idle timeout) and met again later is returned as one, deliveries appended.
inline std::vector<CapturedFlow> ReadCaptureFlows(const std::string& path, std::string* error) {
  auto source = capture::PcapFileSource::Open(path);
  if (!source) {
    if (error) *error = source.error().message();
    return {};
  }
  ParserRegistry registry;
  for (Transport t : {Transport::kTcp, Transport::kUdp}) {
    registry.Add(
        {.name = t == Transport::kTcp ? "record-tcp" : "record-udp",
         .transport = t,
         .probe = [](Direction, ByteView) { return ProbeResult::kYes; },
         .create = [] { return std::unique_ptr<AppParser>(new internal::DeliveryRecorder()); }});
  }
  std::map<uint64_t, CapturedFlow> recording;
  internal::g_recording = &recording;
  EventBus bus;
  PacketProcessor processor({}, registry, bus);
  capture::RawPacket raw;
  for (;;) {
    auto more = (*source)->Next(raw);
    if (!more) {
      if (error) *error = more.error().message();
      break;
    }
    if (!*more) break;
    processor.Process(raw);
  }
  processor.Finish();
  internal::g_recording = nullptr;

  std::vector<CapturedFlow> out;
  std::map<std::tuple<bool, std::string, std::string>, size_t> index;
  for (auto& [id, f] : recording) {  // flow ids grow with creation
    auto [it, fresh] = index.try_emplace({f.tcp, f.client, f.server}, out.size());
    if (fresh) {
      out.push_back(std::move(f));
      continue;
    }
    CapturedFlow& into = out[it->second];
    for (auto& d : f.deliveries) into.deliveries.push_back(std::move(d));
    into.gaps += f.gaps;
  }
  return out;
}

// Replays "flow" into "feeder" as the flow layer delivered it, holes included. Returns false once
// the parser is dead (kInvalid, or a contract breach).
inline bool Replay(StreamFeeder& feeder, const CapturedFlow& flow) {
  for (const Delivery& d : flow.deliveries) {
    if (d.gap_before != 0) feeder.Gap(d.dir, d.gap_before);
    if (!feeder.Feed(d.dir, d.bytes)) return false;
  }
  return true;
}

// One flow line of an nDPI ".out" file: "TCP a <-> b [k: v][k: v]...".
struct NdpiFlow {
  bool tcp = false;
  std::string a, b;
  std::map<std::string, std::string> fields;  // first occurrence of each bracketed key
  std::vector<std::string> items;             // every bracketed item, in order
  std::string Field(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? "" : it->second;
  }
  bool Matches(const CapturedFlow& f) const {
    return f.tcp == tcp && ((f.client == a && f.server == b) || (f.client == b && f.server == a));
  }
};

inline std::vector<NdpiFlow> ReadNdpiResults(const std::string& path) {
  std::vector<NdpiFlow> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t t = line.find("\tTCP ");
    size_t u = line.find("\tUDP ");
    if (t == std::string::npos && u == std::string::npos) continue;
    NdpiFlow f;
    f.tcp = t != std::string::npos;
    size_t start = (f.tcp ? t : u) + 5;
    size_t sep = line.find(" <-> ", start);
    size_t seplen = 5;
    if (sep == std::string::npos) sep = line.find(" -> ", start), seplen = 4;
    size_t br = line.find(" [", start);
    if (sep == std::string::npos || br == std::string::npos || sep > br) continue;
    f.a = line.substr(start, sep - start);
    f.b = line.substr(sep + seplen, br - sep - seplen);
    for (size_t pos = br + 1; pos < line.size();) {
      size_t close = line.find(']', pos);
      if (line[pos] != '[' || close == std::string::npos) break;
      std::string item = line.substr(pos + 1, close - pos - 1);
      f.items.push_back(item);
      size_t colon = item.find(": ");
      if (colon != std::string::npos)
        f.fields.emplace(item.substr(0, colon), item.substr(colon + 2));
      pos = close + 1;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace mw::testing
