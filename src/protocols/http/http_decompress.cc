// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/http/http_decompress.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>

namespace mw::http {
namespace {

constexpr size_t kLayerBuffer = 8192;  // libhtp's GZIP_BUF_SIZE: what a layer hands on at once
constexpr int kGzipBits = 15 + 32;     // gzip or zlib header, detected by zlib
constexpr int kRawDeflateBits = -15;   // what "deflate" means to libhtp (and most browsers)
constexpr int kMaxRestarts = 3;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// Case-insensitive equality that ignores NUL bytes in "v" (libhtp's bstr_cmp_c_nocasenorzero).
bool EqualsNoCaseNoZero(std::string_view v, std::string_view lower) {
  size_t j = 0;
  for (char c : v) {
    if (c == '\0') continue;
    if (j == lower.size() || Lower(c) != lower[j]) return false;
    ++j;
  }
  return j == lower.size();
}

bool ContainsNoCase(std::string_view v, std::string_view lower) {
  if (v.size() < lower.size()) return false;
  for (size_t i = 0; i + lower.size() <= v.size(); ++i) {
    size_t k = 0;
    while (k < lower.size() && Lower(v[i + k]) == lower[k]) ++k;
    if (k == lower.size()) return true;
  }
  return false;
}

// Bytes of a gzip header to skip when zlib refused it: names, comments and header CRCs that
// evasions set without the matching fields (libhtp's htp_gzip_decompressor_probe).
size_t GzipHeaderSkip(ByteView d) {
  if (d.size() < 4 || d[0] != 0x1f || d[1] != 0x8b || d[3] == 0) return 0;
  size_t skip = 10;
  if ((d[3] & 0x18) != 0) {  // FNAME or FCOMMENT: NUL-terminated
    size_t n = 10;
    while (n < d.size() && d[n] != 0) ++n;
    skip = n + 1;
  } else if ((d[3] & 0x02) != 0) {  // FHCRC
    skip = 12;
  }
  return skip > d.size() ? 0 : skip;
}

}  // namespace

struct ContentDecoder::Layer {
  z_stream zs{};
  bool zinit = false;
  Kind kind = Kind::kGzip;
  int restarts = 0;
  bool passthrough = false;  // inflating failed for good: input goes on as it is
  bool ended = false;        // stream end (or a kept error): further input is ignored
  std::array<uint8_t, kLayerBuffer> out{};

