// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Content-Encoding decoding of HTTP response bodies, with libhtp's (Suricata 7) tolerance: up to
// a configured number of gzip/deflate layers, raw deflate and zlib-wrapped deflate both accepted
// for either name, gzip headers with odd flags skipped, the output of a corrupt stream kept up to
// the error, and a stream that does not inflate at all passed on as it is.
//
// Bounded: output goes to a sink that says when it is full (the body limit); decoding stops
// there, so a decompression bomb costs at most the limit plus one 8 KiB buffer per layer.
// zlib's state and the layer buffers are allocated at the first compressed body of a flow and
// reused by every later one (inflateReset2); heap_bytes() counts all of them.
//
// Thread-safety: one instance per flow direction, used by the flow's pipeline thread only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mw/core/byte_view.h"

namespace mw::http {

// Receives decoded bytes; returns false once it wants no more (body limit reached).
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual bool Take(ByteView bytes) = 0;
};

class ContentDecoder {
 public:
  static constexpr int kMaxLayers = 8;
  // What happened to the last body; reset by Start.
  struct Outcome {
    bool corrupt = false;      // a layer failed after producing output (kept up to the error)
    bool passthrough = false;  // a layer did not inflate at all: its input was kept as it came
    bool layer_limit = false;  // more codings listed than the layer limit
  };

  ContentDecoder();
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Sets the decoder up for one body from its Content-Encoding value (libhtp's reading: one
  // exact "gzip"/"deflate" token, else every comma/space separated token containing "gzip" or
  // "deflate", counting every token against "layer_limit", 0 = no limit). Returns false (and
  // stays inactive) when the value names no coding it decodes.
  bool Start(std::string_view content_encoding, int layer_limit);
  bool active() const { return layers_ > 0; }
  // Decodes one piece of the body into "sink". Returns false when the sink is full.
  bool Feed(ByteView in, BodySink& sink);
  // The body ended: flushes what the layers still hold. Leaves the decoder inactive.
  void Finish(BodySink& sink);
  const Outcome& outcome() const { return outcome_; }
  size_t heap_bytes() const { return heap_; }

 private:
  struct Layer;
  enum class Kind : uint8_t { kGzip, kDeflate };
  bool AddLayer(Kind kind);
  // Feeds layer "i" (libhtp's htp_gzip_decompressor_decompress, one layer).
  bool Decompress(int i, ByteView in, BodySink& sink);
  bool Emit(int i, ByteView out, BodySink& sink);
  bool Restart(Layer& l, ByteView in, size_t* skip);
  static void* Alloc(void* opaque, unsigned items, unsigned size);
  static void Free(void* opaque, void* p);

  std::array<std::unique_ptr<Layer>, kMaxLayers> pool_;  // kept across bodies
  int layers_ = 0;                                       // in use for this body
  bool full_ = false;
  Outcome outcome_;
  size_t heap_ = 0;
};

}  // namespace mw::http
