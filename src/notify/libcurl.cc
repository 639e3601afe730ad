// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/libcurl.h"

#include <dlfcn.h>

#include <mutex>

namespace mw::notify {
namespace {

// The soname of Debian's libcurl4 (OpenSSL flavour), the package libcurl4-openssl-dev pulls in.
constexpr const char* kSoname = "libcurl.so.4";

// Sets *out to the symbol; names the first one missing in *missing.
template <typename Fn>
void Bind(void* lib, const char* name, Fn* out, std::string* missing) {
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!*out && missing->empty()) *missing = name;
}

Result<const LibCurl*> Load() {
  // Never closed: curl keeps global state (and OpenSSL's) for the life of the process.
  void* lib = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    return Fail(Error::Unsupported(std::string("cannot load ") + kSoname +
                                   " (install Debian's libcurl4): " + (why ? why : "unknown")));
  }
  static LibCurl api;
  std::string missing;
  Bind(lib, "curl_global_init", &api.global_init, &missing);
  Bind(lib, "curl_easy_init", &api.easy_init, &missing);
  Bind(lib, "curl_easy_setopt", &api.easy_setopt, &missing);
  Bind(lib, "curl_easy_perform", &api.easy_perform, &missing);
  Bind(lib, "curl_easy_getinfo", &api.easy_getinfo, &missing);
  Bind(lib, "curl_easy_strerror", &api.easy_strerror, &missing);
  Bind(lib, "curl_easy_cleanup", &api.easy_cleanup, &missing);
  Bind(lib, "curl_slist_append", &api.slist_append, &missing);
  Bind(lib, "curl_slist_free_all", &api.slist_free_all, &missing);
  if (!missing.empty()) {
    return Fail(Error::Unsupported(std::string(kSoname) + " has no " + missing));
  }
  CURLcode c = api.global_init(CURL_GLOBAL_DEFAULT);
  if (c != CURLE_OK) {
    return Fail(Error::Internal(std::string("curl_global_init: ") + api.easy_strerror(c)));
  }
  return &api;
}

}  // namespace

Result<const LibCurl*> LoadLibCurl() {
  static std::once_flag once;
  static Result<const LibCurl*> loaded = Fail(Error::Internal("libcurl not loaded"));
  std::call_once(once, [] { loaded = Load(); });
  return loaded;
}

}  // namespace mw::notify
