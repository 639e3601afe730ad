// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Events the HTTP/1.x parser publishes. Views are valid only during EventBus::Publish.
#include <cstdint>
#include <string_view>

#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"

namespace mw::http {

// Headers minerwatch cares about; others are skipped without copying.
struct Headers {
  std::string_view host;  // lower-case, port stripped
  std::string_view user_agent;
  std::string_view content_type;
  int64_t content_length = -1;  // -1 when absent
  bool chunked = false;
  std::string_view x_stratum;            // X-Stratum (getwork long-polling pools)
  std::string_view x_mining_extensions;  // X-Mining-Extensions
};

struct RequestEvent {
  const FlowInfo& flow;
  std::string_view method;
  std::string_view uri;
  std::string_view version;  // "HTTP/1.1"
  Headers headers;
  // The start of the de-chunked body (bounded; JSON-RPC mining requests are small).
  ByteView body;
  bool body_truncated = false;
};

struct ResponseEvent {
  const FlowInfo& flow;
  int status = 0;
  std::string_view reason;
  Headers headers;
  ByteView body;
  bool body_truncated = false;
};

}  // namespace mw::http
