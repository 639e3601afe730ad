// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for ContentDecoder alone, so coverage reaches zlib's error paths and
// libhtp's restarts without a header block in front. Input: byte 0 = layer limit (low 3 bits)
// and piece size (high 5 bits: 1 + b * 64 bytes); then the Content-Encoding value up to the
// first '\n'; the rest is the body, fed piece by piece. Fails when the output passes the
// sink's limit or the heap it reports grows past a bound (a decompression bomb got through).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocols/http/http_decompress.h"

namespace {

constexpr size_t kLimit = 64 * 1024;

class CountingSink final : public mw::http::BodySink {
 public:
  bool Take(mw::ByteView bytes) override {
    size_t sum = 0;
    for (uint8_t b : bytes) sum += b;  // reads every byte for ASan
    sum_ = sum_ + sum;
    size_ += bytes.size();
    return size_ < kLimit;
  }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
  volatile size_t sum_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int limit = data[0] & 7;
  const size_t piece = 1 + size_t(data[0] >> 3) * 64;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return 0;
  mw::http::ContentDecoder decoder;
  CountingSink sink;
  // Twice: the second body reuses the first one's zlib state (inflateReset2).
  for (int round = 0; round < 2; ++round) {
    if (!decoder.Start(rest.substr(0, nl), limit)) return 0;
    mw::ByteView body(data + 2 + nl, size - 2 - nl);
    for (size_t at = 0; at < body.size(); at += piece)
      if (!decoder.Feed(body.subspan(at, std::min(piece, body.size() - at)), sink)) break;
    decoder.Finish(sink);
    // The sink says "full" once at or past its limit; one layer buffer (8 KiB) more at most.
    if (sink.size() > (round + 1) * (kLimit + 8192)) std::abort();
    if (decoder.heap_bytes() > 4 * 1024 * 1024) std::abort();
  }
  return 0;
}
