// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/miner_process/miner_heuristics.h"

#include <cctype>
#include <cstdio>
#include <string_view>

namespace mw {
namespace {

using hostscan::MinerReason;
using hostscan::ProcessInfo;
using Kind = MinerReason::Kind;

bool LooksLikeKernelThreadName(std::string_view name) {
  if (name.starts_with("[") && name.ends_with("]")) return true;
  for (std::string_view k : {"kworker", "kthreadd", "ksoftirqd", "kswapd", "migration/", "rcu_",
                             "kdevtmpfs", "watchdog/", "kauditd", "khugepaged", "jbd2/"}) {
    if (name.starts_with(k)) return true;
  }
  return false;
}

bool LooksLikeMoneroWallet(std::string_view s) {
  if ((s.size() != 95 && s.size() != 106) || (s[0] != '4' && s[0] != '8')) return false;
  for (char c : s) {
    bool b58 = (c >= '1' && c <= '9') || (c >= 'A' && c <= 'H') || (c >= 'J' && c <= 'N') ||
               (c >= 'P' && c <= 'Z') || (c >= 'a' && c <= 'k') || (c >= 'm' && c <= 'z');
    if (!b58) return false;
  }
  return true;
}

}  // namespace

std::vector<MinerReason> MinerProcessReasons(const ProcessInfo& p, double high_cpu_percent) {
  std::vector<MinerReason> reasons;
  if (p.kernel_thread) return reasons;
  std::string cmd = p.CmdlineString();
  std::string lower = cmd;
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view scheme :
       {"stratum+tcp://", "stratum+ssl://", "stratum+tls://", "stratum2+tcp://", "stratum://"}) {
    if (lower.find(scheme) != std::string::npos) {
      reasons.push_back({Kind::kPoolUrl, "pool URL in command line"});
      break;
    }
  }
  int flags = 0;
  std::string flag_list;
  for (std::string_view f :
       {"--donate-level", "--randomx-mode", "--randomx-1gb-pages", "--cpu-max-threads-hint",
        "--max-cpu-usage", "--coin=monero", "--algo=rx/", "-a rx/", "--algo rx/", "--nicehash",
        "--cpu-priority", "--huge-pages-jit", "--rig-id", "--asm=", "--bench=",
        "--donate-over-proxy", "--no-huge-pages", "--cuda-devices", "--opencl"}) {
    if (lower.find(f) != std::string::npos) {
      ++flags;
      if (!flag_list.empty()) flag_list += ", ";
      flag_list += f;
    }
  }
  if (flags > 0)
    reasons.push_back({Kind::kMinerOptions, "miner options in command line: " + flag_list});
  for (const auto& a : p.cmdline) {
    std::string_view arg = a;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) arg.remove_prefix(eq + 1);
    size_t dot = arg.find('.');  // wallet.worker
    if (LooksLikeMoneroWallet(arg.substr(0, dot))) {
      reasons.push_back({Kind::kWallet, "Monero wallet address in command line"});
      break;
    }
  }
  bool busy = p.cpu_percent >= high_cpu_percent;
  std::string argv0 = p.cmdline.empty() ? "" : p.cmdline[0];
  // Kernel threads have no executable: a user process named like one is masquerading.
  bool masquerade = LooksLikeKernelThreadName(argv0) || LooksLikeKernelThreadName(p.comm);
  char cpu[32];
  std::snprintf(cpu, sizeof cpu, "%.0f%%", p.cpu_percent < 0 ? 0.0 : p.cpu_percent);
  if (masquerade) {
    reasons.push_back({Kind::kKernelThreadName, "user process named like a kernel thread ('" +
                                                    (argv0.empty() ? p.comm : argv0) + "'), CPU " +
                                                    cpu});
  }
  // Deleted, fileless or /tmp executables alone are common (upgrades, test runners); with high
  // CPU or a kernel-thread disguise they are how miners hide.
  if (busy || masquerade) {
    if (p.exe_deleted)
      reasons.push_back(
          {Kind::kDeletedExe, std::string("executable deleted while running, CPU ") + cpu});
    if (p.exe_memfd)
      reasons.push_back(
          {Kind::kFilelessExe, std::string("runs from a memfd (fileless), CPU ") + cpu});
    // Busy programs in /tmp or a dot-dir (~/.pyenv, ~/.cargo) are everyday; only as support.
    if (p.exe_suspicious_dir && !reasons.empty()) {
      reasons.push_back({Kind::kHiddenDir,
                         "runs from " + p.exe.substr(0, p.exe.rfind('/') + 1) + ", CPU " + cpu});
    }
  }
  return reasons;
}

}  // namespace mw
