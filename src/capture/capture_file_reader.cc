// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/capture_file_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mw::capture {
namespace {

constexpr uint32_t kPcapMagicUsec = 0xa1b2c3d4;
constexpr uint32_t kPcapMagicNsec = 0xa1b23c4d;
constexpr uint32_t kPcapMagicModified = 0xa1b2cd34;  // Kuznetzov's patched tcpdump
constexpr uint32_t kPcapngShb = 0x0a0d0d0a;
constexpr uint32_t kPcapngByteOrder = 0x1a2b3c4d;
constexpr uint32_t kBlockIdb = 1, kBlockOpb = 2, kBlockSpb = 3, kBlockEpb = 6;
constexpr int kDltEthernet = 1;
constexpr uint64_t kUserUnitsPerSec = 1'000'000;         // RawPacket timestamps are microseconds
constexpr uint32_t kInitialMaxBlock = 16 * 1024 * 1024;  // libpcap's INITIAL_MAX_BLOCKSIZE

uint32_t Swap32(uint32_t v) { return __builtin_bswap32(v); }
std::string U(uint64_t v) { return std::to_string(v); }

}  // namespace

int LinktypeToDlt(uint32_t linktype) {
  // pcap-common.c: values below LINKTYPE_MATCHING_MIN (104) that differ from the Linux DLT_*.
  switch (linktype) {
    case 100:
      return 11;  // ATM_RFC1483
    case 101:
      return 12;  // RAW
    case 102:
      return 15;  // SLIP_BSDOS
    case 103:
      return 16;  // PPP_BSDOS
    case 106:
      return 19;  // ATM_CLIP
    default:
      return int(linktype);
  }
}

uint32_t MaxSnaplenForDlt(int dlt) {
  switch (dlt) {
    case 231:
      return 128 * 1024 * 1024;  // DBUS
    case 279:
      return 8 * 1024 * 1024;  // EBHSCR
    case 249:
      return 1024 * 1024;  // USBPCAP
    default:
      return 262144;  // MAXIMUM_SNAPLEN
  }
}

uint16_t CaptureFileReader::Load16(uint64_t at) const {
  uint16_t v;
  std::memcpy(&v, At(at), 2);
  return swapped_ ? __builtin_bswap16(v) : v;
}

uint32_t CaptureFileReader::Load32(uint64_t at) const {
  uint32_t v;
  std::memcpy(&v, At(at), 4);
  return swapped_ ? Swap32(v) : v;
}

Status CaptureFileReader::Corrupt(uint64_t at, const std::string& detail) {
  done_ = true;
  return Fail(Error::Corruption("offset " + U(at) + ": corrupt packet record (" + detail + ")"));
}

Status CaptureFileReader::Truncated(uint64_t at, const std::string& detail) {
  done_ = true;
  return Fail(Error::Corruption("offset " + U(at) + ": truncated packet record (" + detail + ")"));
}

Result<CaptureFileReader> CaptureFileReader::Open(ByteView input) {
  CaptureFileReader r(input);
  MW_TRY(r.OpenFormat());
  return r;
}

Result<CaptureFileReader> CaptureFileReader::OpenFile(int fd, uint64_t size, size_t window) {
  CaptureFileReader r(ByteView{});
  r.size_ = size;
  r.fd_ = fd;
  // A small file gets a buffer of its own size, so merging many small files stays cheap.
  r.window_ = size_t(std::max<uint64_t>(std::min<uint64_t>(window, size), 64));
  MW_TRY(r.OpenFormat());
  return r;
}

Status CaptureFileReader::OpenFormat() {
  auto header_error = [](const std::string& detail) {
    return Fail(Error::Corruption("offset 0: bad or truncated file header (" + detail + ")"));
  };
  if (size_ < 4) return header_error("file is shorter than a capture file header");
  MW_TRY(Ensure(0, 4));
  uint32_t magic;
  std::memcpy(&magic, At(0), 4);
  Status s = Ok();
  if (magic == kPcapngShb) {
    s = OpenPcapng();
  } else {
    s = OpenPcap();
  }
  if (!s) {
    // The reader's own messages start with "offset N: <kind> (": keep only the detail.
    std::string m = s.error().message();
    if (m.rfind("offset ", 0) != 0) return s;  // a read error, not the file's content
    size_t open = m.find('(');
    std::string detail = open == std::string::npos ? m : m.substr(open + 1, m.size() - open - 2);
    return header_error(detail);
  }
  done_ = false;
  return Ok();
}

