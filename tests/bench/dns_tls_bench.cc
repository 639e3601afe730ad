// minerwatch — SPDX-License-Identifier: Apache-2.0
// Throughput of the DNS and TLS parsers on realistic messages: ClientHellos/s (SNI, ALPN, JA3
// and JA4 included), full handshakes/s, and DNS messages/s. Inputs are built once; the loop
// measures only parsing and publishing to one subscriber.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "mw/parse/app_parser.h"
#include "protocols/dns/dns_events.h"
#include "protocols/dns/dns_parser.h"
#include "protocols/tls/tls_events.h"
#include "protocols/tls/tls_parser.h"

namespace {

class BenchContext final : public mw::ParseContext {
 public:
  const mw::FlowInfo& flow() const override { return flow_; }
  mw::TimestampUs now() const override { return 0; }
  mw::EventBus& events() override { return bus_; }
  void Confirm() override {}
  void Violate(const char*) override { ++violations; }
  void Anomaly(const char*) override {}
  mw::FlowInfo flow_;
  mw::EventBus bus_;
  int violations = 0;
};

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(uint8_t(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(uint8_t(x >> 8));
  v.push_back(uint8_t(x));
}

// A Chrome-like ClientHello: GREASE, 16 ciphers, SNI, ALPN h2/http1.1, groups, sigalgs,
// supported_versions, key_share; wrapped in one handshake record.
std::vector<uint8_t> ChromeLikeClientHello() {
  std::vector<uint8_t> body;
  Put16(body, 0x0303);
  body.insert(body.end(), 32, 0x11);
  body.push_back(32);
  body.insert(body.end(), 32, 0x22);
  const uint16_t ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                              0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  Put16(body, sizeof(ciphers));
  for (uint16_t c : ciphers) Put16(body, c);
  body.push_back(1);
  body.push_back(0);
  std::vector<uint8_t> ext;
  auto add = [&ext](uint16_t type, const std::vector<uint8_t>& data) {
    Put16(ext, type);
    Put16(ext, uint16_t(data.size()));
    ext.insert(ext.end(), data.begin(), data.end());
  };
  add(0x1a1a, {});
  std::string host = "pool.supportxmr.com";
  std::vector<uint8_t> sni;
  Put16(sni, uint16_t(host.size() + 3));
  sni.push_back(0);
  Put16(sni, uint16_t(host.size()));
  sni.insert(sni.end(), host.begin(), host.end());
  add(0x0000, sni);
  add(0x0017, {});
  add(0xff01, {0});
  add(0x000a, Hex("0008"
                  "2a2a001d00170018"));
  add(0x000b, {1, 0});
  add(0x0023, {});
  add(0x0010, Hex("000c"
                  "02683208687474702f312e31"));
  add(0x0005, Hex("0100000000"));
  add(0x000d, Hex("0010"
                  "04030804040105030805050108060601"));
  add(0x0012, {});
  add(0x0033, Hex("0029"
                  "2a2a000100"
                  "001d0020"
                  "0000000000000000000000000000000000000000000000000000000000000000"));
  add(0x002d, {1, 1});
  add(0x002b, Hex("06"
                  "6a6a03040303"));
  add(0x001b, Hex("020002"));
  Put16(body, uint16_t(ext.size()));
  body.insert(body.end(), ext.begin(), ext.end());
  std::vector<uint8_t> rec = {0x16, 0x03, 0x01};
  Put16(rec, uint16_t(body.size() + 4));
  rec.push_back(1);
  rec.push_back(0);
  Put16(rec, uint16_t(body.size()));
  rec.insert(rec.end(), body.begin(), body.end());
  return rec;
}

void BM_TlsClientHello(benchmark::State& state) {
  const auto hello = ChromeLikeClientHello();
  BenchContext ctx;
  size_t sni_bytes = 0;
  ctx.bus_.On<mw::tls::ClientHelloEvent>(
      [&](const mw::tls::ClientHelloEvent& e) { sni_bytes += e.sni.size(); });
  ctx.bus_.On<mw::tls::ClientFingerprintEvent>(
      [&](const mw::tls::ClientFingerprintEvent& e) { sni_bytes += e.ja4.size(); });
  for (auto _ : state) {
    mw::tls::TlsParser parser;  // a new flow each time, as in real traffic
    benchmark::DoNotOptimize(parser.OnData(mw::Direction::kToServer, hello, ctx));
  }
  benchmark::DoNotOptimize(sni_bytes);
  if (ctx.violations) state.SkipWithError("parser rejected the ClientHello");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(int64_t(state.iterations() * hello.size()));
}
BENCHMARK(BM_TlsClientHello);

// DNS response with a CNAME and two A records, over UDP.
void BM_DnsResponse(benchmark::State& state) {
  const auto msg =
      Hex("123481800001000300000000"
          "03777777076578616d706c6503636f6d0000010001"
          "c00c0005000100000e10000603636e64c010"
          "c02d000100010000003c00045db8d822"
          "c02d000100010000003c00045db8d823");
  BenchContext ctx;
  size_t answers = 0;
  ctx.bus_.On<mw::dns::MessageEvent>(
      [&](const mw::dns::MessageEvent& e) { answers += e.answers.size(); });
  mw::dns::DnsParser parser(mw::dns::Framing::kDatagram);
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.OnData(mw::Direction::kToClient, msg, ctx));
  }
  if (answers != 3 * size_t(state.iterations())) state.SkipWithError("unexpected answers");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(int64_t(state.iterations() * msg.size()));
}
BENCHMARK(BM_DnsResponse);

// Skipping application data once the handshake is over: the per-segment cost of a TLS flow.
void BM_TlsEncryptedSkip(benchmark::State& state) {
  std::vector<uint8_t> seg = {0x17, 0x03, 0x03, 0x05, 0xa0};
  seg.resize(5 + 1440, 0xab);
  BenchContext ctx;
  mw::tls::TlsParser parser;
  const auto hello = ChromeLikeClientHello();
  parser.OnData(mw::Direction::kToServer, hello, ctx);
  parser.OnData(mw::Direction::kToServer, seg, ctx);
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.OnData(mw::Direction::kToServer, seg, ctx));
  }
  state.SetBytesProcessed(int64_t(state.iterations() * seg.size()));
}
BENCHMARK(BM_TlsEncryptedSkip);

}  // namespace

BENCHMARK_MAIN();
