// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/tls/tls_parser.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "protocols/tls/tls_anomalies.h"
#include "protocols/tls/tls_events.h"
#include "protocols/tls/tls_hello.h"

namespace mw::tls {
namespace {

constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kAlert = 21;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kApplicationData = 23;
constexpr uint8_t kHeartbeat = 24;

constexpr uint8_t kClientHello = 1;
constexpr uint8_t kServerHello = 2;
constexpr uint8_t kCertificate = 11;

constexpr size_t kMaxSanNames = 1024;

inline uint32_t LoadBe24(const uint8_t* p) {
  return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
}

// Decoding state shared by every TLS flow of a pipeline thread: hellos are decoded and
// published synchronously, so per-flow copies of these scratch buffers would only cost memory.
struct Scratch {
  HelloDecoder decoder;
  ClientHelloInfo client;
  ServerHelloInfo server;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

bool IsTls13(uint16_t v) { return v == 0x0304 || (v >> 8) == 0x7f; }

// A record header a resync may start at: a known content type, version 3.1-3.4 (RFC 8446 5.1
// allows 0x0301 for the first ClientHello, earlier versions are long dead) and a length that
// is neither empty (no zero-length handshake/alert/CCS) nor over the ciphertext bound.
bool PlausibleRecordHeader(const uint8_t* h) {
  const size_t len = LoadBe16(h + 3);
  return h[0] >= kChangeCipherSpec && h[0] <= kHeartbeat && h[1] == 3 && h[2] >= 1 && h[2] <= 4 &&
         len >= 1 && len <= kMaxRecordPayload;
}

bool KnownHandshakeType(uint8_t t) {
  switch (t) {
    case 0:    // hello_request
    case 1:    // client_hello
    case 2:    // server_hello
    case 4:    // new_session_ticket
    case 5:    // end_of_early_data
    case 8:    // encrypted_extensions
    case 11:   // certificate
    case 12:   // server_key_exchange
    case 13:   // certificate_request
    case 14:   // server_hello_done
    case 15:   // certificate_verify
    case 16:   // client_key_exchange
    case 20:   // finished
    case 22:   // certificate_status
    case 24:   // key_update
    case 254:  // message_hash
      return true;
    default:
      return false;
  }
}

// "payload" (a handshake record's) starts with a message header: a known type whose body fits
// kMaxHandshakeMessage.
bool StartsHandshakeMessage(ByteView payload) {
  return payload.size() >= 4 && KnownHandshakeType(payload[0]) &&
         LoadBe24(payload.data() + 1) <= kMaxHandshakeMessage;
}

// One-line distinguished name in certificate order, "C=US, O=Example, Inc., CN=host" (the
// spelling nDPI and most tools print). UTF-8 is kept; control characters are escaped so a
// hostile certificate cannot inject line breaks into logs. RFC 2253 escaping of ',' is left
// out on purpose: these strings are for people and substring rules, not for re-parsing.
std::string NameToString(const X509_NAME* name) {
  std::string out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return out;
  const unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_CTRL |
                              ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN |
                              ASN1_STRFLGS_DUMP_DER;
  if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (data && len > 0) out.assign(data, size_t(len));
  }
  BIO_free(bio);
  return out;
}

// The serial as Suricata's tls.cert_serial shows it: the DER integer's content bytes (a leading
// 00 kept when the high bit is set) as upper-case hex pairs joined by ':'.
std::string SerialToString(const ASN1_INTEGER* serial) {
  std::string out;
  unsigned char* der = nullptr;
  const int len = serial ? i2d_ASN1_INTEGER(serial, &der) : -1;
  if (len <= 2 || der == nullptr) {
    OPENSSL_free(der);
    return out;
  }
  // Tag, then the length: short form, or 0x8N followed by N length bytes.
  size_t pos = 2;
  if (der[1] & 0x80) pos += der[1] & 0x7f;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = pos; i < size_t(len); ++i) {
    if (!out.empty()) out.push_back(':');
    out.push_back(kHex[der[i] >> 4]);
    out.push_back(kHex[der[i] & 15]);
  }
  OPENSSL_free(der);
  return out;
}

// One DER element: its tag and class, where its content starts and ends, where the next begins.
struct DerItem {
  int tag = 0;
  int cls = 0;
  const unsigned char* content = nullptr;
  const unsigned char* end = nullptr;
};

// OpenSSL reads the header; false on a malformed or indefinite-length element.
bool ReadDer(const unsigned char*& pos, const unsigned char* limit, DerItem& item) {
  const unsigned char* start = pos;
  long len = 0;
  const int ret = ASN1_get_object(&pos, &len, &item.tag, &item.cls, long(limit - start));
  if ((ret & 0x80) != 0 || ret == 0x21 || len > limit - pos) return false;
  item.content = pos;
  item.end = pos + len;
  pos = item.end;
  return true;
}

// The leaf's fields the events carry. d2i_X509 would also decode the public key through the
// provider framework (a third of the sensor's time with the ET rules), so only the
// TBSCertificate's serial, issuer, subject and subjectAltName are decoded, each by OpenSSL from
// its own DER slice; the rest is skipped by length.
struct CertFields {
  CertFields() = default;
  CertFields(const CertFields&) = delete;
  CertFields& operator=(const CertFields&) = delete;
  ~CertFields() {
    GENERAL_NAMES_free(sans);
    X509_NAME_free(subject);
    X509_NAME_free(issuer);
    ASN1_INTEGER_free(serial);
  }
  ASN1_INTEGER* serial = nullptr;
  X509_NAME* issuer = nullptr;
  X509_NAME* subject = nullptr;
  GENERAL_NAMES* sans = nullptr;
};

// Extensions ::= SEQUENCE OF SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue
// OCTET STRING }: the subjectAltName's value goes to d2i_GENERAL_NAMES.
bool ReadSans(const DerItem& explicit_ext, CertFields& out) {
  const unsigned char* pos = explicit_ext.content;
  DerItem list;
  if (!ReadDer(pos, explicit_ext.end, list) || list.tag != V_ASN1_SEQUENCE) return false;
  pos = list.content;
  while (pos < list.end) {
    DerItem ext;
    if (!ReadDer(pos, list.end, ext) || ext.tag != V_ASN1_SEQUENCE) return false;
    const unsigned char* field = ext.content;
    const unsigned char* oid_start = field;
    DerItem oid;
    if (!ReadDer(field, ext.end, oid) || oid.tag != V_ASN1_OBJECT) return false;
    ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &oid_start, long(oid.end - oid_start));
    const bool is_san = obj && OBJ_obj2nid(obj) == NID_subject_alt_name;
    ASN1_OBJECT_free(obj);
    if (!is_san) continue;
    DerItem value;
    if (!ReadDer(field, ext.end, value)) return false;
    if (value.tag == V_ASN1_BOOLEAN && !ReadDer(field, ext.end, value)) return false;
    if (value.tag != V_ASN1_OCTET_STRING || out.sans) return false;
    const unsigned char* san = value.content;
    out.sans = d2i_GENERAL_NAMES(nullptr, &san, long(value.end - value.content));
    return out.sans != nullptr;
  }
  return true;
}

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }; TBSCertificate ::=
// SEQUENCE { [0] version OPTIONAL, serial, signature, issuer, validity, subject, spki, [1] [2]
// unique ids OPTIONAL, [3] extensions OPTIONAL }.
bool ReadTbsFields(const unsigned char* der, size_t len, CertFields& out) {
  const unsigned char* pos = der;
  const unsigned char* limit = der + len;
  DerItem cert, tbs, item;
  if (!ReadDer(pos, limit, cert) || cert.tag != V_ASN1_SEQUENCE) return false;
  pos = cert.content;
  if (!ReadDer(pos, cert.end, tbs) || tbs.tag != V_ASN1_SEQUENCE) return false;
  pos = tbs.content;
  const unsigned char* start = pos;
  if (!ReadDer(pos, tbs.end, item)) return false;
  if (item.cls == V_ASN1_CONTEXT_SPECIFIC && item.tag == 0) {
    start = pos;
    if (!ReadDer(pos, tbs.end, item)) return false;
  }
  out.serial = d2i_ASN1_INTEGER(nullptr, &start, long(item.end - start));
  if (!out.serial || !ReadDer(pos, tbs.end, item)) return false;  // signature algorithm
  start = pos;
  if (!ReadDer(pos, tbs.end, item)) return false;
  out.issuer = d2i_X509_NAME(nullptr, &start, long(item.end - start));
  if (!out.issuer || !ReadDer(pos, tbs.end, item)) return false;  // validity
  start = pos;
  if (!ReadDer(pos, tbs.end, item)) return false;
  out.subject = d2i_X509_NAME(nullptr, &start, long(item.end - start));
  if (!out.subject || !ReadDer(pos, tbs.end, item)) return false;  // subjectPublicKeyInfo
  while (pos < tbs.end) {
    if (!ReadDer(pos, tbs.end, item)) return false;
    if (item.cls == V_ASN1_CONTEXT_SPECIFIC && item.tag == 3) return ReadSans(item, out);
  }
  return true;
}

}  // namespace

