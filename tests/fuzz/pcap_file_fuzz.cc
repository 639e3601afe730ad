// minerwatch — SPDX-License-Identifier: Apache-2.0
// Capture-file reading: the input is written to a temporary file and read through
// PcapFileSource (libpcap's pcap and pcapng readers plus our offset reporting), then decoded.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "capture/pcap_file_source.h"
#include "decode/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/mw_pcap_fuzz_" + std::to_string(getpid()) + ".pcap";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto src = mw::capture::PcapFileSource::Open(path);
  if (!src) return 0;
  mw::decode::Decoder decoder;
  mw::decode::DecodedPacket out;
  mw::capture::RawPacket raw;
  for (int i = 0; i < 10000; ++i) {
    auto more = (*src)->Next(raw);
    if (!more || !*more) break;
    decoder.Decode(raw, out);
  }
  return 0;
}