Status CaptureFileReader::Refill(uint64_t at, uint64_t n) {
  if (fd_ < 0 || at < base_ || at + n > size_)  // cannot happen: callers check against size_
    return Corrupt(at, "read outside the input");
  const uint64_t keep = base_ + win_len_ > at ? base_ + win_len_ - at : 0;
  const uint64_t want = std::min<uint64_t>(std::max<uint64_t>(n, window_), size_ - at);
  if (buf_.size() < want) {
    // Only a record larger than the window gets here; the window grows to hold it.
    std::vector<uint8_t> bigger(want);
    if (keep) std::memcpy(bigger.data(), At(at), keep);
    buf_.swap(bigger);
  } else if (keep && at != base_) {
    std::memmove(buf_.data(), At(at), keep);
  }
  uint64_t have = keep;
  while (have < want) {
    const ssize_t got = ::pread(fd_, buf_.data() + have, want - have, off_t(at + have));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      done_ = true;
      return Fail(Error::IoError("read at offset " + U(at + have) + ": " + std::strerror(errno)));
    }
    if (got == 0) {
      done_ = true;
      return Fail(Error::IoError("read at offset " + U(at + have) + ": the file shrank from " +
                                 U(size_) + " bytes while being read"));
    }
    have += uint64_t(got);
  }
  win_ = buf_.data();
  base_ = at;
  win_len_ = have;
  return Ok();
}

Status CaptureFileReader::OpenPcap() {
  if (size_ < 24)
    return Truncated(
        0, "truncated dump file; tried to read 24 file header bytes, only got " + U(size_));
  MW_TRY(Ensure(0, 24));
  uint32_t magic;
  std::memcpy(&magic, At(0), 4);
  if (magic != kPcapMagicUsec && magic != kPcapMagicNsec && magic != kPcapMagicModified) {
    magic = Swap32(magic);
    if (magic != kPcapMagicUsec && magic != kPcapMagicNsec && magic != kPcapMagicModified)
      return Corrupt(0, "unknown file format");
    swapped_ = true;
  }
  const uint16_t major = Load16(4), minor = Load16(6);
  if (major < 2) return Corrupt(0, "archaic pcap savefile format");
  if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0)))
    return Corrupt(0, "unsupported pcap savefile version " + U(major) + "." + U(minor));
  nanoseconds_ = magic == kPcapMagicNsec;
  const uint32_t linktype = Load32(20);
  link_type_ = LinktypeToDlt(linktype & 0x03FFFFFF);
  // libpcap keeps the snapshot length in an int: a huge one counts as "not set".
  const uint32_t max = MaxSnaplenForDlt(link_type_);
  const int32_t snap = int32_t(Load32(16));
  snaplen_ = snap <= 0 || uint32_t(snap) > max ? max : uint32_t(snap);
  if (major == 2 && minor < 3)
    lengths_swapped_ = LengthsSwapped::kYes;
  else if (major == 2 && minor == 3)
    lengths_swapped_ = LengthsSwapped::kMaybe;
  else if (major == 543)
    lengths_swapped_ = LengthsSwapped::kYes;
  if (magic == kPcapMagicModified) {
    record_header_len_ = 24;
    // Such captures may be raw or cooked; libpcap allows for the 14-byte link header.
    if (link_type_ == kDltEthernet) snaplen_ += 14;
  }
  pos_ = 24;
  fast_pcap_ = !swapped_ && lengths_swapped_ == LengthsSwapped::kNo && record_header_len_ == 16;
  return Ok();
}

