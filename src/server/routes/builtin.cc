// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one list of API resources: a new resource is a file in this folder (declared in route.h)
// plus one line here. The order is the dispatch order: the first route that matches wins.
#include "server/routes/route.h"

namespace mw::server::routes {

void AddBuiltinRoutes(RouteTable& t) {
  AddHealthRoutes(t);
  AddFindingRoutes(t);
  AddIncidentRoutes(t);
  AddAuditRoutes(t);
  AddTokenRoutes(t);
  AddConfigRoutes(t);
  AddConsoleRoutes(t);
}

}  // namespace mw::server::routes
