// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/stratum_parser.h"

#include <cstring>

#include "protocols/stratum/stratum_anomalies.h"

namespace mw::stratum {
namespace {

// JSON-RPC answers that prove nothing (e.g. {"id":1,"result":true}) tolerated before the flow
// shows a mining method; mid-stream pickups usually meet a notify or job well within this.
constexpr uint8_t kMaxUnproven = 8;
// The probe gives up on a first line with no newline after this many bytes.
constexpr size_t kMaxProbeBytes = 4096;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A line (or a partial one) can only be JSON-RPC when it starts a message or a batch.
bool StartsJsonRpc(std::string_view s) { return s.front() == '{' || s.front() == '['; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

ParseResult StratumParser::OnData(Direction dir, ByteView bytes, ParseContext& ctx) {
  const char* data = reinterpret_cast<const char*>(bytes.data());
  const size_t n = bytes.size();
  const int d = int(dir);
  size_t pos = 0;
  while (pos < n) {
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', n - pos));
    if (discarding_[d]) {
      if (nl == nullptr) return ParseResult::Ok(uint32_t(n));
      pos = size_t(nl - data) + 1;
      discarding_[d] = false;
      continue;
    }
    if (nl == nullptr) {
      std::string_view partial = Trim(std::string_view(data + pos, n - pos));
      if (!confirmed_ && !partial.empty() && !StartsJsonRpc(partial)) {
        Report(ctx, Violation::kNotJsonObject);
        return ParseResult::Invalid();
      }
      if (n - pos > kMaxLine) {
        Report(ctx, Anomaly::kOversizedLine);
        discarding_[d] = true;
        return ParseResult::Ok(uint32_t(n));
      }
      return ParseResult::NeedMore(uint32_t(pos));
    }
    std::string_view line(data + pos, size_t(nl - data) - pos);
    pos = size_t(nl - data) + 1;
    if (line.size() > kMaxLine) {
      Report(ctx, Anomaly::kOversizedLine);
      continue;
    }
    if (!HandleLine(dir, line, ctx)) return ParseResult::Invalid();
  }
  return ParseResult::Ok(uint32_t(pos));
}

void StratumParser::OnGap(Direction dir, uint32_t len, ParseContext& ctx) {
  (void)len;
  (void)ctx;
  // The lost bytes may have held a newline; resynchronise on the next one.
  discarding_[int(dir)] = true;
}

// Hands each message of a line (one, or the elements of a batch) to HandleMessage.
class StratumParser::LineVisitor final : public MessageVisitor {
 public:
  LineVisitor(StratumParser& parser, Direction dir, ParseContext& ctx)
      : parser_(parser), dir_(dir), ctx_(ctx) {}
  Dialect FlowDialect() const override { return parser_.flow_dialect_; }
  bool OnMessage(ClassifyStatus status, Classified& m) override {
    ok_ = parser_.HandleMessage(dir_, status, m, ctx_);
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  StratumParser& parser_;
  Direction dir_;
  ParseContext& ctx_;
  bool ok_ = true;
};

bool StratumParser::HandleLine(Direction dir, std::string_view line, ParseContext& ctx) {
  line = Trim(line);
  if (line.empty()) return true;
  if (!confirmed_ && !StartsJsonRpc(line)) {
    Report(ctx, Violation::kNotJsonObject);  // same verdict as for a partial line
    return false;
  }
  LineVisitor visitor(*this, dir, ctx);
  TextShape shape;
  ClassifyStatus status = ThreadClassifier().ClassifyText(line, dir, &pending_, visitor, &shape);
  if (status != ClassifyStatus::kOk) {
    Classified none;
    return HandleMessage(dir, status, none, ctx);
  }
  if (!visitor.ok()) return false;
  if (shape.over_limit) Report(ctx, Anomaly::kBatchTooLarge);
  return true;
}

bool StratumParser::HandleMessage(Direction dir, ClassifyStatus status, Classified& m,
                                  ParseContext& ctx) {
  if (status != ClassifyStatus::kOk) {
    bool not_json = status == ClassifyStatus::kNotJson;
    if (!confirmed_) {
      Report(ctx, not_json ? Violation::kNotJson : Violation::kNotJsonRpc);
      return false;
    }
    Report(ctx, not_json ? Anomaly::kMalformedJson : Anomaly::kNotJsonRpc);
    return true;
  }
  if (!m.mining && !confirmed_) {
    // A mining client's first request always names a mining method; a generic JSON-RPC peer
    // (LSP, an Ethereum node's eth_blockNumber) does not.
    if (m.kind != MessageKind::kResponse) {
      Report(ctx, Violation::kNotMining);
      return false;
    }
    if (++unproven_messages_ > kMaxUnproven) {
      Report(ctx, Violation::kNoMiningMethod);
      return false;
    }
    return true;
  }
  if (m.mining) {
    if (!confirmed_) {
      confirmed_ = true;
      ctx.Confirm();
    }
    if (flow_dialect_ == Dialect::kUnknown || m.dialect == Dialect::kEthereumStratum)
      flow_dialect_ = m.dialect;
  }
  if (!m.coin.empty()) {
    flow_coin_ = m.coin;
  } else {
    m.coin = flow_coin_;
  }
  EventBus& bus = ctx.events();
  if (!bus.HasSubscribers<MessageEvent>()) return true;
  bus.Publish(ToMessageEvent(ctx.flow(), dir, m, {}, /*over_http=*/false));
  return true;
}

namespace {

// The probe's verdict over the messages of one line, in the parser's order: a mining message
// proves the flow, a non-mining request or a non-JSON-RPC element disproves it, and answers
// that prove nothing are passed over.
class ProbeVisitor final : public MessageVisitor {
 public:
  Dialect FlowDialect() const override { return Dialect::kUnknown; }
  bool OnMessage(ClassifyStatus status, Classified& m) override {
    if (status == ClassifyStatus::kOk && m.mining) {
      verdict_ = ProbeResult::kYes;
      return false;
    }
    if (status != ClassifyStatus::kOk || m.kind != MessageKind::kResponse) return false;
    return true;
  }
  ProbeResult verdict() const { return verdict_; }

 private:
  ProbeResult verdict_ = ProbeResult::kNo;
};

}  // namespace

ProbeResult ProbeStratum(Direction dir, ByteView first_bytes) {
  std::string_view s = AsChars(first_bytes);
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  if (s.empty()) return ProbeResult::kMaybe;
  if (!StartsJsonRpc(s)) return ProbeResult::kNo;
  size_t nl = s.find('\n');
  std::string_view line = s.substr(0, nl);
  ProbeVisitor visitor;
  ClassifyStatus status =
      ThreadClassifier().ClassifyText(line, dir, /*pending=*/nullptr, visitor, nullptr);
  if (status == ClassifyStatus::kOk) return visitor.verdict();
  if (nl != std::string_view::npos || first_bytes.size() > kMaxProbeBytes) return ProbeResult::kNo;
  // An incomplete first line: keep looking while it is still plausible JSON text.
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && !IsSpace(c)) return ProbeResult::kNo;
  }
  return ProbeResult::kMaybe;
}

std::unique_ptr<AppParser> CreateStratumParser() { return std::make_unique<StratumParser>(); }

}  // namespace mw::stratum
