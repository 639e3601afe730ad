// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/live_source.h"

#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace mw::capture {
namespace {

Error PcapError(const std::string& name, const char* what, pcap_t* p) {
  return Error::IoError(name + ": " + what + ": " + pcap_geterr(p));
}

}  // namespace

Result<std::unique_ptr<LiveSource>> LiveSource::Open(const LiveOptions& options) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  const std::string& name = options.interface;
  pcap_t* p = pcap_create(name.c_str(), errbuf);
  if (!p) return Fail(Error::IoError(name + ": " + errbuf));
  // Owned from here so every early return closes the handle.
  auto src = std::unique_ptr<LiveSource>(new LiveSource(name, p));
  pcap_set_snaplen(p, options.snaplen);
  pcap_set_promisc(p, options.promiscuous ? 1 : 0);
  pcap_set_timeout(p, options.timeout_ms);
  // No immediate mode: libpcap then uses TPACKET_V3, woken per block (see the header).
  pcap_set_immediate_mode(p, 0);
  pcap_set_buffer_size(p, options.buffer_bytes);
  int rc = pcap_activate(p);
  if (rc < 0) {
    std::string detail = rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc);
    if (rc == PCAP_ERROR_PERM_DENIED)
      detail += " (capturing needs root or CAP_NET_RAW + CAP_NET_ADMIN)";
    return Fail(Error::IoError(name + ": cannot start capture: " + detail));
  }
  if (!options.bpf.empty()) {
    struct bpf_program prog {};
    if (pcap_compile(p, &prog, options.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      return Fail(
          Error::InvalidArgument(name + ": bad filter \"" + options.bpf + "\": " + pcap_geterr(p)));
    int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) return Fail(PcapError(name, "cannot set filter", p));
  }
  src->link_type_ = pcap_datalink(p);
  src->timeout_ms_ = options.timeout_ms;
  return src;
}

LiveSource::LiveSource(std::string name, pcap_t* handle)
    : name_(std::move(name)), handle_(handle) {}

LiveSource::~LiveSource() {
  if (handle_) pcap_close(handle_);
}

void LiveSource::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  pcap_breakloop(handle_);
}

void LiveSource::StartDrain() {
  draining_ = true;
  // With TPACKET_V3 libpcap polls without a timeout (the kernel's block timer wakes it), so an
  // empty ring would block forever: from here reads return at once and Next() waits itself.
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_setnonblock(handle_, 1, errbuf);
  // The block in progress is handed over within one block timeout; a margin for the timer.
  drain_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_ + 50);
}

Result<bool> LiveSource::Next(RawPacket& packet) {
  for (;;) {
    if (!draining_ && stop_.load(std::memory_order_relaxed)) StartDrain();
    // Packets still arriving on a busy link do not keep a stopping sensor busy.
    if (draining_ && std::chrono::steady_clock::now() >= drain_until_) return false;
    struct pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle_, &hdr, &data);
    if (rc == 1) {
      packet.ts = TimestampUs(hdr->ts.tv_sec) * 1'000'000 + TimestampUs(hdr->ts.tv_usec);
      packet.link_type = link_type_;
      packet.data = ByteView(data, hdr->caplen);
      packet.wire_len = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
      bytes_read_ += hdr->caplen;
      return true;
    }
    if (rc == 0) {
      // Draining, nothing handed over yet: the kernel's block timer has not fired.
      if (draining_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    // pcap_breakloop (Stop) woke the read; the loop goes on to drain the ring.
    if (rc == PCAP_ERROR_BREAK) continue;
    return Fail(PcapError(name_, "capture failed", handle_));
  }
}

LiveStats LiveSource::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  struct pcap_stat ps {};
  if (pcap_stats(handle_, &ps) == 0) last_stats_ = LiveStats{ps.ps_recv, ps.ps_drop, ps.ps_ifdrop};
  return last_stats_;
}

namespace {
// Flow hash, symmetric in the kernel, so both directions of a flow go to one socket; fragments
// are reassembled first so that every fragment of a datagram hashes like its first.
constexpr uint32_t kFanoutMode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
}  // namespace

Status LiveSource::SetFanout(uint32_t arg) {
  if (setsockopt(pcap_fileno(handle_), SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
    return Fail(Error::IoError(name_ + ": cannot join a fanout group: " + std::strerror(errno)));
  return Ok();
}

Result<uint16_t> LiveSource::CreateFanout() {
  MW_TRY(SetFanout((kFanoutMode | PACKET_FANOUT_FLAG_UNIQUEID) << 16));
  uint32_t arg = 0;
  socklen_t len = sizeof arg;
  if (getsockopt(pcap_fileno(handle_), SOL_PACKET, PACKET_FANOUT, &arg, &len) != 0)
    return Fail(Error::IoError(name_ + ": cannot read the fanout group: " + std::strerror(errno)));
  return uint16_t(arg & 0xFFFF);
}

Status LiveSource::JoinFanout(uint16_t group) { return SetFanout(group | kFanoutMode << 16); }

}  // namespace mw::capture
