// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Reads one pcap or pcapng file, with microsecond timestamps. A regular file is mapped into memory
// and read by CaptureFileReader (zero copy: packets are views into the mapping); anything else
// (a pipe, /dev/stdin) goes through libpcap (pcap_open_offline). See capture_file_reader.h for why.
//
// Memory: the pages of the mapping already read are dropped from the process (MADV_DONTNEED, the
// page cache keeps them), so the resident size stays bounded however large the file is.
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

class PcapFileSource final : public PacketSource {
 public:
  // Opens "path". Fails with a clear message when the file is missing, empty or not a capture.
  static Result<std::unique_ptr<PcapFileSource>> Open(const std::string& path);
  ~PcapFileSource() override;
  PcapFileSource(const PcapFileSource&) = delete;
  PcapFileSource& operator=(const PcapFileSource&) = delete;

  Result<bool> Next(RawPacket& packet) override {
    return reader_ ? NextMapped(packet) : NextLibpcap(packet);
  }
  uint64_t bytes_read() const override { return bytes_read_; }
  uint64_t total_bytes() const override { return file_size_; }

  const std::string& path() const { return path_; }
  int link_type() const { return link_type_; }
  uint64_t packets_read() const { return packets_read_; }

 private:
  PcapFileSource(std::string path, pcap_t* handle, uint64_t file_size);
  uint64_t Tell() const;
  Result<bool> NextLibpcap(RawPacket& packet);
  Result<bool> NextMapped(RawPacket& packet);

  std::string path_;
  pcap_t* handle_ = nullptr;  // libpcap fallback
  // Mapped file: the reader's views point into [map_, map_ + file_size_).
  void* map_ = nullptr;
  std::unique_ptr<CaptureFileReader> reader_;
  uint64_t released_ = 0;  // bytes of the mapping already given back (MADV_DONTNEED)
  uint64_t file_size_;
  uint64_t bytes_read_ = 0;
  uint64_t packets_read_ = 0;
  int link_type_ = 0;
  bool done_ = false;
};

}  // namespace mw::capture
