// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Reads one pcap or pcapng file, with microsecond timestamps. A regular file is read with pread()
// into one reused window by CaptureFileReader (packets are views into the window); a pipe or FIFO
// (/dev/stdin, mkfifo) is read as a stream by libpcap. See capture_file_reader.h for why.
//
// Streams: opening a FIFO blocks until a writer opens it, and reading blocks until it writes, so
// the FIFO is opened non-blocking and its first bytes are awaited with poll() for at most
// "stream_wait_ms"; silence till then is an error ("no data after N s"), never a hang. Once data
// flows, a slow writer is waited for as any stream is.
//
// Memory: one window ("window" bytes, less for a smaller file; larger only while a record larger
// than the window is read), however large the file is.
//
// Errors are one line: "<file>: offset <n>: truncated packet record (<libpcap detail>)", where
// <n> is the byte offset of the record that could not be read. Damaged input is reported, never
// asserted on: an empty file, a truncated header, a non-capture file and a cut-off last record
// each give such an error.
#include <cstdint>
#include <memory>
#include <string>

#include "capture/capture_file_reader.h"
#include "capture/packet_source.h"

typedef struct pcap pcap_t;

namespace mw::capture {

inline constexpr int kDefaultStreamWaitMs = 10'000;

class PcapFileSource final : public PacketSource {
 public:
  // Opens "path". Fails with a clear message when the file is missing, empty or not a capture.
  static Result<std::unique_ptr<PcapFileSource>> Open(
      const std::string& path, size_t window = CaptureFileReader::kDefaultWindow,
      int stream_wait_ms = kDefaultStreamWaitMs);
  ~PcapFileSource() override;
  PcapFileSource(const PcapFileSource&) = delete;
  PcapFileSource& operator=(const PcapFileSource&) = delete;

  Result<bool> Next(RawPacket& packet) override {
    if (NextFast(packet)) return true;
    return reader_ ? NextFromReader(packet) : NextLibpcap(packet);
  }
  // The common record (CaptureFileReader::NextFast) without building a Result; false means
  // "call Next()", and nothing was consumed.
  bool NextFast(RawPacket& packet) {
    if (!reader_ || !reader_->NextFast(packet)) return false;
    ++packets_read_;
    return true;
  }
  uint64_t bytes_read() const override { return reader_ ? reader_->offset() : bytes_read_; }
  uint64_t total_bytes() const override { return file_size_; }

  const std::string& path() const { return path_; }
  int link_type() const { return link_type_; }
  uint64_t packets_read() const { return packets_read_; }

 private:
  PcapFileSource(std::string path, pcap_t* handle, uint64_t file_size);
  uint64_t Tell() const;
  Result<bool> NextLibpcap(RawPacket& packet);
  Result<bool> NextFromReader(RawPacket& packet);

  std::string path_;
  pcap_t* handle_ = nullptr;  // libpcap fallback
  int fd_ = -1;               // regular file, read by reader_
  std::unique_ptr<CaptureFileReader> reader_;
  uint64_t file_size_;
  uint64_t bytes_read_ = 0;
  uint64_t packets_read_ = 0;
  int link_type_ = 0;
  bool done_ = false;
};

}  // namespace mw::capture
