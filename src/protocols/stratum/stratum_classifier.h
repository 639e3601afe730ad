// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Classifies one JSON-RPC text of any mining dialect (Stratum v1, CryptoNote/XMRig, Ethereum
// proxy, EthereumStratum/NiceHash, getwork/getblocktemplate). Shared by the TCP line parser and
// the HTTP JSON-RPC bridge so that both reach the same verdict on the same message.
//
// The verdict comes from parsed JSON (simdjson DOM) and the message's structure — a generic
// method name such as "login" or "submit" counts only with the dialect's parameter shape.
//
// A JSON-RPC 2.0 batch (a top-level array of messages, section 6) is classified element by
// element, each exactly as if it had arrived alone; at most kMaxBatch elements are looked at.
//
// Thread-safety: a Classifier is single-threaded. ThreadClassifier() gives each thread one,
// reused for every message so the steady state does not allocate. Views in a Classified are
// valid until the next Classify() on the same Classifier.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "mw/net/flow_info.h"
#include "protocols/stratum/stratum_events.h"

namespace simdjson::dom {
class parser;
}

namespace mw::stratum {

// Longest JSON-RPC line accepted; Equihash share submissions are ~3 KB, so this is generous.
inline constexpr size_t kMaxLine = 16 * 1024;
inline constexpr size_t kMaxAlgos = 64;
inline constexpr size_t kMaxPending = 64;
// Most elements of one JSON-RPC batch that are classified. Miners batch a handful (subscribe +
// authorize); anything beyond this is counted by the caller and not looked at.
inline constexpr size_t kMaxBatch = 32;

// Methods the classifier knows. kOther is any other method name.
enum class Method : uint8_t {
  kNone,
  kOther,
  kMiningSubscribe,
  kMiningAuthorize,
  kMiningConfigure,
  kMiningSubmit,
  kMiningNotify,
  kMiningSetDifficulty,
  kMiningSetTarget,
  kMiningExtranonceSubscribe,
  kMiningSetExtranonce,
  kMiningOtherMethod,  // any other "mining.*" (suggest_difficulty, ping, multi_version, ...)
  kLogin,              // CryptoNote
  kSubmit,
  kGetJob,
  kKeepalived,
  kJob,
  kEthSubmitLogin,
  kEthGetWork,
  kEthSubmitWork,
  kEthSubmitHashrate,
  kGetwork,
  kGetBlockTemplate,
  kSubmitBlock,
};
// Canonical wire name of "m" (a static string); empty for kNone/kOther.
std::string_view MethodName(Method m);

struct LoginParts {
  std::string_view login;   // wallet or account
  std::string_view worker;  // empty when the user string names none
};
// Splits pool user strings: "wallet.worker", "wallet.paymentid.worker", "wallet/worker/email",
// "wallet+diff", "wallet+diff.worker", "wallet.worker+diff".
LoginParts SplitLogin(std::string_view user);

// Share difficulty from a CryptoNote job target: 8 hex chars (little-endian uint32, XMRig's
// 0xFFFFFFFF / (0xFFFFFFFF / t) rule) or 16 hex chars (little-endian uint64). 0 if malformed.
double CryptoNoteTargetDifficulty(std::string_view hex);
// Expected hashes per share for a big-endian 256-bit target ("0x" optional): 2^256 / target.
// Used for mining.set_target and Ethereum getWork boundaries. 0 if malformed.
double Target256Difficulty(std::string_view hex);

// Bounded request-id → method map for one flow. Oldest entries are overwritten when full, so a
// client that never gets answers cannot grow it.
class PendingRequests {
 public:
  void Add(Direction dir, uint64_t id_key, Method m);
  // Removes and returns the method of the request "id_key" sent in "dir"; kNone if unknown.
  Method Take(Direction dir, uint64_t id_key);

 private:
  struct Entry {
    uint64_t key = 0;
    Method method = Method::kNone;
    uint8_t dir = 0;
  };
  std::array<Entry, kMaxPending> entries_{};
  size_t next_ = 0;
};

struct Classified {
  Dialect dialect = Dialect::kUnknown;
  MessageKind kind = MessageKind::kRequest;
  Method method_id = Method::kNone;
  std::string_view method;          // as on the wire; empty for responses
  Method answered = Method::kNone;  // responses: method of the request answered
  // The message by itself shows a mining protocol (a mining method with its parameter shape, or
  // a response whose result only mining produces).
  bool mining = false;
  bool has_id = false;
  uint64_t id_key = 0;
  std::string_view agent, login, worker, coin, job_id;
  double difficulty = 0;
  bool is_share = false;
  bool accepted = false;
  std::array<std::string_view, kMaxAlgos> algo_storage{};
  size_t algo_count = 0;

  std::span<const std::string_view> algos() const { return {algo_storage.data(), algo_count}; }
};

// The event for one classified message. "agent_fallback" stands in when the message names no
// agent (the HTTP bridge passes the request's User-Agent).
MessageEvent ToMessageEvent(const FlowInfo& flow, Direction dir, const Classified& m,
                            std::string_view agent_fallback, bool over_http);

enum class ClassifyStatus : uint8_t { kOk, kNotJson, kNotJsonRpc, kTooLong };

// Receives the messages of one JSON-RPC text, in order (Classifier::ClassifyText).
class MessageVisitor {
 public:
  // The flow's dialect so far; asked before each message because an earlier element of the
  // same batch may have changed it.
  virtual Dialect FlowDialect() const = 0;
  // One message: "status" is kOk ("m" is filled) or kNotJsonRpc (an object that is not
  // JSON-RPC, or a batch element that is not an object). Returns false to stop the visit.
  virtual bool OnMessage(ClassifyStatus status, Classified& m) = 0;

 protected:
  ~MessageVisitor() = default;
};

// What ClassifyText saw at the top level.
struct TextShape {
  bool batch = false;       // a JSON array of messages
  size_t elements = 0;      // elements visited (at most kMaxBatch for a batch)
  bool over_limit = false;  // the batch had more than kMaxBatch elements; the rest were skipped
};

class Classifier {
 public:
  Classifier();
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Parses "json" (one JSON-RPC message, no padding needed) and fills "out". "pending" (may be
  // null) learns requests sent in "dir" and answers responses travelling the other way.
  // "flow_dialect" is what earlier messages of the flow established (kUnknown if none).
  ClassifyStatus Classify(std::string_view json, Direction dir, Dialect flow_dialect,
                          PendingRequests* pending, Classified* out);

  // Parses "json" once — one JSON-RPC message or a batch — and hands each message to
  // "visitor" in order. Returns kNotJson / kTooLong for text that does not parse, kNotJsonRpc
  // for a top level that is neither an object nor a non-empty array (nothing is visited), kOk
  // otherwise. Views in the visited Classified die with the next call on this Classifier, so
  // the visitor must not classify on it (a nested call would also reuse the parsed document).
  ClassifyStatus ClassifyText(std::string_view json, Direction dir, PendingRequests* pending,
                              MessageVisitor& visitor, TextShape* shape = nullptr);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unique_ptr<uint8_t[]> padded_;  // kMaxLine + SIMDJSON_PADDING bytes
};

// The calling thread's Classifier (created on first use).
Classifier& ThreadClassifier();

}  // namespace mw::stratum
