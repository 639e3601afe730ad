// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/pcap_file_source.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace mw::capture {
namespace {

// First four bytes of every format libpcap reads: pcap (µs and ns, both byte orders, and the
// old "modified" pcap) and the pcapng section header block.
bool IsCaptureMagic(const uint8_t m[4]) {
  static constexpr uint8_t kMagics[][4] = {{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
                                           {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
                                           {0x34, 0xcd, 0xb2, 0xa1}, {0xa1, 0xb2, 0xcd, 0x34},
                                           {0x0a, 0x0d, 0x0d, 0x0a}};
  for (const auto& k : kMagics)
    if (std::memcmp(m, k, 4) == 0) return true;
  return false;
}

// Opens a pipe or FIFO without blocking in open() (no writer yet) or in the first read (a writer
// that never writes), then hands libpcap an ordinary blocking stream.
Result<FILE*> OpenStream(const std::string& path, int wait_ms) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Fail(Error::IoError(path + ": " + std::strerror(errno)));
  pollfd pfd{fd, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&pfd, 1, wait_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0) {
    ::close(fd);
    if (rc < 0) return Fail(Error::IoError(path + ": " + std::strerror(errno)));
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", wait_ms / 1000.0);
    return Fail(
        Error::IoError(path + ": no data after " + secs + " s (a pipe or FIFO with no writer?)"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  FILE* f =
      flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ? nullptr : ::fdopen(fd, "rb");
  if (!f) {
    const int err = errno;
    ::close(fd);
    return Fail(Error::IoError(path + ": " + std::strerror(err)));
  }
  return f;
}

std::string TrimLibpcap(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == '.')) s.pop_back();
  return s;
}

}  // namespace

Result<std::unique_ptr<PcapFileSource>> PcapFileSource::Open(const std::string& path, size_t window,
                                                             int stream_wait_ms) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Fail(Error::NotFound(path + ": " + std::strerror(errno)));
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    return Fail(Error::InvalidArgument(path + ": not a regular file"));
  const uint64_t size = uint64_t(st.st_size);
  if (S_ISREG(st.st_mode)) {
    if (size == 0) return Fail(Error::Corruption(path + ": empty file, not a pcap or pcapng file"));
    // Check the magic ourselves: libpcap's "unknown file format" does not say which file.
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return Fail(Error::IoError(path + ": " + std::strerror(errno)));
    uint8_t magic[4] = {};
    size_t got = std::fread(magic, 1, 4, f);
    std::fclose(f);
    if (got < 4 || !IsCaptureMagic(magic))
      return Fail(Error::Corruption(path + ": not a pcap or pcapng file"));
  }
  if (S_ISREG(st.st_mode)) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(Error::IoError(path + ": " + std::strerror(errno)));
    // Read ahead generously when the file is not in the page cache.
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    auto reader = CaptureFileReader::OpenFile(fd, size, window);
    if (!reader) {
      ::close(fd);
      return Fail(Error(reader.error().code(), path + ": " + reader.error().message()));
    }
    auto src = std::unique_ptr<PcapFileSource>(new PcapFileSource(path, nullptr, size));
    src->fd_ = fd;
    src->link_type_ = reader->link_type();
    src->bytes_read_ = reader->offset();
    src->reader_ = std::make_unique<CaptureFileReader>(std::move(*reader));
    return src;
  }
  MW_ASSIGN(stream, OpenStream(path, stream_wait_ms));
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (!p) {
    std::fclose(stream);
    // The file header (24 bytes for pcap, the first blocks for pcapng) could not be read.
    return Fail(Error::Corruption(path + ": offset 0: bad or truncated file header (" +
                                  TrimLibpcap(errbuf) + ")"));
  }
  auto src = std::unique_ptr<PcapFileSource>(new PcapFileSource(path, p, size));
  src->bytes_read_ = src->Tell();
  return src;
}

PcapFileSource::PcapFileSource(std::string path, pcap_t* handle, uint64_t file_size)
    : path_(std::move(path)), handle_(handle), file_size_(file_size) {
  if (handle_) link_type_ = pcap_datalink(handle_);
}

PcapFileSource::~PcapFileSource() {
  if (handle_) pcap_close(handle_);
  if (fd_ >= 0) ::close(fd_);
}

Result<bool> PcapFileSource::NextFromReader(RawPacket& packet) {
  auto got = reader_->Next(packet);
  bytes_read_ = reader_->offset();
  if (!got) {
    return Fail(Error(got.error().code(), path_ + ": " + got.error().message()));
  }
  if (*got) ++packets_read_;
  return got;
}

uint64_t PcapFileSource::Tell() const {
  FILE* f = pcap_file(handle_);
  if (!f) return bytes_read_;
  long pos = std::ftell(f);
  return pos < 0 ? bytes_read_ : uint64_t(pos);
}

Result<bool> PcapFileSource::NextLibpcap(RawPacket& packet) {
  if (done_) return false;
  const uint64_t record_offset = Tell();
  struct pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  bytes_read_ = Tell();
  if (rc == 1) {
    ++packets_read_;
    packet.ts = TimestampUs(hdr->ts.tv_sec) * 1'000'000 + TimestampUs(hdr->ts.tv_usec);
    packet.link_type = link_type_;
    packet.data = ByteView(data, hdr->caplen);
    packet.wire_len = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
    return true;
  }
  done_ = true;
  if (rc == PCAP_ERROR_BREAK || rc == 0) return false;  // end of file
  std::string detail = TrimLibpcap(pcap_geterr(handle_));
  std::string_view what = detail.find("truncated") != std::string::npos ? "truncated packet record"
                                                                        : "corrupt packet record";
  return Fail(Error::Corruption(path_ + ": offset " + std::to_string(record_offset) + ": " +
                                std::string(what) + " (" + detail + ")"));
}

}  // namespace mw::capture
