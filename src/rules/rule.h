// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The typed form of one Suricata 6/7 rule, as the loader produces it: the header with its
// variables resolved, every option in order, and the detection options grouped by the buffer they
// inspect. Plain values (no pointers into the rule text), so a Rule can be copied, moved and
// shared read-only between threads.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mw::rules {

enum class Action : uint8_t { kAlert, kDrop, kPass, kReject };
// "tcp-pkt" and "tcp-stream" are tcp restricted to packets or to the reassembled stream; the app
// protocols (dns, tls, http, http1) imply their transport.
enum class Protocol : uint8_t {
  kIp,
  kTcp,
  kUdp,
  kIcmp,
  kTcpPkt,
  kTcpStream,
  kDns,
  kTls,
  kHttp,
  kHttp1
};
enum class Direction : uint8_t { kForward /* -> */, kBoth /* <> */ };
// Snort 3 rules are read where their meaning is plain (docs/rules.md); the rest is Suricata's.
enum class Dialect : uint8_t { kSuricata, kSnort3 };

// One inclusive address range; a CIDR block or a single address is a range too. IPv4 addresses
// are stored IPv4-mapped (::ffff:a.b.c.d) so one comparison covers both families.
struct IpRange {
  std::array<uint8_t, 16> first{};
  std::array<uint8_t, 16> last{};
  bool v6 = false;
  bool negated = false;
};

// An address field after variables, lists and negations are flattened: the packet's address
// matches if it is in some non-negated range (or `any`) and in no negated one.
struct AddressSpec {
  bool any = false;
  std::vector<IpRange> ranges;
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 65535;
  bool negated = false;
};

struct PortSpec {
  bool any = false;
  std::vector<PortRange> ranges;
};

// A number compared by dsize, bsize and byte_test's friends: "N", "<N", ">N", "<=N", ">=N", "!N",
// "N<>M" (exclusive range, Suricata's meaning) and "N-M".
struct NumberCheck {
  enum class Op : uint8_t { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual, kRange };
  Op op = Op::kEqual;
  uint64_t value = 0;
  uint64_t upper = 0;  // kRange only: value < x < upper
};

// The raw option as written: keyword and value with the outer quotes and the escapes of the
// rule's option syntax (\; \" \\) removed. `has_value` tells "nocase;" from "nocase:;".
struct Option {
  std::string keyword;
  std::string value;
  bool has_value = false;
};

struct Reference {
  std::string system;  // "url", "cve", "md5", ...
  std::string id;
};

struct MetadataEntry {
  std::string key;
  std::string value;
};

struct FlowOptions {
  enum class Side : uint8_t { kAny, kToServer, kToClient };
  enum class Stream : uint8_t { kAny, kOnlyStream, kNoStream };
  enum class State : uint8_t { kAny, kEstablished, kNotEstablished, kStateless };
  Side side = Side::kAny;
  Stream stream = Stream::kAny;
  State state = State::kAny;
};

struct Content {
  std::string bytes;  // the pattern after |hex| and escapes are decoded
  bool negated = false;
  bool nocase = false;
  bool fast_pattern = false;
  bool fast_pattern_only = false;
  bool startswith = false;
  bool endswith = false;
  std::optional<int32_t> depth, offset, distance, within;
  // fast_pattern:offset,length: only this slice of "bytes" goes to the prefilter.
  std::optional<std::pair<uint16_t, uint16_t>> fast_pattern_chop;
};

struct Pcre {
  std::string pattern;         // between the delimiters, as PCRE2 compiles it
  std::string flags;           // the letters after the closing delimiter, as written
  uint32_t pcre2_options = 0;  // PCRE2_CASELESS etc. from the flags
  bool negated = false;
  bool relative = false;  // R: from the end of the previous match
};

struct ByteTest {
  uint8_t bytes = 0;  // 1..10 (up to 23 as a string number)
  std::string op;     // "<", ">", "=", "<=", ">=", "&", "^", "!=" ("!" + op negates)
  bool negated = false;
  uint64_t value = 0;
  int32_t offset = 0;
  bool relative = false;
  bool big_endian = true;  // Suricata's default
  bool string = false;
  int base = 10;  // string only: 16, 10 or 8
  std::optional<uint32_t> bitmask;
};

struct ByteJump {
  uint8_t bytes = 0;
  int32_t offset = 0;
  bool relative = false;
  bool big_endian = true;
  bool string = false;
  int base = 10;
  bool align = false;
  bool from_beginning = false;
  bool from_end = false;
  uint32_t multiplier = 1;
  int32_t post_offset = 0;
  std::optional<uint32_t> bitmask;
};

struct IsDataAt {
  int32_t offset = 0;
  bool negated = false;
  bool relative = false;
};

// One step of detection inside a buffer, in rule order (relative options refer to the step
// before them in the same buffer).
struct Match {
  enum class Kind : uint8_t {
    kContent,
    kPcre,
    kByteTest,
    kByteJump,
    kIsDataAt,
    kBsize,
    kDotPrefix
  };
  Kind kind = Kind::kContent;
  Content content;
  Pcre pcre;
  ByteTest byte_test;
  ByteJump byte_jump;
  IsDataAt isdataat;
  NumberCheck bsize;
};

// The matches on one buffer: "pkt_data" is the packet payload or the reassembled stream; the others
// are sticky buffers named as Suricata 7 names them ("http.uri", "dns.query", ...), whatever the
// rule spelled (http_uri, dns_query, ...).
struct BufferMatches {
  std::string buffer;
  std::vector<Match> matches;
};

struct Threshold {
  enum class Type : uint8_t { kLimit, kThreshold, kBoth, kDetectionFilter };
  enum class Track : uint8_t { kBySrc, kByDst, kByRule, kByBoth };
  Type type = Type::kThreshold;
  Track track = Track::kBySrc;
  uint32_t count = 0;
  uint32_t seconds = 0;
};

struct Flowbit {
  enum class Command : uint8_t { kSet, kIsSet, kIsNotSet, kUnset, kToggle, kNoAlert };
  Command command = Command::kSet;
  std::vector<std::string> names;  // isset/isnotset accept "a|b" (any of them)
};

struct Rule {
  Action action = Action::kAlert;
  Protocol protocol = Protocol::kIp;
  AddressSpec source, destination;
  PortSpec source_ports, destination_ports;
  Direction direction = Direction::kForward;
  Dialect dialect = Dialect::kSuricata;
  std::vector<Option> options;  // every option, in order (Snort 3's in Suricata's form)

  std::string msg;
  uint32_t sid = 0;
  uint32_t rev = 0;
  uint32_t gid = 1;
  std::string classtype;
  std::optional<uint8_t> priority;
  std::string target;                 // "src_ip" / "dest_ip" or empty
  std::vector<std::string> services;  // Snort 3 "service:http,ssl": the app protocols it needs
  std::vector<Reference> references;
  std::vector<MetadataEntry> metadata;
  std::optional<FlowOptions> flow;
  std::optional<NumberCheck> dsize;
  std::optional<Threshold> threshold;
  std::optional<Threshold> detection_filter;
  std::vector<Flowbit> flowbits;
  std::vector<BufferMatches> buffers;  // in the order the rule first used them

  std::string file;  // where it came from, for messages
  uint32_t line = 0;
};

}  // namespace mw::rules
