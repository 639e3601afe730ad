// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Captures from a live interface ("eth0", or "any" for all) through libpcap's TPACKET_V3 ring
// (AF_PACKET, snaplen 65535). Not immediate mode: the kernel hands over a block of packets when
// it is full or its timeout passes, so a busy link costs one wake-up per block instead of one per
// packet (at 180 kpps immediate mode dropped 3.5-47%). Stop() wakes a blocked Next() at once
// (libpcap's breakloop event), idle link or not.
// Several sources on one interface share its traffic through a kernel fanout group
// (PACKET_FANOUT_HASH): both directions of a flow reach the same source.
//
// Thread-safety: Next() on one thread; Stop() from any thread or a signal handler
// (it only sets an atomic flag and calls pcap_breakloop); stats() from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "capture/packet_source.h"

typedef struct pcap pcap_t;

namespace mw::capture {

struct LiveOptions {
  std::string interface = "any";
  std::string bpf = {};  // optional filter, tcpdump syntax
  int snaplen = 65535;
  bool promiscuous = false;
  // Block timeout: the longest a packet waits in a partly filled block (latency on a quiet
  // link), and how long Next() still drains the ring after Stop().
  int timeout_ms = 100;
  int buffer_bytes = 32 << 20;  // kernel ring size (per source); larger absorbs bursts
};

struct LiveStats {
  uint64_t received = 0;         // packets the filter accepted (pcap_stats ps_recv)
  uint64_t kernel_drops = 0;     // dropped because the ring was full (ps_drop: tp_drops)
  uint64_t interface_drops = 0;  // dropped by the interface or driver (ps_ifdrop)
};

class LiveSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<LiveSource>> Open(const LiveOptions& options);
  ~LiveSource() override;
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  // Blocks until a packet arrives (true), Stop() is called (false) or capture fails (Error).
  // After Stop() it still hands out what the ring holds for one block timeout (the longest a
  // captured packet waits in the kernel's block in progress), so stopping loses no captured
  // packet, then returns false.
  Result<bool> Next(RawPacket& packet) override;
  uint64_t bytes_read() const override { return bytes_read_; }
  uint64_t total_bytes() const override { return 0; }

  // Makes Next() return false soon. Async-signal-safe.
  void Stop();
  // Kernel counters so far; the last good reading if libpcap cannot report them now.
  LiveStats stats() const;
  int link_type() const { return link_type_; }

  // Starts a new fanout group on this source's socket (the kernel picks an id no other group in
  // the network namespace has, so two sensors on one interface never share a group) and
  // returns its id for JoinFanout.
  Result<uint16_t> CreateFanout();
  // Joins the group another source on the same interface created with CreateFanout.
  Status JoinFanout(uint16_t group);

 private:
  LiveSource(std::string name, pcap_t* handle);
  Status SetFanout(uint32_t arg);
  void StartDrain();

  std::string name_;
  pcap_t* handle_;
  int link_type_ = 0;
  uint64_t bytes_read_ = 0;
  std::atomic<bool> stop_{false};
  bool draining_ = false;  // Stop() was seen: Next() empties the ring, then returns false
  std::chrono::steady_clock::time_point drain_until_{};
  int timeout_ms_ = 100;
  // The kernel resets its counters on every read and libpcap adds them up in the handle, so
  // two readers (the metrics endpoint, the summary) must not read at once.
  mutable std::mutex stats_mu_;
  mutable LiveStats last_stats_;
};

}  // namespace mw::capture
