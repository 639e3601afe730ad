// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// `minerwatch doctor`: checks a deployment against its config (or the embedded defaults, the
// deployment `minerwatch up` runs without -c) and its running service, and says how to fix each
// problem; a check that could not be made says what it could not reach. Exit code: 0 all pass,
// 1 warnings only, 2 at least one failure.
#include <string>
#include <vector>

#include "config/service_config.h"

namespace mw::doctor {

enum class Verdict { kPass, kWarn, kFail };

struct Check {
  std::string name;
  Verdict verdict = Verdict::kPass;
  std::string detail;
  std::string fix;  // empty when passing
};

struct DoctorOptions {
  std::string url;    // http://127.0.0.1:8080
  std::string token;  // admin token for the token audit; others work with any role
  int64_t now_s = 0;  // 0 = wall clock (tests inject)
};

std::vector<Check> RunDoctor(const config::ServiceConfig& cfg, const DoctorOptions& o);
std::string RenderTable(const std::vector<Check>& checks);
std::string RenderJson(const std::vector<Check>& checks);
int ExitCode(const std::vector<Check>& checks);

}  // namespace mw::doctor
