// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/dns/dns_message.h"

namespace mw::dns {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypeAaaa = 28;
constexpr size_t kMaxWireName = 255;  // RFC 1035 2.3.4, length octets included

inline char Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : char(c); }

Anomaly FromNameStatus(NameStatus s) {
  switch (s) {
    case NameStatus::kOk:  // not asked: only failures are mapped
    case NameStatus::kTruncated:
      return Anomaly::kTruncated;
    case NameStatus::kLoop:
      return Anomaly::kNameLoop;
    case NameStatus::kTooLong:
      return Anomaly::kNameTooLong;
    case NameStatus::kBadLabel:
      return Anomaly::kBadLabel;
  }
  return Anomaly::kTruncated;
}

}  // namespace

NameStatus DecodeName(ByteView msg, size_t offset, char* out, size_t* out_len, size_t* next) {
  size_t pos = offset;
  size_t len = 0;
  size_t wire = 1;  // the terminating root label
  int hops = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= msg.size()) return NameStatus::kTruncated;
    const uint8_t b = msg[pos];
    if ((b & 0xC0) == 0xC0) {
      if (pos + 1 >= msg.size()) return NameStatus::kTruncated;
      if (!jumped) *next = pos + 2;
      jumped = true;
      // A hop budget rather than "pointers must go backwards": it also bounds forward-pointer
      // chains some broken encoders emit, and every loop exhausts it.
      if (++hops > kMaxPointerHops) return NameStatus::kLoop;
      pos = size_t(b & 0x3F) << 8 | msg[pos + 1];
      continue;
    }
    if (b & 0xC0) return NameStatus::kBadLabel;
    if (b == 0) {
      if (!jumped) *next = pos + 1;
      *out_len = len;
      return NameStatus::kOk;
    }
    if (pos + 1 + b > msg.size()) return NameStatus::kTruncated;
    wire += size_t(b) + 1;
    if (wire > kMaxWireName) return NameStatus::kTooLong;
    if (len != 0) out[len++] = '.';
    const uint8_t* label = msg.data() + pos + 1;
    for (size_t i = 0; i < b; ++i) out[len++] = Lower(label[i]);
    pos += size_t(b) + 1;
  }
}

NameStatus DnsMessageDecoder::DecodeInto(ByteView msg, size_t offset, std::string_view* name,
                                         size_t* next) {
  // Capacity is reserved for one qname plus owner and target of every kept answer, so this never
  // runs out; the check keeps that true if the caps change.
  if (arena_used_ + kMaxNameLength > arena_.size()) return NameStatus::kTooLong;
  size_t len = 0;
  NameStatus s = DecodeName(msg, offset, arena_.data() + arena_used_, &len, next);
  if (s != NameStatus::kOk) return s;
  *name = std::string_view(arena_.data() + arena_used_, len);
  arena_used_ += len;
  return s;
}

DnsMessageDecoder::Outcome DnsMessageDecoder::Decode(ByteView msg, DecodedMessage& m) {
  Outcome out;
  if (msg.size() < kHeaderSize) {
    out.anomaly = Anomaly::kTruncated;
    return out;
  }
  const uint8_t* p = msg.data();
  m.id = LoadBe16(p);
  m.is_response = (p[2] & 0x80) != 0;
  m.opcode = (p[2] >> 3) & 0x0F;
  m.rcode = p[3] & 0x0F;
  m.qdcount = LoadBe16(p + 4);
  m.ancount = LoadBe16(p + 6);
  m.nscount = LoadBe16(p + 8);
  m.arcount = LoadBe16(p + 10);
  m.answers = {};
  if (m.qdcount == 0) {
    out.anomaly = Anomaly::kNoQuestion;
    return out;
  }
  arena_used_ = 0;
  size_t pos = kHeaderSize;
  NameStatus s = DecodeInto(msg, pos, &m.qname, &pos);
  if (s != NameStatus::kOk) {
    out.anomaly = FromNameStatus(s);
    return out;
  }
  if (pos + 4 > msg.size()) {
    out.anomaly = Anomaly::kTruncated;
    return out;
  }
  m.qtype = LoadBe16(p + pos);
  m.qclass = LoadBe16(p + pos + 2);
  pos += 4;
  out.ok = true;

  auto note = [&out](Anomaly a) {
    if (!out.anomaly) out.anomaly = a;
  };
  // Further questions are only skipped; their names go to a scratch area, not the arena.
  char scratch[kMaxNameLength];
  for (uint16_t q = 1; q < m.qdcount; ++q) {
    size_t len = 0;
    s = DecodeName(msg, pos, scratch, &len, &pos);
    if (s != NameStatus::kOk || pos + 4 > msg.size()) {
      note(s != NameStatus::kOk ? FromNameStatus(s) : Anomaly::kTruncated);
      return out;
    }
    pos += 4;
  }

  size_t kept = 0;
  for (uint16_t a = 0; a < m.ancount; ++a) {
    std::string_view owner;
    const size_t arena_mark = arena_used_;
    s = DecodeInto(msg, pos, &owner, &pos);
    if (s != NameStatus::kOk) {
      note(FromNameStatus(s));
      break;
    }
    if (pos + 10 > msg.size()) {
      note(Anomaly::kTruncated);
      break;
    }
    const uint16_t type = LoadBe16(p + pos);
    const uint16_t klass = LoadBe16(p + pos + 2) & 0x7FFF;  // mDNS cache-flush bit
    const uint32_t ttl = LoadBe32(p + pos + 4);
    const uint16_t rdlen = LoadBe16(p + pos + 8);
    const size_t rdata = pos + 10;
    if (rdata + rdlen > msg.size()) {
      note(Anomaly::kTruncated);
      break;
    }
    pos = rdata + rdlen;
    const bool wanted = klass == 1 && (type == kTypeA || type == kTypeAaaa || type == kTypeCname);
    if (!wanted) {
      arena_used_ = arena_mark;
      continue;
    }
    if (kept == kMaxAnswers) {
      note(Anomaly::kTooManyAnswers);
      arena_used_ = arena_mark;
      break;
    }
    Answer& ans = answers_[kept];
    ans = Answer{};
    ans.name = owner;
    ans.type = type;
    ans.ttl = ttl;
    if (type == kTypeA || type == kTypeAaaa) {
      const size_t want = type == kTypeA ? 4 : 16;
      if (rdlen != want) {
        note(Anomaly::kBadRdata);
        arena_used_ = arena_mark;
        continue;
      }
      ans.address = type == kTypeA ? IpAddress::FromV4(p + rdata) : IpAddress::FromV6(p + rdata);
    } else {
      size_t after = 0;
      // The target may point anywhere earlier in the message, so decode against all of it, but
      // it must end inside its own rdata.
      s = DecodeInto(msg, rdata, &ans.target, &after);
      if (s != NameStatus::kOk || after > rdata + rdlen) {
        note(s != NameStatus::kOk ? FromNameStatus(s) : Anomaly::kBadRdata);
        arena_used_ = arena_mark;
        continue;
      }
    }
    ++kept;
  }
  m.answers = std::span<const Answer>(answers_.data(), kept);
  return out;
}

}  // namespace mw::dns
