// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/live_source.h"

#include <pcap/pcap.h>

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
  pcap_set_immediate_mode(p, 1);
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

Result<bool> LiveSource::Next(RawPacket& packet) {
  while (!stop_.load(std::memory_order_relaxed)) {
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
    if (rc == 0) continue;  // read timeout: loop to re-check stop_
    if (rc == PCAP_ERROR_BREAK) break;
    return Fail(PcapError(name_, "capture failed", handle_));
  }
  return false;
}

LiveStats LiveSource::stats() const {
  struct pcap_stat ps {};
  if (pcap_stats(handle_, &ps) != 0) return {};
  return LiveStats{ps.ps_recv, ps.ps_drop, ps.ps_ifdrop};
}

}  // namespace mw::capture