ProbeResult ProbeTls(Direction, ByteView b) {
  // Each check runs as soon as its byte is present, so short prefixes of other protocols are
  // rejected early and short prefixes of TLS ask for more.
  if (b.size() < 1) return ProbeResult::kMaybe;
  if (b[0] != kHandshake) return ProbeResult::kNo;
  if (b.size() < 2) return ProbeResult::kMaybe;
  if (b[1] != 3) return ProbeResult::kNo;
  if (b.size() < 3) return ProbeResult::kMaybe;
  if (b[2] > 4) return ProbeResult::kNo;
  if (b.size() < 5) return ProbeResult::kMaybe;
  const uint16_t len = LoadBe16(b.data() + 3);
  if (len < 4 || len > kMaxRecordPayload) return ProbeResult::kNo;
  if (b.size() < 6) return ProbeResult::kMaybe;
  if (b[5] != kClientHello && b[5] != kServerHello) return ProbeResult::kNo;
  if (b.size() < 7) return ProbeResult::kMaybe;
  if (b[6] != 0) return ProbeResult::kNo;  // hellos are far below 64 KB
  if (b.size() < 10) return ProbeResult::kMaybe;
  if (b[9] != 3) return ProbeResult::kNo;  // legacy_version 3.x
  return ProbeResult::kYes;
}

