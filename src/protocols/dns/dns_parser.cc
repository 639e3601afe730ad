// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/dns/dns_parser.h"

#include "protocols/dns/dns_anomalies.h"
#include "protocols/dns/dns_events.h"
#include "protocols/dns/dns_message.h"

namespace mw::dns {
namespace {

// One decoder per pipeline thread rather than per flow: UDP DNS creates a flow per query, and
// a ~18 KB name arena in each would dominate flow memory. Views into it only live for the
// duration of Publish(), during which no other DNS message is decoded on this thread.
DnsMessageDecoder& ThreadDecoder() {
  thread_local DnsMessageDecoder decoder;
  return decoder;
}

// "complete" is true when "msg" is the whole message (a UDP datagram), so running out of bytes
// means "not DNS" rather than "ask again with more".
ProbeResult ProbeMessage(ByteView msg, bool complete) {
  const ProbeResult short_input = complete ? ProbeResult::kNo : ProbeResult::kMaybe;
  // Each header field is checked as soon as it is present, so a short prefix of another
  // protocol is rejected without waiting for more bytes.
  const uint8_t* p = msg.data();
  if (msg.size() < 3) return short_input;
  const bool response = (p[2] & 0x80) != 0;
  const uint8_t opcode = (p[2] >> 3) & 0x0F;
  if (opcode > 5 || opcode == 3) return ProbeResult::kNo;
  if (msg.size() < 4) return short_input;
  if ((p[3] & 0x40) != 0) return ProbeResult::kNo;  // Z bit
  if (msg.size() < 6) return short_input;
  const uint16_t qd = LoadBe16(p + 4);
  if (qd < 1 || qd > 4) return ProbeResult::kNo;
  if (msg.size() < kHeaderSize) return short_input;
  const uint16_t an = LoadBe16(p + 6), ns = LoadBe16(p + 8), ar = LoadBe16(p + 10);
  if (response) {
    if (an > 256 || ns > 256 || ar > 256) return ProbeResult::kNo;
  } else if (an + ns > 16 || ar > 16) {
    return ProbeResult::kNo;
  }
  // The first name cannot be compressed (nothing precedes it) and, in real traffic, is made of
  // printable labels; both rule out nearly all binary protocols.
  size_t pos = kHeaderSize;
  size_t wire = 1;
  for (;;) {
    if (pos >= msg.size()) return short_input;
    const uint8_t len = p[pos];
    if (len == 0) break;
    if (len > 63) return ProbeResult::kNo;
    wire += len + 1;
    if (wire > 255) return ProbeResult::kNo;
    for (size_t i = 1; i <= len; ++i) {
      if (pos + i >= msg.size()) return short_input;
      if (p[pos + i] <= 0x20 || p[pos + i] >= 0x7F) return ProbeResult::kNo;
    }
    pos += len + 1;
  }
  if (pos + 5 > msg.size()) return short_input;
  const uint16_t qtype = LoadBe16(p + pos + 1);
  const uint16_t qclass = LoadBe16(p + pos + 3) & 0x7FFF;  // mDNS unicast-response bit
  if (qtype == 0) return ProbeResult::kNo;
  if (qclass != 1 && qclass != 3 && qclass != 4 && qclass != 254 && qclass != 255)
    return ProbeResult::kNo;
  return ProbeResult::kYes;
}

// After a TCP gap: the offset of the first length prefix in "b" that starts a plausible
// message (as the probe judges it), or where to wait for more bytes. "*synced" tells which.
size_t FindMessageStart(ByteView b, bool* synced) {
  *synced = false;
  size_t i = 0;
  for (; i + 2 <= b.size(); ++i) {
    const size_t len = LoadBe16(b.data() + i);
    if (len < kHeaderSize + 5) continue;  // room for a header and the shortest question
    ByteView msg = b.subspan(i + 2);
    const bool complete = msg.size() >= len;
    if (complete) msg = msg.first(len);
    switch (ProbeMessage(msg, complete)) {
      case ProbeResult::kYes:
        *synced = true;
        return i;
      case ProbeResult::kMaybe:
        return i;  // bounded: the probe decides within the header and first question
      case ProbeResult::kNo:
        break;
    }
  }
  return i;  // a last byte may start a length prefix
}

}  // namespace

ProbeResult ProbeUdp(Direction, ByteView first_bytes) { return ProbeMessage(first_bytes, true); }

ProbeResult ProbeTcp(Direction, ByteView first_bytes) {
  if (first_bytes.size() < 2) return ProbeResult::kMaybe;
  const uint16_t len = LoadBe16(first_bytes.data());
  if (len < kHeaderSize + 5) return ProbeResult::kNo;
  ByteView msg = first_bytes.subspan(2);
  const bool complete = msg.size() >= len;
  if (complete) msg = msg.first(len);
  return ProbeMessage(msg, complete);
}

bool DnsParser::HandleMessage(Direction dir, ByteView msg, ParseContext& ctx) {
  DecodedMessage m;
  const DnsMessageDecoder::Outcome outcome = ThreadDecoder().Decode(msg, m);
  if (!outcome.ok) {
    if (!confirmed_) {
      Report(ctx, Violation::kUndecodable);
      return false;
    }
    Report(ctx, outcome.anomaly.value_or(Anomaly::kTruncated));
    return true;
  }
  if (outcome.anomaly) Report(ctx, *outcome.anomaly);
  if (!confirmed_) {
    confirmed_ = true;
    ctx.Confirm();
  }
  ctx.events().Publish(MessageEvent{.flow = ctx.flow(),
                                    .dir = dir,
                                    .is_response = m.is_response,
                                    .id = m.id,
                                    .rcode = m.rcode,
                                    .qname = m.qname,
                                    .qtype = m.qtype,
                                    .answers = m.answers});
  return true;
}

ParseResult DnsParser::OnData(Direction dir, ByteView bytes, ParseContext& ctx) {
  const auto all = static_cast<uint32_t>(bytes.size());
  if (framing_ == Framing::kDatagram) {
    return HandleMessage(dir, bytes, ctx) ? ParseResult::Ok(all) : ParseResult::Invalid();
  }
  const int d = static_cast<int>(dir);
  if (stopped_[d]) return ParseResult::Ok(all);
  size_t pos = 0;
  if (resync_[d]) {
    bool synced = false;
    pos = FindMessageStart(bytes, &synced);
    resync_dropped_[d] += static_cast<uint32_t>(pos);
    if (!synced) {
      if (resync_dropped_[d] > kMaxResyncScan) {
        Report(ctx, Anomaly::kResyncFailed);
        resync_[d] = false;
        stopped_[d] = true;
        return ParseResult::Ok(all);
      }
      return ParseResult::NeedMore(static_cast<uint32_t>(pos));
    }
    resync_[d] = false;
    Report(ctx, Anomaly::kResync);
  }
  while (bytes.size() - pos >= 2) {
    const size_t len = LoadBe16(bytes.data() + pos);
    if (len < kHeaderSize) {
      // A length that cannot hold a header: the framing is lost and cannot be recovered.
      if (!confirmed_) {
        Report(ctx, Violation::kBadLength);
        return ParseResult::Invalid();
      }
      Report(ctx, Anomaly::kBadLength);
      stopped_[d] = true;
      return ParseResult::Ok(all);
    }
    if (bytes.size() - pos - 2 < len) break;
    if (!HandleMessage(dir, bytes.subspan(pos + 2, len), ctx)) return ParseResult::Invalid();
    pos += 2 + len;
  }
  if (pos == bytes.size()) return ParseResult::Ok(all);
  return ParseResult::NeedMore(static_cast<uint32_t>(pos));
}

void DnsParser::OnGap(Direction dir, uint32_t, ParseContext& ctx) {
  // Datagrams are self-contained. A hole in a TCP stream loses the length framing: look for a
  // message start again rather than read the next two bytes as a length.
  const int d = static_cast<int>(dir);
  if (framing_ != Framing::kLengthPrefixed || stopped_[d]) return;
  resync_[d] = true;
  resync_dropped_[d] = 0;
  Report(ctx, Anomaly::kGap);
}

}  // namespace mw::dns
