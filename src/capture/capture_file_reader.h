// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Reader of classic pcap (µs and ns, both byte orders, and the old "modified" record format) and
// pcapng (SHB in either byte order; per-interface link type, time-stamp resolution and offset
// from the IDBs; EPB, SPB and OPB; other blocks skipped), either held in memory (Open) or read
// from a file descriptor with pread() into one reused window (OpenFile, what PcapFileSource uses).
//
// Why it exists: libpcap reads a savefile one record at a time with fread() into its own buffer;
// that per-record path, plus the ftell() needed for error offsets, cost more than the whole rest
// of the sensor pipeline on a file in the page cache. Here a packet is a view into the window,
// and the next record header is a few loads away. Why a window and not a mapping of the file:
// mapping page-cache pages on first touch, unmapping them again and the cache misses on every
// new page cost more than one large copy into a buffer that stays in the CPU cache. A record
// that crosses the window's end is moved to its start before the rest is read; the window grows
// only for a record larger than itself (bounded by the format's maximum block size). libpcap
// stays for live capture, BPF, and files that cannot be read by offset (pipes, /dev/stdin).
//
// The results match libpcap's pcap_next_ex() with microsecond precision (timestamps, link types
// as DLT_* values, caplen/len, snaplen clamping), which the unit tests check packet by packet on
// every capture of nDPI's suite. One deliberate difference: pcapng interfaces may have different
// link types (libpcap refuses such files), since RawPacket carries its own link type.
//
// Every header field is bounds-checked against the input. Errors are one line,
// "offset <n>: truncated packet record (<detail>)" or "offset <n>: corrupt packet record
// (<detail>)", where <n> is the byte offset of the record or block that could not be read; the
// caller prefixes the file name. After an error or the end, Next() keeps returning false.
//
// Thread-safety: one reader per thread. The input must outlive the reader.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "capture/packet_source.h"

namespace mw::capture {

class CaptureFileReader {
 public:
  // Reads the file header (for pcapng: up to and including the first IDB, as libpcap does).
  // Fails with "offset 0: bad or truncated file header (<detail>)" on a damaged header.
  static Result<CaptureFileReader> Open(ByteView input);
  // The same, reading "size" bytes of the open file "fd" (not owned; it must stay open) through
  // a window of "window" bytes. Read errors and a file that shrinks are one-line errors.
  static constexpr size_t kDefaultWindow = 256 * 1024;
  static Result<CaptureFileReader> OpenFile(int fd, uint64_t size, size_t window = kDefaultWindow);

  // Fills "packet" (data points into the input) and returns true; false at the end.
  Result<bool> Next(RawPacket& packet) {
    if (NextFast(packet)) return true;
    return pcapng_ ? NextPcapng(packet) : NextPcap(packet);
  }

  // The common case inline, without a Result: a classic pcap record in host byte order that
  // lies wholly in the window and fits the snapshot length. Returns false when Next() must be
  // called instead (anything else, including the end and errors); then nothing was consumed.
  bool NextFast(RawPacket& packet) {
    if (!fast_pcap_ || done_) return false;
    const uint64_t at = pos_;
    if (!Have(at, 16)) return false;
    uint32_t h[4];  // seconds, fraction, caplen, len
    std::memcpy(h, At(at), 16);
    const uint32_t caplen = h[2];
    if (caplen > snaplen_ || !Have(at + 16, caplen)) return false;
    const int32_t frac = nanoseconds_ ? int32_t(h[1]) / 1000 : int32_t(h[1]);
    packet.ts = TimestampUs(int32_t(h[0])) * 1'000'000 + TimestampUs(frac);
    packet.link_type = link_type_;
    packet.data = ByteView(At(at + 16), caplen);
    packet.wire_len = h[3] < caplen ? caplen : h[3];
    pos_ = at + 16 + caplen;
    return true;
  }

  // Byte offset just past the last record consumed (the file header after Open()).
  uint64_t offset() const { return pos_; }
  // DLT_* of the file (pcapng: of the first interface), what pcap_datalink() would say.
  int link_type() const { return link_type_; }
  bool is_pcapng() const { return pcapng_; }

 private:
  struct Interface {
    int link_type = 0;
    uint32_t snaplen = 0;  // already clamped to the link type's maximum
    uint64_t units_per_sec = 1'000'000;
    bool decimal = true;     // units_per_sec is a power of 10 (else of 2)
    int64_t offset_sec = 0;  // if_tsoffset
  };

  explicit CaptureFileReader(ByteView input)
      : size_(input.size()), win_(input.data()), win_len_(input.size()) {}
  Status OpenFormat();
  // Input byte at file offset "at"; only valid for offsets Have() or Ensure() made present.
  const uint8_t* At(uint64_t at) const { return win_ + (at - base_); }
  bool Have(uint64_t at, uint64_t n) const { return at - base_ + n <= win_len_; }
  // Makes [at, at + n) present (at + n <= size_ is checked by the caller). Only a windowed
  // reader ever needs to read; the window then starts at "at".
  Status Ensure(uint64_t at, uint64_t n) { return Have(at, n) ? Ok() : Refill(at, n); }
  Status Refill(uint64_t at, uint64_t n);
  uint16_t Load16(uint64_t at) const;
  uint32_t Load32(uint64_t at) const;
  Status OpenPcap();
  Status OpenPcapng();
  Result<bool> NextPcap(RawPacket& packet);
  Result<bool> NextPcapng(RawPacket& packet);
  // Reads one pcapng block at pos_. Sets *packet_found when it was a packet block.
  Status ReadBlock(RawPacket& packet, bool* packet_found);
  Status ReadSectionHeader(uint64_t at, uint32_t total_len);
  Status ReadInterface(uint64_t at, uint32_t total_len);
  Status Corrupt(uint64_t at, const std::string& detail);
  Status Truncated(uint64_t at, const std::string& detail);

  uint64_t size_ = 0;             // input (file) size
  const uint8_t* win_ = nullptr;  // bytes [base_, base_ + win_len_) of the input
  uint64_t base_ = 0;
  uint64_t win_len_ = 0;
  int fd_ = -1;               // windowed reader: where the bytes come from
  size_t window_ = 0;         // usual window size
  std::vector<uint8_t> buf_;  // windowed reader: the window's storage
  uint64_t pos_ = 0;
  bool pcapng_ = false;
  bool swapped_ = false;
  bool done_ = false;
  bool fast_pcap_ = false;  // NextFast() applies to this file
  int link_type_ = 0;
  // Classic pcap.
  uint32_t record_header_len_ = 16;
  uint32_t snaplen_ = 0;
  bool nanoseconds_ = false;
  enum class LengthsSwapped { kNo, kMaybe, kYes } lengths_swapped_ = LengthsSwapped::kNo;
  // pcapng: the current section's interfaces.
  std::vector<Interface> interfaces_;
};

// libpcap's LINKTYPE_* (file) to DLT_* (API) mapping, for the values where they differ.
int LinktypeToDlt(uint32_t linktype);
// libpcap's sanity bound on a packet's captured length for a link type.
uint32_t MaxSnaplenForDlt(int dlt);

}  // namespace mw::capture
