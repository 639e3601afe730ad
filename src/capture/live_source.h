// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Captures from a live interface ("eth0", or "any" for all) through libpcap, snaplen 65535,
// immediate mode with a short read timeout so that Next() notices Stop() within ~100 ms even on
// an idle link.
//
// Thread-safety: Next() on one thread; Stop() from any thread or a signal handler
// (it only sets an atomic flag and calls pcap_breakloop).
#include <atomic>
#include <memory>
#include <string>

#include "capture/packet_source.h"

typedef struct pcap pcap_t;

namespace mw::capture {

struct LiveOptions {
  std::string interface = "any";
  std::string bpf = {};  // optional filter, tcpdump syntax
  int snaplen = 65535;
  bool promiscuous = false;
  int timeout_ms = 100;         // longest Next() blocks on an idle link before checking Stop()
  int buffer_bytes = 16 << 20;  // kernel ring size; larger absorbs bursts without drops
};

struct LiveStats {
  uint64_t received = 0;         // packets the filter accepted (pcap_stats ps_recv)
  uint64_t kernel_drops = 0;     // dropped for lack of buffer space (ps_drop)
  uint64_t interface_drops = 0;  // dropped by the interface or driver (ps_ifdrop)
};

class LiveSource final : public PacketSource {
 public:
  static Result<std::unique_ptr<LiveSource>> Open(const LiveOptions& options);
  ~LiveSource() override;
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;

  // Blocks until a packet arrives (true), Stop() is called (false) or capture fails (Error).
  Result<bool> Next(RawPacket& packet) override;
  uint64_t bytes_read() const override { return bytes_read_; }
  uint64_t total_bytes() const override { return 0; }

  // Makes Next() return false soon. Async-signal-safe.
  void Stop();
  // Kernel counters so far; zeros if libpcap cannot report them for this interface.
  LiveStats stats() const;
  int link_type() const { return link_type_; }

 private:
  LiveSource(std::string name, pcap_t* handle);

  std::string name_;
  pcap_t* handle_;
  int link_type_ = 0;
  uint64_t bytes_read_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace mw::capture