  size_t pending() const { return kLayerBuffer - zs.avail_out; }
  void ResetOut() {
    zs.next_out = out.data();
    zs.avail_out = kLayerBuffer;
  }
};

ContentDecoder::ContentDecoder() = default;

ContentDecoder::~ContentDecoder() {
  for (auto& l : pool_)
    if (l && l->zinit) inflateEnd(&l->zs);
}

void* ContentDecoder::Alloc(void* opaque, unsigned items, unsigned size) {
  // A size header in front of each block, so Free can uncharge it.
  const size_t n = size_t(items) * size;
  auto* p = static_cast<max_align_t*>(std::malloc(n + sizeof(max_align_t)));
  if (p == nullptr) return Z_NULL;
  *reinterpret_cast<size_t*>(p) = n;
  static_cast<ContentDecoder*>(opaque)->heap_ += n;
  return p + 1;
}

void ContentDecoder::Free(void* opaque, void* ptr) {
  if (ptr == nullptr) return;
  auto* p = static_cast<max_align_t*>(ptr) - 1;
  static_cast<ContentDecoder*>(opaque)->heap_ -= *reinterpret_cast<size_t*>(p);
  std::free(p);
}

bool ContentDecoder::AddLayer(Kind kind) {
  if (layers_ == kMaxLayers) return false;
  auto& slot = pool_[size_t(layers_)];
  if (!slot) {
    slot = std::make_unique<Layer>();
    heap_ += sizeof(Layer);
  }
  Layer& l = *slot;
  const int bits = kind == Kind::kGzip ? kGzipBits : kRawDeflateBits;
  if (!l.zinit) {
    l.zs.zalloc = &ContentDecoder::Alloc;
    l.zs.zfree = &ContentDecoder::Free;
    l.zs.opaque = this;
    if (inflateInit2(&l.zs, bits) != Z_OK) return false;
    l.zinit = true;
  } else if (inflateReset2(&l.zs, bits) != Z_OK) {
    return false;
  }
  l.kind = kind;
  l.restarts = 0;
  l.passthrough = false;
  l.ended = false;
  l.ResetOut();
  ++layers_;
  return true;
}

bool ContentDecoder::Start(std::string_view ce, int layer_limit) {
  layers_ = 0;
  full_ = false;
  outcome_ = {};
  if (EqualsNoCaseNoZero(ce, "gzip") || EqualsNoCaseNoZero(ce, "x-gzip"))
    return AddLayer(Kind::kGzip);
  if (EqualsNoCaseNoZero(ce, "deflate") || EqualsNoCaseNoZero(ce, "x-deflate"))
    return AddLayer(Kind::kDeflate);
  // Several codings (or odd spellings): every token counts against the limit; the ones that
  // mention gzip or deflate become layers, applied in the order listed, as libhtp does.
  int tokens = 0;
  size_t i = 0;
  while (i < ce.size()) {
    while (i < ce.size() && (ce[i] == ',' || ce[i] == ' ')) ++i;
    size_t j = i;
    while (j < ce.size() && ce[j] != ',' && ce[j] != ' ') ++j;
    if (j == i) break;
    std::string_view tok = ce.substr(i, j - i);
    i = j;
    if (layer_limit != 0 && ++tokens > layer_limit) {
      outcome_.layer_limit = true;
      break;
    }
    if (ContainsNoCase(tok, "gzip")) {
      AddLayer(Kind::kGzip);
    } else if (ContainsNoCase(tok, "deflate")) {
      AddLayer(Kind::kDeflate);
    }
  }
  return layers_ > 0;
}

bool ContentDecoder::Emit(int i, ByteView out, BodySink& sink) {
  if (out.empty()) return true;
  const bool ok = i + 1 < layers_ ? Decompress(i + 1, out, sink) : sink.Take(out);
  if (!ok) full_ = true;
  return ok;
}

bool ContentDecoder::Restart(Layer& l, ByteView in, size_t* skip) {
  if (l.restarts >= kMaxRestarts) return false;
  // First the same coding past an odd gzip header, then the other coding, then back.
  if (l.restarts > 0) l.kind = l.kind == Kind::kGzip ? Kind::kDeflate : Kind::kGzip;
  if (inflateReset2(&l.zs, l.kind == Kind::kGzip ? kGzipBits : kRawDeflateBits) != Z_OK)
    return false;
  *skip = GzipHeaderSkip(in);
  ++l.restarts;
  return true;
}

bool ContentDecoder::Decompress(int i, ByteView in, BodySink& sink) {
  Layer& l = *pool_[size_t(i)];
  if (l.passthrough) return sink.Take(in) || (full_ = true, false);
  if (l.ended) return true;
  size_t skip = 0;
  for (;;) {  // once per (re)start
    l.zs.next_in = const_cast<Bytef*>(in.data() + skip);
    l.zs.avail_in = uInt(in.size() - skip);
    int rc = Z_OK;
    while (l.zs.avail_in != 0) {
      if (l.zs.avail_out == 0) {
        if (!Emit(i, ByteView(l.out.data(), kLayerBuffer), sink)) return false;
        l.ResetOut();
      }
      rc = inflate(&l.zs, Z_NO_FLUSH);
      if (rc == Z_DATA_ERROR && l.pending() > 0) {
        outcome_.corrupt = true;  // keep what inflated before the error, as libhtp does
        rc = Z_STREAM_END;
      }
      if (rc == Z_STREAM_END) {
        l.ended = true;
        const bool ok = Emit(i, ByteView(l.out.data(), l.pending()), sink);
        l.ResetOut();
        return ok;
      }
      if (rc != Z_OK) break;
    }
    if (rc == Z_OK) return true;
    if (!Restart(l, in, &skip)) break;
  }
  // Nothing inflates: the body may not be compressed at all.
  l.passthrough = true;
  outcome_.passthrough = true;
  if (!sink.Take(in)) {
    full_ = true;
    return false;
  }
  return true;
}

bool ContentDecoder::Feed(ByteView in, BodySink& sink) {
  if (layers_ == 0 || full_) return !full_;
  Decompress(0, in, sink);
  return !full_;
}

void ContentDecoder::Finish(BodySink& sink) {
  for (int i = 0; i < layers_ && !full_; ++i) {
    Layer& l = *pool_[size_t(i)];
    if (l.passthrough || l.pending() == 0) continue;
    Emit(i, ByteView(l.out.data(), l.pending()), sink);
    l.ResetOut();
  }
  layers_ = 0;
}

}  // namespace mw::http