ParseResult TlsParser::OnData(Direction dir, ByteView bytes, ParseContext& ctx) {
  const auto all = static_cast<uint32_t>(bytes.size());
  DirState& d = dirs_[static_cast<int>(dir)];
  if (d.done) return ParseResult::Ok(all);
  size_t pos = 0;
  if (d.resync) {
    bool synced = false;
    pos = Resync(bytes, &synced);
    d.resync_dropped += static_cast<uint32_t>(pos);
    if (!synced) {
      if (d.resync_dropped > kMaxResyncScan) {
        Report(ctx, Anomaly::kResyncFailed);
        StopDirection(d);
        return ParseResult::Ok(all);
      }
      return ParseResult::NeedMore(static_cast<uint32_t>(pos));
    }
    d.resync = false;
    d.skip_fragments = true;
    Report(ctx, Anomaly::kResync);
  }
  while (bytes.size() - pos >= kRecordHeader) {
    const uint8_t* h = bytes.data() + pos;
    const uint8_t type = h[0];
    const size_t len = LoadBe16(h + 3);
    if (type < kChangeCipherSpec || type > kHeartbeat || h[1] != 3 || len > kMaxRecordPayload) {
      if (!confirmed_) {
        Report(ctx, Violation::kBadRecordHeader);
        return ParseResult::Invalid();
      }
      Report(ctx, Anomaly::kBadRecord);
      d.done = true;
      return ParseResult::Ok(all);
    }
    if (bytes.size() - pos - kRecordHeader < len) break;
    ByteView payload = bytes.subspan(pos + kRecordHeader, len);
    pos += kRecordHeader + len;
    if (type != kHandshake) d.skip_fragments = false;  // handshake fragments are contiguous
    if (type == kChangeCipherSpec && IsCompatChangeCipherSpec(dir, payload)) continue;
    if (type == kChangeCipherSpec || type == kApplicationData) {
      StopDirection(d);
      return ParseResult::Ok(all);
    }
    if (type == kAlert || type == kHeartbeat) continue;
    if (d.skip_fragments) {
      // The first handshake records after a resync may carry the tail of a message whose start
      // was lost: skip them until one starts with a message header.
      if (!StartsHandshakeMessage(payload)) continue;
      d.skip_fragments = false;
    }
    Step step = HandleHandshakeRecord(dir, payload, ctx);
    if (step == Step::kInvalid) return ParseResult::Invalid();
    if (step == Step::kStopDirection) {
      StopDirection(d);
      return ParseResult::Ok(all);
    }
  }
  if (pos == bytes.size()) return ParseResult::Ok(all);
  return ParseResult::NeedMore(static_cast<uint32_t>(pos));
}

