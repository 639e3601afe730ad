// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/http_jsonrpc_bridge.h"

#include "protocols/http/http_events.h"
#include "protocols/stratum/stratum_classifier.h"
#include "protocols/stratum/stratum_events.h"

namespace mw::stratum {
namespace {

bool LooksLikeJsonObject(std::string_view body) {
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

void Bridge(EventBus& bus, const FlowInfo& flow, Direction dir, ByteView body, bool truncated,
            std::string_view user_agent) {
  std::string_view json = AsChars(body);
  if (truncated || !LooksLikeJsonObject(json)) return;
  Classified m;
  if (ThreadClassifier().Classify(json, dir, Dialect::kUnknown, /*pending=*/nullptr, &m) !=
          ClassifyStatus::kOk ||
      !m.mining)
    return;
  bus.Publish(MessageEvent{
      .flow = flow,
      .dir = dir,
      .dialect = m.dialect,
      .kind = m.kind,
      .method = m.method,
      .agent = m.agent.empty() ? user_agent : m.agent,
      .algos = m.algos(),
      .login = m.login,
      .worker = m.worker,
      .coin = m.coin,
      .job_id = m.job_id,
      .difficulty = m.difficulty,
      .is_share = m.is_share,
      .accepted = m.accepted,
      .over_http = true,
      .request_method = MethodName(m.answered),
  });
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
