// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Events the mining-protocol parser publishes: one per JSON-RPC message of any mining dialect.
// Views are valid only during EventBus::Publish.
#include <cstdint>
#include <span>
#include <string_view>

#include "mw/net/flow_info.h"

namespace mw::stratum {

enum class Dialect : uint8_t {
  kUnknown,
  kStratumV1,        // mining.subscribe / authorize / notify / submit (Bitcoin, ZCash, ...)
  kCryptoNote,       // XMRig/xmr-stak: login, job, submit, getjob, keepalived
  kEthProxy,         // eth_submitLogin, eth_getWork, eth_submitWork, eth_submitHashrate
  kEthereumStratum,  // EthereumStratum/1.0.0 (NiceHash): mining.subscribe with that protocol
  kGetwork,          // getwork / getblocktemplate over HTTP JSON-RPC
};
std::string_view DialectName(Dialect d);

enum class MessageKind : uint8_t { kRequest, kResponse, kNotification };

struct MessageEvent {
  const FlowInfo& flow;
  Direction dir;
  Dialect dialect = Dialect::kUnknown;
  MessageKind kind = MessageKind::kRequest;
  std::string_view method;  // empty for responses
  // Fields taken from the message where the dialect carries them; empty otherwise.
  std::string_view agent;                   // "XMRig/6.16.0 (Linux x86_64) libuv/1.42.0 gcc/9.3.0"
  std::span<const std::string_view> algos;  // "rx/0", "cn/r", ...
  std::string_view login;                   // wallet or account (before any worker separator)
  std::string_view worker;                  // rig id / worker name
  std::string_view coin;                    // when the message names it
  std::string_view job_id;
  double difficulty = 0;   // mining.set_difficulty, or derived from a job target
  bool is_share = false;   // a share submission (mining.submit, submit, eth_submitWork)
  bool accepted = false;   // response to a share: result true / status OK
  bool over_http = false;  // JSON-RPC carried in HTTP bodies (getwork, getblocktemplate)
  // For responses: the method of the request this answers ("login", "mining.submit", ...), when
  // the parser saw that request (or the result's shape names it). Empty otherwise.
  std::string_view request_method;
};

// Best-effort coin for an algorithm name ("rx/0" → "XMR") or, failing that, a wallet address
// format ("t1..." → "ZEC"). Returns a static string, or empty when neither tells.
std::string_view InferCoin(std::string_view algo, std::string_view login);

}  // namespace mw::stratum