void TlsParser::StopDirection(DirState& d) {
  d.done = true;
  d.resync = false;
  d.partial = {};
}

bool TlsParser::IsCompatChangeCipherSpec(Direction dir, ByteView payload) const {
  // RFC 8446 5: the dummy record is the single byte 0x01. It is only passed over between a
  // HelloRetryRequest and the real ServerHello (server) or the second ClientHello (client):
  // anywhere else a ChangeCipherSpec means encrypted records follow (TLS <= 1.2) or the
  // TLS 1.3 handshake went on encrypted.
  if (!hello_retry_seen_ || server_hello_seen_ || payload.size() != 1 || payload[0] != 1)
    return false;
  return dir == Direction::kToClient || client_hellos_ < 2;
}

size_t TlsParser::Resync(ByteView b, bool* synced) const {
  *synced = false;
  // A candidate held back for its successor's header must leave the flow layer room for one
  // more segment within max_buffer. Plaintext records (all a resync can use: anything after
  // encryption stops the direction) are at most 2^14 bytes (RFC 8446 5.1); longer candidates
  // are judged only when their successor is already here.
  constexpr size_t kMaxHold = 2 * kRecordHeader + 16384;
  size_t i = 0;
  for (; i + kRecordHeader <= b.size(); ++i) {
    const uint8_t* h = b.data() + i;
    if (!PlausibleRecordHeader(h)) continue;
    const size_t len = LoadBe16(h + 3);
    const size_t avail = b.size() - i - kRecordHeader;
    if (h[0] == kHandshake && len >= 4) {
      // A known handshake header whose message fits inside the record confirms it on its own.
      if (avail < 4) return i;  // wait for the inner header
      const uint8_t* m = h + kRecordHeader;
      if (KnownHandshakeType(m[0]) && 4 + size_t(LoadBe24(m + 1)) <= len) {
        *synced = true;
        return i;
      }
    }
    // Otherwise the next record's header must be plausible too.
    if (avail >= len + kRecordHeader) {
      if (PlausibleRecordHeader(h + kRecordHeader + len)) {
        *synced = true;
        return i;
      }
      continue;
    }
    if (2 * kRecordHeader + len <= kMaxHold) return i;  // wait for the next header
  }
  return i;  // the last < 5 bytes may start a header
}

