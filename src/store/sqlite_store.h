// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The default Store backend: one SQLite file in WAL mode, versioned schema migrations, a writer
// connection and a reader connection (so API reads never wait on a long ingest transaction).
#include <string>

#include "store/store.h"

namespace mw::store {

struct SqliteOptions {
  std::string path;                     // database file; created with its directory's permissions
  bool synchronous_full = true;         // FULL survives power loss; NORMAL survives kill -9 only
  uint32_t evidence_samples = 16;       // distinct evidence snapshots kept per finding
  uint32_t max_evidence_bytes = 16384;  // larger evidence objects are replaced by a stub
  // Text search plans (docs/benchmarks.md, service section): a term with at most this many
  // candidate rows in the trigram index is answered from the index; a more common one walks
  // last_seen order first, for at most this many SQLite VM steps (~30,000 rows), then falls
  // back to the index. Tests lower them to force each plan.
  uint32_t text_index_candidates = 2000;
  uint64_t text_scan_budget_steps = 4'000'000;
};

// Opens (creating and migrating as needed) the database at "options.path".
Result<StorePtr> OpenSqliteStore(const SqliteOptions& options);

// The schema version this build migrates to.
int LatestSchemaVersion();

}  // namespace mw::store