Result<bool> CaptureFileReader::NextPcap(RawPacket& packet) {
  if (done_) return false;
  const uint64_t at = pos_;
  const uint64_t left = size_ - at;
  if (left == 0) {
    done_ = true;
    return false;
  }
  if (left < record_header_len_)
    return Fail(Truncated(at, "truncated dump file; tried to read " + U(record_header_len_) +
                                  " header bytes, only got " + U(left))
                    .error());
  MW_TRY(Ensure(at, record_header_len_));
  int32_t sec = int32_t(Load32(at));
  int32_t frac = int32_t(Load32(at + 4));
  uint32_t caplen = Load32(at + 8);
  uint32_t len = Load32(at + 12);
  if (nanoseconds_) frac /= 1000;
  if (lengths_swapped_ == LengthsSwapped::kYes ||
      (lengths_swapped_ == LengthsSwapped::kMaybe && caplen > len))
    std::swap(caplen, len);
  if (caplen > MaxSnaplenForDlt(link_type_)) {
    return Fail(Corrupt(at, caplen > snaplen_
                                ? "invalid packet capture length " + U(caplen) +
                                      ", bigger than snaplen of " + U(snaplen_)
                                : "invalid packet capture length " + U(caplen) +
                                      ", bigger than maximum of " + U(MaxSnaplenForDlt(link_type_)))
                    .error());
  }
  const uint64_t data_at = at + record_header_len_;
  const uint64_t data_left = size_ - data_at;
  if (caplen > data_left)
    return Fail(
        Truncated(at,
                  "truncated dump file; tried to read " + U(caplen) + " captured bytes, only got " +
                      U(caplen > snaplen_ ? std::min<uint64_t>(data_left, snaplen_) : data_left))
            .error());
  pos_ = data_at + caplen;
  // A record longer than the file's snapshot length is cut to it, as libpcap does.
  const uint32_t kept = caplen > snaplen_ ? snaplen_ : caplen;
  MW_TRY(Ensure(data_at, kept));
  packet.ts = TimestampUs(sec) * 1'000'000 + TimestampUs(frac);
  packet.link_type = link_type_;
  packet.data = ByteView(At(data_at), kept);
  packet.wire_len = len < kept ? kept : len;
  return true;
}

Status CaptureFileReader::OpenPcapng() {
  // libpcap reads the section header and then blocks up to the first interface description.
  RawPacket unused;
  pcapng_ = true;
  bool packet_found = false;
  if (size_ < 12)
    return Truncated(0, "truncated pcapng dump file; tried to read 12 bytes, only got " + U(size_));
  MW_TRY(Ensure(0, 12));
  uint32_t bom;
  std::memcpy(&bom, At(8), 4);
  if (bom == Swap32(kPcapngByteOrder))
    swapped_ = true;
  else if (bom != kPcapngByteOrder)
    return Corrupt(0, "unknown file format");
  MW_TRY(ReadBlock(unused, &packet_found));
  while (interfaces_.empty()) {
    if (pos_ == size_) return Corrupt(pos_, "the capture file has no Interface Description Blocks");
    const uint64_t at = pos_;
    MW_TRY(ReadBlock(unused, &packet_found));
    if (done_) return Corrupt(at, "the capture file has no Interface Description Blocks");
    if (packet_found)
      return Corrupt(at,
                     "the capture file has a packet block before any Interface Description "
                     "Blocks");
  }
  link_type_ = interfaces_[0].link_type;
  return Ok();
}

Result<bool> CaptureFileReader::NextPcapng(RawPacket& packet) {
  for (;;) {
    if (done_) return false;
    bool packet_found = false;
    MW_TRY(ReadBlock(packet, &packet_found));
    if (packet_found) return true;
  }
}