void TlsParser::OnGap(Direction dir, uint32_t, ParseContext& ctx) {
  // Record boundaries are lost with the bytes: look for them again (Resync) instead of
  // trusting whatever comes next. An encrypted or abandoned direction stays so.
  DirState& d = dirs_[static_cast<int>(dir)];
  if (d.done) return;
  d.partial = {};
  d.resync = true;
  d.skip_fragments = false;
  d.resync_dropped = 0;
  Report(ctx, Anomaly::kGap);
}

TlsParser::Step TlsParser::HandleHandshakeRecord(Direction dir, ByteView payload,
                                                 ParseContext& ctx) {
  DirState& d = dirs_[static_cast<int>(dir)];
  size_t used = 0;
  if (d.partial.empty()) {
    // Common case: whole messages inside one record are parsed in place, without a copy.
    Step step = HandleMessages(dir, payload, &used, ctx);
    if (step != Step::kContinue) return step;
    d.partial.assign(payload.begin() + used, payload.end());
    return Step::kContinue;
  }
  d.partial.insert(d.partial.end(), payload.begin(), payload.end());
  Step step = HandleMessages(dir, ByteView(d.partial.data(), d.partial.size()), &used, ctx);
  if (step != Step::kContinue) return step;
  d.partial.erase(d.partial.begin(), d.partial.begin() + used);
  return Step::kContinue;
}

TlsParser::Step TlsParser::HandleMessages(Direction dir, ByteView buf, size_t* used,
                                          ParseContext& ctx) {
  size_t pos = 0;
  while (buf.size() - pos >= 4) {
    const uint8_t type = buf[pos];
    const size_t len = LoadBe24(buf.data() + pos + 1);
    if (len > kMaxHandshakeMessage) {
      // Also bounds "partial": it never holds more than one message of at most this size.
      Report(ctx, Anomaly::kHandshakeTooLong);
      return Step::kStopDirection;
    }
    if (buf.size() - pos - 4 < len) break;
    Step step = HandleMessage(dir, type, buf.subspan(pos + 4, len), ctx);
    if (step != Step::kContinue) return step;
    pos += 4 + len;
  }
  *used = pos;
  return Step::kContinue;
}

