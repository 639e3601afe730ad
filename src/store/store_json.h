// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// JSON forms of stored objects, shared by the REST API, the console and the exporters. A stored
// finding is the finding's own JSON (docs/findings.md) plus its lifecycle fields.
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace mw::store {

nlohmann::json ToJson(const StoredFinding& f, bool with_samples);
nlohmann::json ToJson(const Incident& inc);
nlohmann::json ToJson(const AuditEntry& e);
nlohmann::json ToJson(const FindingCounts& c);
// Never includes the secret hash.
nlohmann::json ToJson(const TokenRecord& t);

}  // namespace mw::store