Status CaptureFileReader::ReadBlock(RawPacket& packet, bool* packet_found) {
  *packet_found = false;
  const uint64_t at = pos_;
  const uint64_t left = size_ - at;
  if (left == 0) {
    done_ = true;
    return Ok();
  }
  if (left < 8)
    return Truncated(at, "truncated pcapng dump file; tried to read 8 bytes, only got " + U(left));
  MW_TRY(Ensure(at, std::min<uint64_t>(left, 12)));
  uint32_t type = Load32(at);
  if (type == kPcapngShb) {
    // A new section may change the byte order only in the sense of being invalid.
    uint32_t bom;
    if (left < 12)
      return Truncated(at,
                       "truncated pcapng dump file; tried to read 12 bytes, only got " + U(left));
    std::memcpy(&bom, At(at + 8), 4);
    if (bom == Swap32(swapped_ ? Swap32(kPcapngByteOrder) : kPcapngByteOrder))
      return Corrupt(at, "the file has sections with different byte orders");
    if (bom != (swapped_ ? Swap32(kPcapngByteOrder) : kPcapngByteOrder))
      return Corrupt(at, "the file has a section with a bad byte order magic field");
  }
  const uint32_t total = Load32(at + 4);
  if (total < 12)
    return Corrupt(at, "block in pcapng dump file has a length of " + U(total) + " < 12");
  if (total % 4 != 0)
    return Corrupt(at, "block in pcapng dump file has a length of " + U(total) +
                           " that is not a multiple of 4");
  uint32_t max_block = kInitialMaxBlock;
  for (const auto& i : interfaces_) {
    uint32_t m = MaxSnaplenForDlt(i.link_type) + 1024;
    if (m > max_block) max_block = m;
  }
  if (total > max_block)
    return Corrupt(at, "pcapng block size " + U(total) + " > maximum " + U(max_block));
  if (total > left)
    return Truncated(at, "truncated pcapng dump file; tried to read " + U(total - 8) +
                             " bytes, only got " + U(left - 8));
  MW_TRY(Ensure(at, total));
  const uint64_t body = at + 8;
  const uint64_t body_len = total - 12;
  auto too_short = [&]() {
    return Corrupt(at, "block of type " + U(type) + " in pcapng dump file is too short");
  };

  uint32_t interface_id = 0, caplen = 0, len = 0;
  uint64_t t = 0, data_at = 0, data_room = 0;
  bool simple = false;
  switch (type) {
    case kPcapngShb:
      MW_TRY(ReadSectionHeader(at, total));
      pos_ = at + total;
      return Ok();
    case kBlockIdb:
      MW_TRY(ReadInterface(at, total));
      pos_ = at + total;
      return Ok();
    case kBlockEpb:
      if (body_len < 20) return too_short();
      interface_id = Load32(body);
      t = (uint64_t(Load32(body + 4)) << 32) | Load32(body + 8);
      caplen = Load32(body + 12);
      len = Load32(body + 16);
      data_at = body + 20;
      data_room = body_len - 20;
      break;
    case kBlockOpb:
      if (body_len < 20) return too_short();
      interface_id = Load16(body);
      t = (uint64_t(Load32(body + 4)) << 32) | Load32(body + 8);
      caplen = Load32(body + 12);
      len = Load32(body + 16);
      data_at = body + 20;
      data_room = body_len - 20;
      break;
    case kBlockSpb:
      if (body_len < 4) return too_short();
      len = Load32(body);
      data_at = body + 4;
      data_room = body_len - 4;
      simple = true;
      break;
    default:  // statistics, name resolution, custom, decryption secrets...: not packets
      pos_ = at + total;
      return Ok();
  }
  if (interface_id >= interfaces_.size())
    return Corrupt(at, "a packet arrived on interface " + U(interface_id) +
                           ", but there's no Interface Description Block for that interface");
  const Interface& ifc = interfaces_[interface_id];
  if (simple) caplen = len > ifc.snaplen ? ifc.snaplen : len;
  if (caplen > ifc.snaplen)
    return Corrupt(at, "invalid packet capture length " + U(caplen) + ", bigger than snaplen of " +
                           U(ifc.snaplen));
  if (caplen > data_room) return too_short();

  // libpcap's conversion, in its unsigned 64-bit arithmetic, so the results agree exactly.
  uint64_t sec = t / ifc.units_per_sec + uint64_t(ifc.offset_sec);
  uint64_t frac = t % ifc.units_per_sec;
  if (ifc.units_per_sec != kUserUnitsPerSec) {
    if (ifc.decimal && ifc.units_per_sec < kUserUnitsPerSec)
      frac *= kUserUnitsPerSec / ifc.units_per_sec;
    else if (ifc.decimal)
      frac /= ifc.units_per_sec / kUserUnitsPerSec;
    else
      frac = frac * kUserUnitsPerSec / ifc.units_per_sec;
  }
  packet.ts = TimestampUs(sec * 1'000'000 + uint64_t(int64_t(int32_t(frac))));
  packet.link_type = ifc.link_type;
  packet.data = ByteView(At(data_at), caplen);
  packet.wire_len = len < caplen ? caplen : len;
  pos_ = at + total;
  *packet_found = true;
  return Ok();
}

