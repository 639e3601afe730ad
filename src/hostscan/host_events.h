// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the host agent observes, published on a DetectionEngine's bus (include/mw/parse/
// event_bus.h) for the host detectors in src/detectors/<d>/ to decide on. These are observations,
// not verdicts: the scanner reads /proc, process memory and autostart files and says what it saw;
// whether that is a finding, and of which category and severity, is a detector's call.
//
// Like every bus event, an event holds references that are valid only during Publish().
#include <span>
#include <string>
#include <string_view>

#include "hostscan/memory_scanner.h"
#include "hostscan/page_db.h"
#include "hostscan/persistence.h"
#include "hostscan/process.h"
#include "mw/net/flow_info.h"

namespace mw::hostscan {

// The host an event is about and when the pass saw it: every host finding is keyed by the
// host's address and names its host name.
struct HostRef {
  std::string_view host_ip;
  std::string_view hostname;
  TimestampUs ts = 0;
};

// One process of the inventory, once per pass, before its memory is read.
struct ProcessEvent {
  HostRef host;
  const ProcessInfo& process;
  // The CPU share (100 = one core) the operator counts as high (`host scan --high-cpu`): a
  // disguised or deleted executable is suspect only when it is busy.
  double high_cpu_percent = 50;
};

// One reason the miner heuristics give (src/detectors/miner_process/miner_heuristics.h): the kind
// decides severity and ATT&CK ids, the text is what the finding shows.
struct MinerReason {
  enum class Kind : uint8_t {
    kPoolUrl,           // stratum URL on the command line
    kMinerOptions,      // XMRig-style options on the command line
    kWallet,            // a Monero wallet address on the command line
    kKernelThreadName,  // a user process named like a kernel thread (T1036.004)
    kDeletedExe,        // busy, executable deleted while running (T1070.004)
    kFilelessExe,       // busy, runs from a memfd (T1070.004)
    kHiddenDir,         // busy, runs from /tmp or a dot-dir: support for another reason only
  };
  Kind kind;
  std::string text;
};

// A process the miner heuristics call a miner (published by the miner_evidence translator,
// src/detectors/miner_process/), whether or not the miner_process detector reports it: the
// memory and autostart passes treat a miner's files and memory as evidence either way.
struct MinerEvidenceEvent {
  HostRef host;
  const ProcessInfo& process;
  std::span<const MinerReason> reasons;  // never empty
};

// One socket of a process (TCP/UDP, v4/v6, from its own network namespace's tables; listening
// and unconnected ones too: a detector picks what it needs).
struct SocketEvent {
  HostRef host;
  const ProcessInfo& process;
  const RemoteEndpoint& socket;
};

// The memory scan of one process: its YARA hits (each with its rule's RuleInfo, whose
// `evidence` says proof of work or names only) and the page-database matches of its executable
// pages. Published only when something matched.
struct MemoryScanEvent {
  HostRef host;
  const ProcessInfo& process;
  const ProcessMemResult& memory;
  std::span<const PageDbHit> page_matches;
  // The process already looked like a miner (a MinerEvidenceEvent came for its executable).
  bool miner_evidence = false;
};

// An autostart entry (cron, systemd, rc, ld.so.preload, profiles, authorized_keys) the
// persistence pass flagged, or that names hosts for intel to judge (entry.reasons empty,
// entry.hosts filled).
struct AutostartEvent {
  HostRef host;
  std::string_view root;  // the root the entry was read under ("/" live)
  const PersistenceHit& entry;
};

// A system binary that differs from the file its Debian package installed (dpkg md5sums): a
// trojaned ps or top hides a miner. "binary.file" is its path, "binary.line" 0.
struct ReplacedBinaryEvent {
  HostRef host;
  std::string_view root;
  const PersistenceHit& binary;
};

}  // namespace mw::hostscan
