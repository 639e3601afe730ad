// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Ingest through the API with its audit trail: the batch is stored (through the service's hook,
// which also notifies and exports, or straight into the store), then every finding it created or
// changed gets one audit entry naming the actor. The diff comes from the store's own transaction
// (UpsertOutcome::changes), so it is exact even while the sensor writes the same findings.
#include <functional>
#include <span>
#include <string>

#include "store/store.h"

namespace mw::store {

using UpsertFn = std::function<Result<UpsertOutcome>(std::span<const Finding>)>;

// The audit entries for "out", one per created or changed finding: action "finding.ingest",
// target the id, detail {"change": "created"|"updated", "fields": [...], and for category,
// severity and stage when they changed: "<field>": {"from": ..., "to": ...}}.
std::vector<AuditEntry> IngestAuditEntries(const UpsertOutcome& out, const std::string& actor,
                                           TimestampUs now);

// Stores "batch" with "upsert" (store.Upsert(batch, now) when empty), then appends its audit
// entries in one transaction. The findings are durable before the audit write; should that write
// fail, the error says so and the caller answers 500 (the findings stay stored).
Result<UpsertOutcome> IngestAudited(Store& store, std::span<const Finding> batch,
                                    const std::string& actor, TimestampUs now,
                                    const UpsertFn& upsert = {});

}  // namespace mw::store
