// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Versioned schema migrations. Migration N (1-based) moves the schema from version N-1 to N and
// runs in its own transaction; schema_version records what ran and when. Never edit a released
// migration: append a new one.
#include <string_view>
#include <vector>

#include "mw/core/result.h"

namespace mw::store {

class Db;

const std::vector<std::string_view>& Migrations();
Result<int> CurrentVersion(Db& db);
// Applies every migration newer than the database. Fails on a database newer than this build.
Status Migrate(Db& db);

}  // namespace mw::store
