// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/tls/tls_hello.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

namespace mw::tls {
namespace {

constexpr uint16_t kExtServerName = 0x0000;
constexpr uint16_t kExtSupportedGroups = 0x000a;
constexpr uint16_t kExtPointFormats = 0x000b;
constexpr uint16_t kExtSignatureAlgorithms = 0x000d;
constexpr uint16_t kExtAlpn = 0x0010;
constexpr uint16_t kExtSupportedVersions = 0x002b;
constexpr size_t kMaxSniLength = 255;

// Bounds-checked big-endian cursor; every read fails softly once the data runs out.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool U8(uint8_t* v) {
    if (left() < 1) return false;
    *v = b_[pos_++];
    return true;
  }
  bool U16(uint16_t* v) {
    if (left() < 2) return false;
    *v = LoadBe16(b_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool Bytes(size_t n, ByteView* v) {
    if (left() < n) return false;
    *v = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  size_t left() const { return b_.size() - pos_; }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

// Digests reuse one context per thread: EVP_Digest() would allocate a context per call.
struct DigestState {
  DigestState()
      : ctx(EVP_MD_CTX_new()),
        md5(EVP_MD_fetch(nullptr, "MD5", nullptr)),
        sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}
  ~DigestState() {
    EVP_MD_free(sha256);
    EVP_MD_free(md5);
    EVP_MD_CTX_free(ctx);
  }
  EVP_MD_CTX* ctx;
  EVP_MD* md5;
  EVP_MD* sha256;
};

void DigestHex(bool sha256, std::string_view data, char* out, size_t hex_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local DigestState state;
  const EVP_MD* md = sha256 ? state.sha256 : state.md5;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!md || !state.ctx || EVP_DigestInit_ex2(state.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(state.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(state.ctx, digest, &len) != 1 || len * 2 < hex_len) {
    // Only reachable with a broken OpenSSL install (no default provider); fail visibly.
    std::fill(out, out + hex_len, '?');
    return;
  }
  for (size_t i = 0; i < hex_len / 2; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0F];
  }
}

void AppendDecimal(std::string& s, unsigned v) {
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  s.append(buf, r.ptr);
}

template <typename T>
void AppendDecimalList(std::string& s, const std::vector<T>& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s.push_back('-');
    AppendDecimal(s, v[i]);
  }
}

void AppendHex4List(std::string& s, const std::vector<uint16_t>& v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s.push_back(',');
    const uint16_t x = v[i];
    const char h[4] = {kHex[x >> 12], kHex[(x >> 8) & 0xF], kHex[(x >> 4) & 0xF], kHex[x & 0xF]};
    s.append(h, 4);
  }
}

const char* Ja4Version(uint16_t v) {
  switch (v) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

bool IsAlnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void AppendTwoDigits(std::string& s, size_t n) {
  n = std::min<size_t>(n, 99);
  s.push_back(char('0' + n / 10));
  s.push_back(char('0' + n % 10));
}

}  // namespace

void Md5Hex(std::string_view data, char out[32]) { DigestHex(false, data, out, 32); }
void Sha256Hex(std::string_view data, char out[64]) { DigestHex(true, data, out, 64); }

HelloStatus HelloDecoder::DecodeClientHello(ByteView body, ClientHelloInfo& out, bool fingerprint) {
  ciphers_.clear(), extensions_.clear(), groups_.clear(), sigalgs_.clear();
  point_formats_.clear(), sni_.clear();
  out.alpn.clear();
  out.sni = {};
  Reader r(body);
  uint8_t sid_len = 0, comp_len = 0;
  uint16_t cs_len = 0;
  ByteView cs;
  if (!r.U16(&out.legacy_version) || !r.Skip(32) || !r.U8(&sid_len) || !r.Skip(sid_len) ||
      !r.U16(&cs_len) || !r.Bytes(cs_len, &cs) || !r.U8(&comp_len) || !r.Skip(comp_len)) {
    return HelloStatus::kTruncated;
  }
  if (sid_len > 32 || cs_len % 2 != 0 || comp_len == 0) return HelloStatus::kMalformed;
  for (size_t i = 0; i < cs.size(); i += 2) {
    const uint16_t c = LoadBe16(cs.data() + i);
    if (!IsGrease(c)) ciphers_.push_back(c);
  }
  uint16_t best_version = 0;
  bool has_sni = false;
  if (r.left() > 0) {
    uint16_t ext_len = 0;
    ByteView exts;
    if (!r.U16(&ext_len) || !r.Bytes(ext_len, &exts)) return HelloStatus::kTruncated;
    Reader er(exts);
    while (er.left() > 0) {
      uint16_t type = 0, len = 0;
      ByteView data;
      if (!er.U16(&type) || !er.U16(&len) || !er.Bytes(len, &data)) return HelloStatus::kMalformed;
      if (IsGrease(type)) continue;
      extensions_.push_back(type);
      // A malformed extension body is skipped, not fatal: its type still counts in JA3/JA4,
      // as it does for the reference implementations.
      Reader x(data);
      switch (type) {
        case kExtServerName: {
          has_sni = true;
          uint16_t list_len = 0;
          if (!x.U16(&list_len)) break;
          while (x.left() >= 3 && sni_.empty()) {
            uint8_t name_type = 0;
            uint16_t name_len = 0;
            ByteView name;
            if (!x.U8(&name_type) || !x.U16(&name_len) || !x.Bytes(name_len, &name)) break;
            if (name_type != 0) continue;
            for (size_t i = 0; i < name.size() && i < kMaxSniLength; ++i) {
              uint8_t c = name[i];
              sni_.push_back((c >= 'A' && c <= 'Z') ? char(c + 32) : char(c));
            }
          }
          break;
        }
        case kExtAlpn: {
          uint16_t list_len = 0;
          if (!x.U16(&list_len)) break;
          uint8_t n = 0;
          ByteView proto;
          while (x.U8(&n) && x.Bytes(n, &proto)) out.alpn.push_back(AsChars(proto));
          break;
        }
        case kExtSupportedGroups: {
          uint16_t list_len = 0, g = 0;
          if (!x.U16(&list_len)) break;
          while (x.U16(&g))
            if (!IsGrease(g)) groups_.push_back(g);
          break;
        }
        case kExtPointFormats: {
          uint8_t n = 0, f = 0;
          if (!x.U8(&n)) break;
          while (x.U8(&f)) point_formats_.push_back(f);
          break;
        }
        case kExtSignatureAlgorithms: {
          uint16_t list_len = 0, a = 0;
          if (!x.U16(&list_len)) break;
          while (x.U16(&a))
            if (!IsGrease(a)) sigalgs_.push_back(a);
          break;
        }
        case kExtSupportedVersions: {
          uint8_t n = 0;
          uint16_t v = 0;
          if (!x.U8(&n)) break;
          while (x.U16(&v))
            if (!IsGrease(v) && v > best_version) best_version = v;
          break;
        }
        default:
          break;
      }
    }
  }
  out.version = best_version ? best_version : out.legacy_version;
  out.sni = sni_;
  out.ja3 = out.ja3_hash = out.ja4 = {};
  if (fingerprint) FingerprintClientHello(has_sni, out);
  return HelloStatus::kOk;
}

void HelloDecoder::FingerprintClientHello(bool has_sni, ClientHelloInfo& out) {
  ja3_.clear();
  AppendDecimal(ja3_, out.legacy_version);
  ja3_.push_back(',');
  AppendDecimalList(ja3_, ciphers_);
  ja3_.push_back(',');
  AppendDecimalList(ja3_, extensions_);
  ja3_.push_back(',');
  AppendDecimalList(ja3_, groups_);
  ja3_.push_back(',');
  AppendDecimalList(ja3_, point_formats_);
  Md5Hex(ja3_, ja3_hash_);
  out.ja3 = ja3_;
  out.ja3_hash = std::string_view(ja3_hash_, 32);

  ja4_.clear();
  ja4_.push_back('t');
  ja4_.append(Ja4Version(out.version));
  ja4_.push_back(has_sni ? 'd' : 'i');
  AppendTwoDigits(ja4_, ciphers_.size());
  AppendTwoDigits(ja4_, extensions_.size());
  if (out.alpn.empty() || out.alpn[0].empty()) {
    ja4_.append("00");
  } else {
    const std::string_view a = out.alpn[0];
    const uint8_t first = uint8_t(a.front()), last = uint8_t(a.back());
    if (IsAlnum(first) && IsAlnum(last)) {
      ja4_.push_back(char(first));
      ja4_.push_back(char(last));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      ja4_.push_back(kHex[first >> 4]);
      ja4_.push_back(kHex[last & 0x0F]);
    }
  }
  char digest[64];
  ja4_.push_back('_');
  if (ciphers_.empty()) {
    ja4_.append("000000000000");
  } else {
    sorted_.assign(ciphers_.begin(), ciphers_.end());
    std::sort(sorted_.begin(), sorted_.end());
    hash_input_.clear();
    AppendHex4List(hash_input_, sorted_);
    Sha256Hex(hash_input_, digest);
    ja4_.append(digest, 12);
  }
  ja4_.push_back('_');
  sorted_.clear();
  for (uint16_t e : extensions_)
    if (e != kExtServerName && e != kExtAlpn) sorted_.push_back(e);
  if (sorted_.empty()) {
    ja4_.append("000000000000");
  } else {
    std::sort(sorted_.begin(), sorted_.end());
    hash_input_.clear();
    AppendHex4List(hash_input_, sorted_);
    if (!sigalgs_.empty()) {
      hash_input_.push_back('_');
      AppendHex4List(hash_input_, sigalgs_);
    }
    Sha256Hex(hash_input_, digest);
    ja4_.append(digest, 12);
  }
  out.ja4 = ja4_;
}

HelloStatus HelloDecoder::DecodeServerHello(ByteView body, ServerHelloInfo& out, bool fingerprint) {
  extensions_.clear();
  Reader r(body);
  uint8_t sid_len = 0, comp = 0;
  ByteView random;
  if (!r.U16(&out.legacy_version) || !r.Bytes(32, &random) || !r.U8(&sid_len) || !r.Skip(sid_len) ||
      !r.U16(&out.cipher) || !r.U8(&comp)) {
    return HelloStatus::kTruncated;
  }
  out.hello_retry_request =
      std::equal(random.begin(), random.end(), std::begin(kHelloRetryRequestRandom));
  if (sid_len > 32) return HelloStatus::kMalformed;
  out.version = out.legacy_version;
  if (r.left() > 0) {
    uint16_t ext_len = 0;
    ByteView exts;
    if (!r.U16(&ext_len) || !r.Bytes(ext_len, &exts)) return HelloStatus::kTruncated;
    Reader er(exts);
    while (er.left() > 0) {
      uint16_t type = 0, len = 0;
      ByteView data;
      if (!er.U16(&type) || !er.U16(&len) || !er.Bytes(len, &data)) return HelloStatus::kMalformed;
      if (IsGrease(type)) continue;
      extensions_.push_back(type);
      if (type == kExtSupportedVersions && data.size() == 2) out.version = LoadBe16(data.data());
    }
  }
  out.ja3s = out.ja3s_hash = {};
  if (!fingerprint) return HelloStatus::kOk;
  ja3_.clear();
  AppendDecimal(ja3_, out.legacy_version);
  ja3_.push_back(',');
  AppendDecimal(ja3_, out.cipher);
  ja3_.push_back(',');
  AppendDecimalList(ja3_, extensions_);
  Md5Hex(ja3_, ja3_hash_);
  out.ja3s = ja3_;
  out.ja3s_hash = std::string_view(ja3_hash_, 32);
  return HelloStatus::kOk;
}

}  // namespace mw::tls
