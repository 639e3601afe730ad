// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The default Store backend: one SQLite file in WAL mode, versioned schema migrations, a writer
// connection and a reader connection (so API reads never wait on a long ingest transaction).
#include <functional>
#include <string>

#include "store/store.h"

namespace mw::store {

struct SqliteOptions {
  // Database file. Created 0600, and missing directories 0700: it holds findings, the audit log
  // and token hashes. An existing file (and its -wal/-shm) open to others is tightened to 0600;
  // an existing directory open to others is tightened to 0700 when it holds nothing but this
  // store, else left as it is, with a warning either way.
  std::string path;
  bool synchronous_full = true;         // FULL survives power loss; NORMAL survives kill -9 only
  uint32_t evidence_samples = 16;       // distinct evidence snapshots kept per finding
  uint32_t max_evidence_bytes = 16384;  // larger evidence objects are replaced by a stub
  // Text search plans (docs/benchmarks.md, service section): a term with at most this many
  // candidate rows in the trigram index is answered from the index; a more common one walks
  // last_seen order first, for at most this many SQLite VM steps (~30,000 rows), then falls
  // back to the index. Tests lower them to force each plan.
  uint32_t text_index_candidates = 2000;
  uint64_t text_scan_budget_steps = 4'000'000;
  // Where permission warnings go; empty = one "minerwatch: warning: ..." line on stderr.
  std::function<void(const std::string&)> warn;
};

// Opens (creating and migrating as needed) the database at "options.path".
Result<StorePtr> OpenSqliteStore(const SqliteOptions& options);

// The schema version this build migrates to.
int LatestSchemaVersion();

}  // namespace mw::store
