// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/stratum_classifier.h"

#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <cstring>

namespace mw::stratum {
namespace {

using simdjson::SUCCESS;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr size_t kMaxDepth = 64;

struct MethodEntry {
  std::string_view name;
  Method method;
};
constexpr MethodEntry kMethods[] = {
    {"mining.subscribe", Method::kMiningSubscribe},
    {"mining.authorize", Method::kMiningAuthorize},
    {"mining.configure", Method::kMiningConfigure},
    {"mining.submit", Method::kMiningSubmit},
    {"mining.notify", Method::kMiningNotify},
    {"mining.set_difficulty", Method::kMiningSetDifficulty},
    {"mining.set_target", Method::kMiningSetTarget},
    {"mining.extranonce.subscribe", Method::kMiningExtranonceSubscribe},
    {"mining.set_extranonce", Method::kMiningSetExtranonce},
    {"login", Method::kLogin},
    {"submit", Method::kSubmit},
    {"getjob", Method::kGetJob},
    {"keepalived", Method::kKeepalived},
    {"job", Method::kJob},
    {"eth_submitLogin", Method::kEthSubmitLogin},
    {"eth_getWork", Method::kEthGetWork},
    {"eth_submitWork", Method::kEthSubmitWork},
    {"eth_submitHashrate", Method::kEthSubmitHashrate},
    {"getwork", Method::kGetwork},
    {"getblocktemplate", Method::kGetBlockTemplate},
    {"submitblock", Method::kSubmitBlock},
};

Method LookupMethod(std::string_view name) {
  for (const auto& e : kMethods)
    if (e.name == name) return e.method;
  if (name.size() > 7 && name.substr(0, 7) == "mining.") return Method::kMiningOtherMethod;
  return Method::kOther;
}

Dialect DialectOf(Method m) {
  switch (m) {
    case Method::kMiningSubscribe:
    case Method::kMiningAuthorize:
    case Method::kMiningConfigure:
    case Method::kMiningSubmit:
    case Method::kMiningNotify:
    case Method::kMiningSetDifficulty:
    case Method::kMiningSetTarget:
    case Method::kMiningExtranonceSubscribe:
    case Method::kMiningSetExtranonce:
    case Method::kMiningOtherMethod:
      return Dialect::kStratumV1;
    case Method::kLogin:
    case Method::kSubmit:
    case Method::kGetJob:
    case Method::kKeepalived:
    case Method::kJob:
      return Dialect::kCryptoNote;
    case Method::kEthSubmitLogin:
    case Method::kEthGetWork:
    case Method::kEthSubmitWork:
    case Method::kEthSubmitHashrate:
      return Dialect::kEthProxy;
    case Method::kGetwork:
    case Method::kGetBlockTemplate:
    case Method::kSubmitBlock:
      return Dialect::kGetwork;
    case Method::kNone:
    case Method::kOther:
      break;
  }
  return Dialect::kUnknown;
}

bool IsShareMethod(Method m) {
  return m == Method::kMiningSubmit || m == Method::kSubmit || m == Method::kEthSubmitWork ||
         m == Method::kSubmitBlock;
}

std::string_view Str(element e) {
  std::string_view s;
  if (e.get_string().get(s) != SUCCESS) return {};
  return s;
}

bool Get(object o, std::string_view key, element* out) {
  return o.at_key(key).get(*out) == SUCCESS;
}

std::string_view StrField(object o, std::string_view key) {
  element e;
  return Get(o, key, &e) ? Str(e) : std::string_view{};
}

// First elements of an array, so positional params are read once.
struct Positional {
  std::array<element, 6> v{};
  size_t n = 0;
  std::string_view S(size_t i) const { return i < n ? Str(v[i]) : std::string_view{}; }
};

Positional FirstElements(const element* e) {
  Positional p;
  array a;
  if (e == nullptr || e->get_array().get(a) != SUCCESS) return p;
  for (element x : a) {
    if (p.n == p.v.size()) break;
    p.v[p.n++] = x;
  }
  return p;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// JSON-RPC ids are numbers or strings; both become one key (the low bit tells which).
bool IdKey(element id, uint64_t* key) {
  int64_t i;
  uint64_t u;
  std::string_view s;
  if (id.get_int64().get(i) == SUCCESS) {
    *key = uint64_t(i) << 1;
  } else if (id.get_uint64().get(u) == SUCCESS) {
    *key = u << 1;
  } else if (id.get_string().get(s) == SUCCESS) {
    *key = Fnv1a(s) << 1 | 1;
  } else {
    return false;  // null or a type JSON-RPC does not allow
  }
  return true;
}

void AddAlgo(Classified* out, std::string_view algo) {
  if (!algo.empty() && out->algo_count < kMaxAlgos) out->algo_storage[out->algo_count++] = algo;
}

void SetUser(Classified* out, std::string_view user) {
  LoginParts parts = SplitLogin(user);
  out->login = parts.login;
  if (out->worker.empty()) out->worker = parts.worker;
}

// A CryptoNote job object: {"blob", "job_id", "target", "algo"?, ...}.
bool ReadCryptoNoteJob(object job, Classified* out) {
  std::string_view blob = StrField(job, "blob");
  std::string_view job_id = StrField(job, "job_id");
  if (blob.empty() && job_id.empty()) return false;
  out->job_id = job_id;
  out->difficulty = CryptoNoteTargetDifficulty(StrField(job, "target"));
  AddAlgo(out, StrField(job, "algo"));
  return true;
}

bool IsHex256(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "params" is null when the message has none.
void ClassifyRequest(Method m, object root_obj, const element* params, Classified* out) {
  object pobj;
  bool params_object = params != nullptr && params->get_object().get(pobj) == SUCCESS;
  Positional p = FirstElements(params);
  out->is_share = IsShareMethod(m);
  out->mining = true;
  switch (m) {
    case Method::kMiningSubscribe: {
      out->agent = p.S(0);
      std::string_view protocol = p.S(1);
      if (protocol.substr(0, 16) == "EthereumStratum/") out->dialect = Dialect::kEthereumStratum;
      break;
    }
    case Method::kMiningAuthorize:
      SetUser(out, p.S(0));
      break;
    case Method::kMiningSubmit:
      SetUser(out, p.S(0));
      out->job_id = p.S(1);
      break;
    case Method::kMiningNotify:
      out->job_id = p.S(0);
      break;
    case Method::kMiningSetDifficulty: {
      double d = 0;
      if (p.n > 0 && p.v[0].get_double().get(d) == SUCCESS && d > 0 && std::isfinite(d))
        out->difficulty = d;
      break;
    }
    case Method::kMiningSetTarget:
      out->difficulty = Target256Difficulty(p.S(0));
      break;
    case Method::kLogin: {
      // Generic APIs have "login" methods too; the XMRig/xmr-stak shape is params.login.
      element login;
      if (!params_object || !Get(pobj, "login", &login) || Str(login).empty()) {
        out->mining = false;
        break;
      }
      out->agent = StrField(pobj, "agent");
      out->worker = StrField(pobj, "rigid");
      SetUser(out, Str(login));
      element algo;
      array algos;
      if (Get(pobj, "algo", &algo) && algo.get_array().get(algos) == SUCCESS) {
        for (element a : algos) AddAlgo(out, Str(a));
      }
      break;
    }
    case Method::kSubmit: {
      element tmp;
      out->mining = params_object && Get(pobj, "job_id", &tmp) &&
                    (Get(pobj, "nonce", &tmp) || Get(pobj, "result", &tmp));
      if (out->mining) out->job_id = StrField(pobj, "job_id");
      out->is_share = out->mining;
      break;
    }
    case Method::kGetJob:
    case Method::kKeepalived: {
      element tmp;
      out->mining = params_object && Get(pobj, "id", &tmp);
      break;
    }
    case Method::kJob:
      out->mining = params_object && ReadCryptoNoteJob(pobj, out);
      break;
    case Method::kEthSubmitLogin:
      SetUser(out, p.S(0));
      if (out->worker.empty()) out->worker = StrField(root_obj, "worker");
      break;
    case Method::kEthSubmitWork:
      out->job_id = p.S(1);
      break;
    case Method::kGetwork:
      out->is_share = p.n > 0;  // getwork with a data parameter submits a solved header
      break;
    case Method::kMiningConfigure:
    case Method::kMiningExtranonceSubscribe:
    case Method::kMiningSetExtranonce:
    case Method::kMiningOtherMethod:
    case Method::kEthGetWork:
    case Method::kEthSubmitHashrate:
    case Method::kGetBlockTemplate:
    case Method::kSubmitBlock:
      break;
    case Method::kNone:
    case Method::kOther:
      out->mining = false;
      break;
  }
  if (!out->mining) out->is_share = false;
}

bool ResultOk(element result, element error, bool has_error) {
  if (has_error && !error.is_null()) return false;
  bool b = false;
  if (result.get_bool().get(b) == SUCCESS) return b;
  object o;
  if (result.get_object().get(o) == SUCCESS) {
    std::string_view status = StrField(o, "status");
    return status == "OK" || status == "ok";
  }
  return false;
}

void ClassifyResponse(element result, bool has_result, element error, bool has_error,
                      Classified* out) {
  object robj;
  bool result_object = has_result && result.get_object().get(robj) == SUCCESS;
  Method m = out->answered;
  if (IsShareMethod(m)) {
    out->is_share = true;
    out->accepted = has_result && ResultOk(result, error, has_error);
  }
  // Result shapes that only mining produces identify the exchange even when the request was
  // not seen (mid-stream pickup, pools that answer getWork with id 0, HTTP responses).
  if (result_object) {
    element job;
    object job_obj;
    if (Get(robj, "job", &job) && job.get_object().get(job_obj) == SUCCESS &&
        ReadCryptoNoteJob(job_obj, out)) {
      out->mining = true;  // login response: {"id": session, "job": {...}, "status": "OK"}
      out->dialect = Dialect::kCryptoNote;
      if (m == Method::kNone) out->answered = Method::kLogin;
    } else if (!StrField(robj, "data").empty() && !StrField(robj, "target").empty()) {
      out->mining = true;  // getwork: {"midstate", "data", "hash1", "target"}
      out->dialect = Dialect::kGetwork;
      if (m == Method::kNone) out->answered = Method::kGetwork;
      // getwork's target is a little-endian 256-bit number.
      std::string_view le = StrField(robj, "target");
      if (le.size() == 64) {
        char be[64];
        for (size_t i = 0; i < 64; i += 2) {
          be[i] = le[62 - i];
          be[i + 1] = le[63 - i];
        }
        out->difficulty = Target256Difficulty(std::string_view(be, 64));
      }
    } else if (!StrField(robj, "previousblockhash").empty() &&
               (Get(robj, "coinbasevalue", &job) || Get(robj, "transactions", &job))) {
      out->mining = true;
      out->dialect = Dialect::kGetwork;
      if (m == Method::kNone) out->answered = Method::kGetBlockTemplate;
      out->difficulty = Target256Difficulty(StrField(robj, "target"));
    }
  } else if (has_result) {
    Positional p = FirstElements(&result);
    // eth_getWork: [header hash, seed hash, boundary] (+ block number on some pools).
    if (p.n >= 3 && IsHex256(p.S(0)) && IsHex256(p.S(1)) && IsHex256(p.S(2))) {
      out->mining = true;
      out->dialect = Dialect::kEthProxy;
      if (m == Method::kNone) out->answered = Method::kEthGetWork;
      out->job_id = p.S(0);
      out->difficulty = Target256Difficulty(p.S(2));
    }
  }
  if (m != Method::kNone && m != Method::kOther && DialectOf(m) != Dialect::kUnknown) {
    out->mining = true;  // answers a mining request this flow sent
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsBase58(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '1' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O') ||
              (c >= 'a' && c <= 'z' && c != 'l');
    if (!ok) return false;
  }
  return true;
}

bool IsBech32Data(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    if (!ok || c == '1' || c == 'b' || c == 'i' || c == 'o') return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
  return true;
}

bool StartsWithLower(std::string_view s, std::string_view lower) {
  return s.size() >= lower.size() && EqualsLower(s.substr(0, lower.size()), lower);
}

std::string_view CoinFromAlgo(std::string_view a) {
  struct Exact {
    std::string_view algo, coin;
  };
  static constexpr Exact kExact[] = {
      {"rx/0", "XMR"},          {"randomx", "XMR"},        {"rx", "XMR"},
      {"rx/wow", "WOW"},        {"rx/arq", "ARQ"},         {"rx/sfx", "SFX"},
      {"rx/keva", "KVA"},       {"rx/graft", "GRFT"},      {"cn-heavy/xhv", "XHV"},
      {"cn/ccx", "CCX"},        {"argon2/chukwa", "TRTL"}, {"argon2/chukwav2", "TRTL"},
      {"argon2/wrkz", "WRKZ"},  {"astrobwt", "DERO"},      {"kawpow", "RVN"},
      {"ethash", "ETH"},        {"etchash", "ETC"},        {"equihash", "ZEC"},
      {"equihash200_9", "ZEC"}, {"zhash", "BTG"},          {"equihash144_5", "BTG"},
      {"sha256d", "BTC"},       {"sha256", "BTC"},         {"scrypt", "LTC"},
      {"x11", "DASH"},          {"ghostrider", "RTM"},     {"gr", "RTM"},
      {"autolykos", "ERG"},     {"autolykos2", "ERG"},     {"kheavyhash", "KAS"},
      {"octopus", "CFX"},       {"firopow", "FIRO"},       {"verushash", "VRSC"},
      {"cuckatoo32", "GRIN"},   {"cuckaroo29", "GRIN"},
  };
  for (const auto& e : kExact)
    if (EqualsLower(a, e.algo)) return e.coin;
  // The CryptoNight family: cn/r, cn/2, cn/half, ... were Monero's proof of work.
  if (StartsWithLower(a, "cn-lite")) return "AEON";
  if (StartsWithLower(a, "cn-pico")) return "TRTL";
  if (StartsWithLower(a, "cn/") || StartsWithLower(a, "cn-") || EqualsLower(a, "cn") ||
      StartsWithLower(a, "cryptonight"))
    return "XMR";
  return {};
}

std::string_view CoinFromWallet(std::string_view w) {
  if (w.empty()) return {};
  // Monero: 4/8 + 94 base58 (standard, subaddress), or 106 chars integrated.
  if ((w[0] == '4' || w[0] == '8') && (w.size() == 95 || w.size() == 106) && IsBase58(w))
    return "XMR";
  if ((StartsWith(w, "t1") || StartsWith(w, "t3")) && w.size() == 35 && IsBase58(w)) return "ZEC";
  if (StartsWith(w, "zs1") && w.size() == 78 && IsBech32Data(w.substr(3))) return "ZEC";
  if (StartsWith(w, "0x") && w.size() == 42) {
    for (char c : w.substr(2))
      if (HexValue(c) < 0) return {};
    return "ETH";
  }
  if (StartsWith(w, "bc1") && w.size() >= 42 && w.size() <= 62 && IsBech32Data(w.substr(3)))
    return "BTC";
  if ((w[0] == '1' || w[0] == '3') && w.size() >= 26 && w.size() <= 35 && IsBase58(w)) return "BTC";
  if (StartsWith(w, "ltc1") && w.size() >= 43 && w.size() <= 63 && IsBech32Data(w.substr(4)))
    return "LTC";
  if (w.size() == 34 && IsBase58(w)) {
    if (w[0] == 'R') return "RVN";
    if (w[0] == 'L') return "LTC";
    if (w[0] == 'D') return "DOGE";
  }
  return {};
}

}  // namespace

std::string_view DialectName(Dialect d) {
  switch (d) {
    case Dialect::kUnknown:
      return "unknown";
    case Dialect::kStratumV1:
      return "stratum_v1";
    case Dialect::kCryptoNote:
      return "cryptonote";
    case Dialect::kEthProxy:
      return "eth_proxy";
    case Dialect::kEthereumStratum:
      return "ethereum_stratum";
    case Dialect::kGetwork:
      return "getwork";
  }
  return "unknown";
}

MessageEvent ToMessageEvent(const FlowInfo& flow, Direction dir, const Classified& m,
                            std::string_view agent_fallback, bool over_http) {
  return MessageEvent{
      .flow = flow,
      .dir = dir,
      .dialect = m.dialect,
      .kind = m.kind,
      .method = m.method,
      .agent = m.agent.empty() ? agent_fallback : m.agent,
      .algos = m.algos(),
      .login = m.login,
      .worker = m.worker,
      .coin = m.coin,
      .job_id = m.job_id,
      .difficulty = m.difficulty,
      .is_share = m.is_share,
      .accepted = m.accepted,
      .over_http = over_http,
      .request_method = MethodName(m.answered),
  };
}

std::string_view MethodName(Method m) {
  for (const auto& e : kMethods)
    if (e.method == m) return e.name;
  return {};
}

std::string_view InferCoin(std::string_view algo, std::string_view login) {
  std::string_view coin = CoinFromAlgo(algo);
  return coin.empty() ? CoinFromWallet(login) : coin;
}

LoginParts SplitLogin(std::string_view user) {
  LoginParts out;
  size_t end = user.find_first_of("./+");
  out.login = user.substr(0, end);
  if (end == std::string_view::npos) return out;
  std::string_view rest = user.substr(end);
  if (rest[0] == '+') {  // "+difficulty", possibly followed by ".worker"
    size_t next = rest.find_first_of("./");
    if (next == std::string_view::npos) return out;
    rest = rest.substr(next);
  }
  if (rest[0] == '/') {
    rest.remove_prefix(1);
    out.worker = rest.substr(0, rest.find('/'));
  } else {
    // "wallet.paymentid.worker": the worker is the last component.
    out.worker = rest.substr(rest.rfind('.') + 1);
  }
  out.worker = out.worker.substr(0, out.worker.find('+'));
  return out;
}

double CryptoNoteTargetDifficulty(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 16) return 0;
  uint64_t raw = 0;
  for (size_t i = 0; i < hex.size(); i += 2) {  // little-endian byte order
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return 0;
    raw |= uint64_t(hi << 4 | lo) << (4 * i);
  }
  if (raw == 0) return 0;
  uint64_t target64 = raw;
  if (hex.size() == 8) target64 = 0xFFFFFFFFFFFFFFFFULL / (0xFFFFFFFFULL / raw);
  return double(0xFFFFFFFFFFFFFFFFULL) / double(target64);
}

double Target256Difficulty(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 64) return 0;
  double target = 0;
  for (char c : hex) {
    int v = HexValue(c);
    if (v < 0) return 0;
    target = target * 16 + v;
  }
  if (target <= 0) return 0;
  return std::ldexp(1.0, 256) / target;
}

void PendingRequests::Add(Direction dir, uint64_t id_key, Method m) {
  for (auto& e : entries_) {  // a reused id replaces its older request
    if (e.method != Method::kNone && e.key == id_key && e.dir == uint8_t(dir)) {
      e.method = m;
      return;
    }
  }
  entries_[next_] = {id_key, m, uint8_t(dir)};
  next_ = (next_ + 1) % entries_.size();
}

Method PendingRequests::Take(Direction dir, uint64_t id_key) {
  for (auto& e : entries_) {
    if (e.method != Method::kNone && e.key == id_key && e.dir == uint8_t(dir)) {
      Method m = e.method;
      e.method = Method::kNone;
      return m;
    }
  }
  return Method::kNone;
}

Classifier::Classifier()
    : parser_(std::make_unique<simdjson::dom::parser>(kMaxLine)),
      padded_(new uint8_t[kMaxLine + simdjson::SIMDJSON_PADDING]) {
  // Allocate once up front so classifying never grows buffers on the data plane. On failure
  // (OOM) parse() retries the allocation and reports MEMALLOC, which reads as "not JSON".
  [[maybe_unused]] simdjson::error_code err = parser_->allocate(kMaxLine, kMaxDepth);
}

Classifier::~Classifier() = default;

namespace {

// Fills "out" from one JSON-RPC object (the whole text, or one element of a batch).
ClassifyStatus ClassifyObject(object obj, Direction dir, Dialect flow_dialect,
                              PendingRequests* pending, Classified* out) {
  *out = Classified{};
  element method_el, id_el, params, result, error;
  bool has_method = Get(obj, "method", &method_el);
  bool has_id = Get(obj, "id", &id_el);
  bool has_result = Get(obj, "result", &result);
  bool has_error = Get(obj, "error", &error);
  out->has_id = has_id && IdKey(id_el, &out->id_key);
  Direction reply_dir = dir == Direction::kToServer ? Direction::kToClient : Direction::kToServer;

  if (has_method) {
    std::string_view name;
    if (method_el.get_string().get(name) != SUCCESS) return ClassifyStatus::kNotJsonRpc;
    out->method = name;
    out->method_id = LookupMethod(name);
    out->kind = out->has_id ? MessageKind::kRequest : MessageKind::kNotification;
    out->dialect = DialectOf(out->method_id);
    bool has_params = Get(obj, "params", &params);
    ClassifyRequest(out->method_id, obj, has_params ? &params : nullptr, out);
    if (out->has_id && pending != nullptr) pending->Add(dir, out->id_key, out->method_id);
  } else if (has_result || has_error) {
    out->kind = MessageKind::kResponse;
    if (out->has_id && pending != nullptr) out->answered = pending->Take(reply_dir, out->id_key);
    out->dialect = DialectOf(out->answered);
    ClassifyResponse(result, has_result, error, has_error, out);
  } else {
    return ClassifyStatus::kNotJsonRpc;
  }

  if (!out->mining) {
    out->dialect = Dialect::kUnknown;
  }
  // EthereumStratum is Stratum v1 method names with its own subscribe; keep the flow's label.
  if (flow_dialect == Dialect::kEthereumStratum &&
      (out->dialect == Dialect::kStratumV1 || out->dialect == Dialect::kUnknown))
    out->dialect = Dialect::kEthereumStratum;
  else if (out->dialect == Dialect::kUnknown)
    out->dialect = flow_dialect;

  // An XMRig login lists every algorithm it supports; only a single algorithm names the coin.
  std::string_view algo = out->algo_count == 1 ? out->algo_storage[0] : std::string_view{};
  out->coin = InferCoin(algo, out->login);
  return ClassifyStatus::kOk;
}

// Parses "json" into "parser"'s document through the padded scratch buffer.
ClassifyStatus ParseText(simdjson::dom::parser& parser, uint8_t* padded, std::string_view json,
                         element* root) {
  if (json.size() > kMaxLine) return ClassifyStatus::kTooLong;
  std::memcpy(padded, json.data(), json.size());
  std::memset(padded + json.size(), 0, simdjson::SIMDJSON_PADDING);
  // Nesting deeper than kMaxDepth (e.g. "[[[[...") fails here with DEPTH_ERROR: not JSON.
  if (parser.parse(padded, json.size(), false).get(*root) != SUCCESS)
    return ClassifyStatus::kNotJson;
  return ClassifyStatus::kOk;
}

}  // namespace

ClassifyStatus Classifier::Classify(std::string_view json, Direction dir, Dialect flow_dialect,
                                    PendingRequests* pending, Classified* out) {
  *out = Classified{};
  element root;
  if (ClassifyStatus s = ParseText(*parser_, padded_.get(), json, &root); s != ClassifyStatus::kOk)
    return s;
  object obj;
  if (root.get_object().get(obj) != SUCCESS) return ClassifyStatus::kNotJsonRpc;
  return ClassifyObject(obj, dir, flow_dialect, pending, out);
}

ClassifyStatus Classifier::ClassifyText(std::string_view json, Direction dir,
                                        PendingRequests* pending, MessageVisitor& visitor,
                                        TextShape* shape) {
  TextShape local;
  TextShape& seen = shape != nullptr ? *shape : local;
  seen = TextShape{};
  element root;
  if (ClassifyStatus s = ParseText(*parser_, padded_.get(), json, &root); s != ClassifyStatus::kOk)
    return s;
  Classified m;
  object obj;
  if (root.get_object().get(obj) == SUCCESS) {
    seen.elements = 1;
    ClassifyStatus s = ClassifyObject(obj, dir, visitor.FlowDialect(), pending, &m);
    visitor.OnMessage(s, m);
    return ClassifyStatus::kOk;
  }
  array batch;
  // An empty batch is an invalid request in JSON-RPC 2.0 (section 6), like a bare scalar.
  if (root.get_array().get(batch) != SUCCESS || batch.begin() == batch.end())
    return ClassifyStatus::kNotJsonRpc;
  seen.batch = true;
  for (element e : batch) {
    if (seen.elements == kMaxBatch) {
      seen.over_limit = true;
      break;
    }
    ++seen.elements;
    ClassifyStatus s = ClassifyStatus::kNotJsonRpc;  // nested arrays and scalars are not messages
    if (e.get_object().get(obj) == SUCCESS) {
      s = ClassifyObject(obj, dir, visitor.FlowDialect(), pending, &m);
    } else {
      m = Classified{};
    }
    if (!visitor.OnMessage(s, m)) break;
  }
  return ClassifyStatus::kOk;
}

Classifier& ThreadClassifier() {
  thread_local Classifier classifier;
  return classifier;
}

}  // namespace mw::stratum