Status CaptureFileReader::ReadSectionHeader(uint64_t at, uint32_t total) {
  if (total < 28)
    return Corrupt(at, "block in pcapng dump file has a length of " + U(total) + " < 28");
  const uint16_t major = Load16(at + 12), minor = Load16(at + 14);
  if (major != 1 || (minor != 0 && minor != 2))
    return Corrupt(at, "unsupported pcapng savefile version " + U(major) + "." + U(minor));
  interfaces_.clear();  // each section has its own interfaces
  return Ok();
}

Status CaptureFileReader::ReadInterface(uint64_t at, uint32_t total) {
  const uint64_t body = at + 8;
  const uint64_t end = at + total - 4;
  auto too_short = [&]() {
    return Corrupt(at, "block of type 1 in pcapng dump file is too short");
  };
  if (end - body < 8) return too_short();
  Interface ifc;
  ifc.link_type = LinktypeToDlt(Load16(body));
  const uint32_t max = MaxSnaplenForDlt(ifc.link_type);
  const uint32_t snap = Load32(body + 4);
  ifc.snaplen = snap == 0 || snap > max ? max : snap;
  bool saw_tsresol = false, saw_tsoffset = false;
  for (uint64_t o = body + 8; end - o >= 4;) {
    const uint16_t code = Load16(o), olen = Load16(o + 2);
    const uint64_t padded = (uint64_t(olen) + 3) & ~uint64_t(3);
    o += 4;
    if (code == 0) {
      if (olen != 0)
        return Corrupt(at, "Interface Description Block has opt_endofopt option with length " +
                               U(olen) + " != 0");
      break;
    }
    if (end - o < padded) return too_short();
    if (code == 9) {  // if_tsresol
      if (olen != 1)
        return Corrupt(at, "Interface Description Block has if_tsresol option with length " +
                               U(olen) + " != 1");
      if (saw_tsresol)
        return Corrupt(at, "Interface Description Block has more than one if_tsresol option");
      saw_tsresol = true;
      const uint8_t v = *At(o);
      if (v & 0x80) {
        const unsigned e = v & 0x7f;
        if (e > 63)
          return Corrupt(at, "Interface Description Block if_tsresol option resolution 2^-" + U(e) +
                                 " is too high");
        ifc.decimal = false;
        ifc.units_per_sec = uint64_t(1) << e;
      } else {
        if (v > 19)
          return Corrupt(at, "Interface Description Block if_tsresol option resolution 10^-" +
                                 U(v) + " is too high");
        ifc.units_per_sec = 1;
        for (unsigned i = 0; i < v; ++i) ifc.units_per_sec *= 10;
      }
    } else if (code == 14) {  // if_tsoffset
      if (olen != 8)
        return Corrupt(at, "Interface Description Block has if_tsoffset option with length " +
                               U(olen) + " != 8");
      if (saw_tsoffset)
        return Corrupt(at, "Interface Description Block has more than one if_tsoffset option");
      saw_tsoffset = true;
      uint64_t v;
      std::memcpy(&v, At(o), 8);
      if (swapped_) v = __builtin_bswap64(v);
      ifc.offset_sec = int64_t(v);
    }
    o += padded;
  }
  // A binary resolution equal to a microsecond is impossible, so only 10^-6 passes through.
  interfaces_.push_back(ifc);
  return Ok();
}

}  // namespace mw::capture
