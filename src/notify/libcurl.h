// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// libcurl, loaded on first use instead of at start-up. Linked normally it brings 25 more shared
// libraries (Kerberos, LDAP, GnuTLS, RTMP, SSH, ...) into every command: ~5 ms of dynamic
// linking on each `scan pcap`, a third of its start-up, for a library only notifications use.
// The functions are libcurl's own (same names, same types); only how they are found differs.
#include <curl/curl.h>

#include "mw/core/result.h"

namespace mw::notify {

struct LibCurl {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// The loaded library, after curl_global_init has run once; or why it could not be loaded (the
// same error on every call). Thread-safe.
Result<const LibCurl*> LoadLibCurl();

}  // namespace mw::notify
