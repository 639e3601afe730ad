// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/ingest_audit.h"

#include <nlohmann/json.hpp>

namespace mw::store {

std::vector<AuditEntry> IngestAuditEntries(const UpsertOutcome& out, const std::string& actor,
                                           TimestampUs now) {
  std::vector<AuditEntry> entries;
  for (const FindingChange& c : out.changes) {
    // A resend that changed nothing is no change to audit.
    if (!c.created && c.fields.empty()) continue;
    nlohmann::json detail = {{"change", c.created ? "created" : "updated"}};
    nlohmann::json fields = nlohmann::json::array();
    for (const FieldChange& fc : c.fields) {
      fields.push_back(fc.field);
      if (!fc.from.empty() || !fc.to.empty()) detail[fc.field] = {{"from", fc.from}, {"to", fc.to}};
    }
    detail["fields"] = std::move(fields);
    entries.push_back({0, now, actor, "finding.ingest", c.id,
                       detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  return entries;
}

Result<UpsertOutcome> IngestAudited(Store& store, std::span<const Finding> batch,
                                    const std::string& actor, TimestampUs now,
                                    const UpsertFn& upsert) {
  auto out = upsert ? upsert(batch) : store.Upsert(batch, now);
  if (!out) return out;
  auto entries = IngestAuditEntries(*out, actor, now);
  if (entries.empty()) return out;
  if (auto s = store.AppendAuditBatch(entries); !s) {
    return Fail(Error::IoError("findings stored, but the audit log could not be written: " +
                               s.error().message()));
  }
  return out;
}

}  // namespace mw::store
