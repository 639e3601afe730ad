// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one list of built-in event translators: a new translator adds one line here.
#include "detectors/miner_process/miner_process_detector.h"
#include "detectors/resolution_recorder.h"
#include "mw/detect/translator.h"
#include "protocols/stratum/http_jsonrpc_bridge.h"

namespace mw {

void RegisterBuiltinTranslators(TranslatorRegistry& registry) {
  registry.Add({"resolution_recorder", "DNS answers into the resolution cache (pool names marked)",
                [](EventBus& bus, TranslatorContext& ctx) {
                  SubscribeResolutionRecorder(bus, ctx.resolutions, ctx.intel);
                }});
  registry.Add(
      {"http_jsonrpc_bridge", "Stratum JSON-RPC carried over HTTP into Stratum events",
       [](EventBus& bus, TranslatorContext&) { stratum::SubscribeHttpJsonRpcBridge(bus); }});
  registry.Add({"miner_evidence", "host processes the miner heuristics call miners into evidence",
                [](EventBus& bus, TranslatorContext&) { SubscribeMinerEvidence(bus); }});
}

}  // namespace mw
