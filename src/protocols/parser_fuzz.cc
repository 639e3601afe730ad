// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one libFuzzer harness for every app-layer parser (Zeek's generic-analyzer-fuzzer).
// mw_add_parser_fuzzer(<name> SPECS <spec>...) compiles it once per protocol with
// MW_FUZZ_PARSERS="<spec>,<spec>"; each spec is looked up by name in the built-in registry and
// its parser made by spec.create(), as the flow layer does.
//
// Input: byte 0 is the chunk size (b < 0x80: 1 + b; else (b - 0x7f) * 128, up to 16 KiB);
// byte 1 the flags below; the rest is payload, delivered chunk by chunk the way the flow layer
// does (TCP: unconsumed bytes kept and re-delivered in front of the next chunk, bounded by the
// spec's max_buffer; UDP: one datagram per chunk), with a gap wherever "GAP!" + a direction byte
// appears. The harness traps when a parser consumes more than it was given, keeps more than its
// max_buffer or reports an absurd heap_bytes(); the protocol's hooks read every published view.
#include "protocols/parser_fuzz.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "mw/parse/app_parser.h"
#include "protocols/parse_test_util.h"

#ifndef MW_FUZZ_PARSERS
#error "MW_FUZZ_PARSERS: the spec names this fuzzer drives (set by mw_add_parser_fuzzer)"
#endif

namespace {

using mw::Direction;

enum Flags : uint8_t {
  kStartToClient = 1 << 0,  // the first chunk goes server → client
  kAlternate = 1 << 1,      // the direction changes after every chunk
  kTurn = 1 << 2,           // the direction changes after a chunk holding hooks.turn_after
  kGapAtEnd = 1 << 3,       // a gap in the last direction after the payload
  kEndAtEnd = 1 << 4,       // OnEnd after the payload
  kSpecShift = 5,           // bits 5-7: which of MW_FUZZ_PARSERS (modulo their number)
};

constexpr uint32_t kGapBytes = 100;
// More than any parser may hold: beyond this heap_bytes() has wrapped around.
constexpr size_t kAbsurdHeapBytes = size_t(1) << 30;

Direction Other(Direction d) {
  return d == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
}

size_t ChunkSize(uint8_t b) { return b < 0x80 ? 1 + size_t(b) : size_t(b - 0x7f) * 128; }

// Calls on_piece(stretch) for each stretch between "GAP!" + direction byte markers and
// on_gap(direction) at each marker, while both return true.
template <typename OnPiece, typename OnGap>
void SplitAtGapMarkers(std::string_view input, OnPiece on_piece, OnGap on_gap) {
  while (!input.empty()) {
    const size_t marker = input.find("GAP!");
    if (!on_piece(input.substr(0, marker))) return;
    if (marker == std::string_view::npos || marker + 5 > input.size()) return;
    if (!on_gap(Direction(input[marker + 4] & 1))) return;
    input.remove_prefix(marker + 5);
  }
}

struct Target {
  std::vector<const mw::ParserSpec*> specs;
  mw::fuzz::ParserFuzzHooks hooks;
};

const Target& GetTarget() {
  static const Target target = [] {
    static mw::ParserRegistry registry;
    mw::RegisterBuiltinProtocols(registry);
    Target t;
    std::string_view names = MW_FUZZ_PARSERS;
    while (!names.empty()) {
      const size_t comma = names.find(',');
      const std::string_view name = names.substr(0, comma);
      const mw::ParserSpec* spec = registry.Find(name);
      if (!spec || !spec->create) {
        std::fprintf(stderr, "parser_fuzz: no registered parser named \"%.*s\"\n", int(name.size()),
                     name.data());
        std::abort();
      }
      t.specs.push_back(spec);
      names.remove_prefix(comma == std::string_view::npos ? names.size() : comma + 1);
    }
    if (t.specs.empty()) std::abort();
    t.hooks = mw::fuzz::ProtocolFuzzHooks();
    return t;
  }();
  return target;
}

// A datagram, as the flow layer runs one: calls until the parser stops making progress.
bool RunDatagram(mw::AppParser& parser, Direction dir, mw::ByteView bytes, mw::ParseContext& ctx) {
  size_t done = 0;
  while (done < bytes.size()) {
    const mw::ParseResult r = parser.OnData(dir, bytes.subspan(done), ctx);
    if (r.kind == mw::ParseResult::Kind::kInvalid) return false;
    if (r.consumed > bytes.size() - done) __builtin_trap();
    done += r.consumed;
    if (r.kind != mw::ParseResult::Kind::kOk || r.consumed == 0) break;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)GetTarget();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Target& target = GetTarget();
  const size_t chunk = ChunkSize(data[0]);
  const uint8_t flags = data[1];
  const mw::ParserSpec& spec = *target.specs[(flags >> kSpecShift) % target.specs.size()];
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  Direction dir = (flags & kStartToClient) ? Direction::kToClient : Direction::kToServer;
  for (const mw::ParserSpec* s : target.specs)
    if (s->probe) (void)s->probe(dir, mw::AsBytes(input));

  std::unique_ptr<mw::AppParser> parser = spec.create();
  if (!parser) return 0;  // the flow layer detaches a parser it cannot make
  mw::testing::FakeParseContext ctx;
  if (target.hooks.subscribe) target.hooks.subscribe(ctx.bus());
  mw::testing::StreamFeeder feeder(*parser, ctx, spec.max_buffer);
  const bool udp = spec.transport == mw::Transport::kUdp;
  const std::string_view turn = target.hooks.turn_after;
  bool alive = true;
  auto check = [&] {
    if (feeder.breached() || parser->heap_bytes() > kAbsurdHeapBytes) __builtin_trap();
  };

  SplitAtGapMarkers(
      input,
      [&](std::string_view piece) {
        for (size_t pos = 0; pos < piece.size() && alive; pos += chunk) {
          const std::string_view bytes = piece.substr(pos, chunk);
          alive =
              udp ? RunDatagram(*parser, dir, mw::AsBytes(bytes), ctx) : feeder.Deliver(dir, bytes);
          check();
          if ((flags & kAlternate) ||
              ((flags & kTurn) && !turn.empty() && bytes.find(turn) != std::string_view::npos))
            dir = Other(dir);
        }
        return alive;
      },
      [&](Direction gap_dir) {
        feeder.Gap(gap_dir, kGapBytes);
        check();
        return true;
      });
  if (!alive) return 0;
  if (flags & kGapAtEnd) {
    feeder.Gap(dir, kGapBytes);
    check();
  }
  if (flags & kEndAtEnd) parser->OnEnd(ctx);
  return 0;
}
