// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Zero-copy reader of classic pcap (µs and ns, both byte orders, and the old "modified" record
// format) and pcapng (SHB in either byte order; per-interface link type, time-stamp resolution
// and offset from the IDBs; EPB, SPB and OPB; other blocks skipped) held in memory, usually a
// read-only mapping of the whole file (PcapFileSource).
//
// Why it exists: libpcap reads a savefile one record at a time with fread() into its own buffer;
// that per-record path, plus the ftell() needed for error offsets, cost more than the whole rest
// of the sensor pipeline on a file in the page cache. Here a packet is a view into the input, and
// the next record header is a few loads away. libpcap stays for live capture, BPF, and files that
// cannot be mapped (pipes, /dev/stdin).
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
#include <string>
#include <vector>

#include "capture/packet_source.h"

namespace mw::capture {

class CaptureFileReader {
 public:
  // Reads the file header (for pcapng: up to and including the first IDB, as libpcap does).
  // Fails with "offset 0: bad or truncated file header (<detail>)" on a damaged header.
  static Result<CaptureFileReader> Open(ByteView input);

  // Fills "packet" (data points into the input) and returns true; false at the end.
  Result<bool> Next(RawPacket& packet) {
    return pcapng_ ? NextPcapng(packet) : NextPcap(packet);
  }

  // Byte offset just past the last record consumed (the file header after Open()).
  uint64_t offset() const { return pos_; }
  // DLT_* of the file (pcapng: of the first interface), what pcap_datalink() would say.
  int link_type() const { return link_type_; }
  bool is_pcapng() const { return pcapng_; }

 private:
  struct Interface {
    int link_type = 0;
    uint32_t snaplen = 0;        // already clamped to the link type's maximum
    uint64_t units_per_sec = 1'000'000;
    bool decimal = true;         // units_per_sec is a power of 10 (else of 2)
    int64_t offset_sec = 0;      // if_tsoffset
  };

  explicit CaptureFileReader(ByteView input) : in_(input) {}
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

  ByteView in_;
  uint64_t pos_ = 0;
  bool pcapng_ = false;
  bool swapped_ = false;
  bool done_ = false;
  int link_type_ = 0;
  // Classic pcap.
  uint32_t record_header_len_ = 16;
  uint32_t snaplen_ = 0;
  bool nanoseconds_ = false;
  enum class LengthsSwapped { kNo, kMaybe, kYes } lengths_swapped_ = LengthsSwapped::kNo;
  // pcapng: the current section's interfaces.
  std::vector<Interface> interfaces_;
  uint32_t first_snaplen_ = 0;  // libpcap bounds every packet by the first interface's snaplen
};

// libpcap's LINKTYPE_* (file) to DLT_* (API) mapping, for the values where they differ.
int LinktypeToDlt(uint32_t linktype);
// libpcap's sanity bound on a packet's captured length for a link type.
uint32_t MaxSnaplenForDlt(int dlt);

}  // namespace mw::capture
