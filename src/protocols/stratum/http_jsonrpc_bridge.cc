// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/http_jsonrpc_bridge.h"

#include "protocols/http/http_events.h"
#include "protocols/stratum/stratum_classifier.h"
#include "protocols/stratum/stratum_events.h"

namespace mw::stratum {
namespace {

// A body can only be JSON-RPC when it starts a message or a batch.
bool LooksLikeJsonRpc(std::string_view body) {
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// Publishes every mining message of one body: a single message, or each element of a batch
// exactly as if it had been posted alone.
class BodyVisitor final : public MessageVisitor {
 public:
  BodyVisitor(EventBus& bus, const FlowInfo& flow, Direction dir, std::string_view user_agent)
      : bus_(bus), flow_(flow), dir_(dir), user_agent_(user_agent) {}
  Dialect FlowDialect() const override { return Dialect::kUnknown; }
  bool OnMessage(ClassifyStatus status, Classified& m) override {
    if (status != ClassifyStatus::kOk || !m.mining) return true;
    bus_.Publish(ToMessageEvent(flow_, dir_, m, user_agent_, /*over_http=*/true));
    return true;
  }

 private:
  EventBus& bus_;
  const FlowInfo& flow_;
  Direction dir_;
  std::string_view user_agent_;
};

void Bridge(EventBus& bus, const FlowInfo& flow, Direction dir, ByteView body, bool truncated,
            std::string_view user_agent) {
  std::string_view json = AsChars(body);
  if (truncated || !LooksLikeJsonRpc(json)) return;
  BodyVisitor visitor(bus, flow, dir, user_agent);
  // Batches past kMaxBatch elements are cut there; the bus offers no anomaly counter, and the
  // HTTP body limit (100 KiB by default) already bounds the work.
  (void)ThreadClassifier().ClassifyText(json, dir, /*pending=*/nullptr, visitor);
}

}  // namespace

void SubscribeHttpJsonRpcBridge(EventBus& bus) {
  bus.On<http::RequestEvent>([&bus](const http::RequestEvent& e) {
    Bridge(bus, e.flow, Direction::kToServer, e.body, e.body_truncated, e.headers.user_agent);
  });
  bus.On<http::ResponseEvent>([&bus](const http::ResponseEvent& e) {
    Bridge(bus, e.flow, Direction::kToClient, e.body, e.body_truncated, {});
  });
}

}  // namespace mw::stratum
