// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The web console's files (web/), embedded into the binary at build time by embed_assets.cmake so
// the service needs nothing on disk to serve it.
#include <cstddef>
#include <string_view>

namespace mw::server {

struct Asset {
  const char* path;  // file name under web/, e.g. "app.js"
  const char* content_type;
  const char* data;
  size_t size;
};

// Returns nullptr for an unknown path.
const Asset* FindAsset(std::string_view path);

}  // namespace mw::server
