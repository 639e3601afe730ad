// minerwatch — SPDX-License-Identifier: Apache-2.0
// Keywords about the flow and about counting: flow, flowbits, threshold, detection_filter, dsize.
#include <utility>

#include "rules/rule_internal.h"

namespace mw::rules::internal {
namespace {

Error Invalid(std::string m) { return Error::InvalidArgument(std::move(m)); }

Result<FlowOptions> ParseFlow(std::string_view value) {
  FlowOptions flow;
  using F = FlowOptions;
  for (auto word : SplitTopLevel(value, ',')) {
    F::Side side = F::Side::kAny;
    if (word == "to_server" || word == "from_client") side = F::Side::kToServer;
    if (word == "to_client" || word == "from_server") side = F::Side::kToClient;
    if (side != F::Side::kAny) {
      if (flow.side != F::Side::kAny && flow.side != side)
        return Fail(Invalid("flow: both directions given"));
      flow.side = side;
    } else if (word == "established") {
      flow.state = F::State::kEstablished;
    } else if (word == "not_established") {
      flow.state = F::State::kNotEstablished;
    } else if (word == "stateless") {
      flow.state = F::State::kStateless;
    } else if (word == "only_stream") {
      flow.stream = F::Stream::kOnlyStream;
    } else if (word == "no_stream") {
      flow.stream = F::Stream::kNoStream;
    } else {
      return Fail(Error::Unsupported("flow: unsupported option '" + std::string(word) + "'"));
    }
  }
  return flow;
}

Result<Flowbit> ParseFlowbit(std::string_view value) {
  auto parts = SplitTopLevel(value, ',');
  static constexpr std::pair<std::string_view, Flowbit::Command> kCommands[] = {
      {"set", Flowbit::Command::kSet},           {"isset", Flowbit::Command::kIsSet},
      {"isnotset", Flowbit::Command::kIsNotSet}, {"unset", Flowbit::Command::kUnset},
      {"toggle", Flowbit::Command::kToggle},     {"noalert", Flowbit::Command::kNoAlert}};
  Flowbit bit;
  bool known = false;
  for (const auto& [name, command] : kCommands) {
    if (parts[0] == name) {
      bit.command = command;
      known = true;
    }
  }
  if (!known) return Fail(Invalid("flowbits: unknown command '" + std::string(parts[0]) + "'"));
  if (bit.command == Flowbit::Command::kNoAlert) {
    if (parts.size() != 1) return Fail(Invalid("flowbits:noalert takes no name"));
    return bit;
  }
  if (parts.size() != 2 || parts[1].empty()) return Fail(Invalid("flowbits needs 'command,name'"));
  // Only the tests may name several bits ("a|b"): setting "a|b" would be ambiguous.
  std::string_view names = parts[1];
  bool test = bit.command == Flowbit::Command::kIsSet || bit.command == Flowbit::Command::kIsNotSet;
  if (!test && names.find('|') != std::string_view::npos)
    return Fail(Invalid("flowbits: only isset/isnotset take several names"));
  for (size_t start = 0;;) {
    size_t bar = names.find('|', start);
    std::string_view name = Trim(names.substr(start, bar - start));
    if (name.empty()) return Fail(Invalid("flowbits: empty name"));
    bit.names.emplace_back(name);
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return bit;
}

Result<Threshold::Track> ParseTrack(std::string_view s) {
  if (s == "by_src") return Threshold::Track::kBySrc;
  if (s == "by_dst") return Threshold::Track::kByDst;
  if (s == "by_rule") return Threshold::Track::kByRule;
  if (s == "by_both") return Threshold::Track::kByBoth;
  return Fail(Invalid("track must be by_src, by_dst, by_rule or by_both"));
}

Result<Threshold::Type> ParseThresholdType(std::string_view s) {
  if (s == "limit") return Threshold::Type::kLimit;
  if (s == "threshold") return Threshold::Type::kThreshold;
  if (s == "both") return Threshold::Type::kBoth;
  return Fail(Invalid("threshold type must be limit, threshold or both"));
}

// "type T, track K, count N, seconds S" in any order; detection_filter has no type.
Result<Threshold> ParseThreshold(std::string_view keyword, std::string_view value) {
  Threshold t;
  bool is_filter = keyword == "detection_filter";
  if (is_filter) t.type = Threshold::Type::kDetectionFilter;
  bool has_type = is_filter, has_track = false, has_count = false, has_seconds = false;
  for (auto part : SplitTopLevel(value, ',')) {
    auto space = part.find_first_of(" \t");
    std::string_view name = part.substr(0, space);
    std::string_view arg = space == std::string_view::npos ? "" : Trim(part.substr(space));
    if (name == "type" && !is_filter) {
      MW_ASSIGN(type, ParseThresholdType(arg));
      t.type = type;
      has_type = true;
    } else if (name == "track") {
      MW_ASSIGN(track, ParseTrack(arg));
      t.track = track;
      has_track = true;
    } else if (name == "count") {
      MW_ASSIGN(count, ParseInt(arg, 1, UINT32_MAX));
      t.count = uint32_t(count);
      has_count = true;
    } else if (name == "seconds") {
      MW_ASSIGN(seconds, ParseInt(arg, 1, UINT32_MAX));
      t.seconds = uint32_t(seconds);
      has_seconds = true;
    } else {
      return Fail(Invalid(std::string(keyword) + ": unknown part '" + std::string(part) + "'"));
    }
  }
  if (!has_type || !has_track || !has_count || !has_seconds)
    return Fail(Invalid(std::string(keyword) + " needs " + (is_filter ? "" : "type, ") +
                        "track, count and seconds"));
  return t;
}

}  // namespace

bool IsStateKeyword(std::string_view k) {
  return k == "flow" || k == "flowbits" || k == "threshold" || k == "detection_filter" ||
         k == "dsize";
}

Status ApplyStateKeyword(const Option& o, Rule& rule) {
  const std::string& k = o.keyword;
  if (!o.has_value || o.value.empty()) return Fail(Invalid(k + " needs a value"));
  if (k == "flow") {
    if (rule.flow) return Fail(Invalid("flow given twice"));
    MW_ASSIGN(flow, ParseFlow(o.value));
    rule.flow = flow;
  } else if (k == "flowbits") {
    MW_ASSIGN(bit, ParseFlowbit(o.value));
    rule.flowbits.push_back(std::move(bit));
  } else if (k == "threshold" || k == "detection_filter") {
    auto& slot = k == "threshold" ? rule.threshold : rule.detection_filter;
    if (slot) return Fail(Invalid(k + " given twice"));
    MW_ASSIGN(t, ParseThreshold(k, o.value));
    slot = t;
  } else if (k == "dsize") {
    if (rule.dsize) return Fail(Invalid("dsize given twice"));
    auto check = ParseNumberCheck(o.value, 65535);
    if (!check) return Fail(Invalid("dsize: " + check.error().message()));
    rule.dsize = *check;
  }
  return Ok();
}

}  // namespace mw::rules::internal