TlsParser::Step TlsParser::HandleMessage(Direction dir, uint8_t type, ByteView body,
                                         ParseContext& ctx) {
  Scratch& s = ThreadScratch();
  if (type == kClientHello) {
    const bool fingerprint = ctx.events().HasSubscribers<ClientFingerprintEvent>();
    if (s.decoder.DecodeClientHello(body, s.client, fingerprint) != HelloStatus::kOk) {
      if (!confirmed_) {
        Report(ctx, Violation::kMalformedClientHello);
        return Step::kInvalid;
      }
      Report(ctx, Anomaly::kMalformedClientHello);
      return Step::kStopDirection;
    }
    if (!confirmed_) {
      confirmed_ = true;
      ctx.Confirm();
    }
    if (client_hellos_ < 255) ++client_hellos_;
    ctx.events().Publish(ClientHelloEvent{.flow = ctx.flow(),
                                          .version = s.client.version,
                                          .sni = s.client.sni,
                                          .alpn = s.client.alpn,
                                          .after_hello_retry = hello_retry_seen_});
    if (fingerprint) {
      ctx.events().Publish(ClientFingerprintEvent{.flow = ctx.flow(),
                                                  .ja3 = s.client.ja3,
                                                  .ja3_hash = s.client.ja3_hash,
                                                  .ja4 = s.client.ja4});
    }
    return Step::kContinue;
  }
  if (type == kServerHello) {
    const bool fingerprint = ctx.events().HasSubscribers<ServerFingerprintEvent>();
    if (s.decoder.DecodeServerHello(body, s.server, fingerprint) != HelloStatus::kOk) {
      if (!confirmed_) {
        Report(ctx, Violation::kMalformedServerHello);
        return Step::kInvalid;
      }
      Report(ctx, Anomaly::kMalformedServerHello);
      return Step::kStopDirection;
    }
    if (!confirmed_) {
      confirmed_ = true;
      ctx.Confirm();
    }
    server_version_ = s.server.version;
    // Only TLS 1.3 has HelloRetryRequest; the magic random on an older hello is just a random.
    const bool retry = s.server.hello_retry_request && IsTls13(s.server.version);
    ctx.events().Publish(ServerHelloEvent{.flow = ctx.flow(),
                                          .version = s.server.version,
                                          .cipher = s.server.cipher,
                                          .hello_retry_request = retry});
    if (fingerprint) {
      ctx.events().Publish(ServerFingerprintEvent{
          .flow = ctx.flow(), .ja3s = s.server.ja3s, .ja3s_hash = s.server.ja3s_hash});
    }
    if (retry) {
      // A client must abort on a second HelloRetryRequest (RFC 8446 4.1.4): not followed.
      if (hello_retry_seen_) {
        Report(ctx, Anomaly::kRepeatedHelloRetry);
        return Step::kStopDirection;
      }
      hello_retry_seen_ = true;
      return Step::kContinue;  // the real ServerHello comes after the second ClientHello
    }
    server_hello_seen_ = true;
    // Everything the TLS 1.3 server sends after its hello is encrypted.
    return IsTls13(server_version_) ? Step::kStopDirection : Step::kContinue;
  }
  if (type == kCertificate && dir == Direction::kToClient && !certificate_seen_ &&
      server_version_ != 0 && !IsTls13(server_version_)) {
    certificate_seen_ = true;
    if (ctx.events().HasSubscribers<CertificateEvent>()) HandleCertificate(body, ctx);
  }
  return Step::kContinue;
}

void TlsParser::HandleCertificate(ByteView body, ParseContext& ctx) {
  // certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>; the first is the leaf.
  if (body.size() < 6) {
    Report(ctx, Anomaly::kBadCertificate);
    return;
  }
  const size_t list_len = LoadBe24(body.data());
  const size_t cert_len = LoadBe24(body.data() + 3);
  if (list_len + 3 > body.size() || cert_len + 3 > list_len || cert_len == 0) {
    Report(ctx, Anomaly::kBadCertificate);
    return;
  }
  CertFields cert;
  if (!ReadTbsFields(body.data() + 6, cert_len, cert)) {
    Report(ctx, Anomaly::kBadCertificate);
    return;
  }
  const std::string subject = NameToString(cert.subject);
  const std::string issuer = NameToString(cert.issuer);
  const std::string serial = SerialToString(cert.serial);
  std::string names;  // SAN DNS names back to back; views are taken once it stops growing
  std::vector<std::pair<size_t, size_t>> spans;
  if (cert.sans) {
    const int n = sk_GENERAL_NAME_num(cert.sans);
    for (int i = 0; i < n && spans.size() < kMaxSanNames; ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(cert.sans, i);
      if (gn->type != GEN_DNS) continue;
      const unsigned char* data = ASN1_STRING_get0_data(gn->d.dNSName);
      const int len = ASN1_STRING_length(gn->d.dNSName);
      if (!data || len <= 0) continue;
      spans.emplace_back(names.size(), size_t(len));
      for (int j = 0; j < len; ++j) {
        const unsigned char c = data[j];
        names.push_back((c >= 'A' && c <= 'Z') ? char(c + 32) : char(c));
      }
    }
  }
  std::vector<std::string_view> views;
  views.reserve(spans.size());
  for (auto [off, len] : spans) views.emplace_back(names.data() + off, len);
  ctx.events().Publish(CertificateEvent{.flow = ctx.flow(),
                                        .subject = subject,
                                        .issuer = issuer,
                                        .dns_names = views,
                                        .serial = serial});
}

}  // namespace mw::tls
