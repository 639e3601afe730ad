// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one list of built-in app-layer protocols: a new protocol adds one line here. Order is the
// probe order when several parsers could claim the same first bytes.
#include "mw/parse/app_parser.h"
#include "protocols/dns/dns_plugin.h"
#include "protocols/http/http_plugin.h"
#include "protocols/stratum/stratum_plugin.h"
#include "protocols/tls/tls_plugin.h"

namespace mw {

void RegisterBuiltinProtocols(ParserRegistry& registry) {
  RegisterStratum(registry);
  RegisterTls(registry);
  RegisterHttp(registry);
  RegisterDns(registry);
}

}  // namespace mw
