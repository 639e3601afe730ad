// minerwatch — SPDX-License-Identifier: Apache-2.0
// Throughput of the HTTP parser on keep-alive response streams cut into 1460-byte segments (as
// TCP delivers them): plain Content-Length bodies, chunked bodies, and gzip bodies decoded up to
// the body limit. Every response is published with its Suricata buffers to one subscriber that
// reads the body size. Streams are built once; the loop measures parsing, decoding and
// publishing (plus the test feeder's copy of unconsumed bytes).
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "protocols/http/http_parser.h"
#include "protocols/parse_test_util.h"

namespace {

using mw::Direction;

constexpr int kResponses = 64;
constexpr size_t kSegment = 1460;

std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// JSON-ish text: compresses about as well as real API responses (~5x).
std::string Text(size_t n) {
  std::string s;
  for (unsigned i = 0; s.size() < n; ++i)
    s += "{\"id\":" + std::to_string(i * 7919 % 100003) + ",\"job\":\"" +
         std::to_string(i * 104729ULL % 1000003) + "\",\"ok\":true},";
  s.resize(n);
  return s;
}

std::string Head(const std::string& extra) {
  return "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 03 Dec 2026 13:00:00 GMT\r\n"
         "Content-Type: application/json\r\nConnection: keep-alive\r\n" +
         extra + "\r\n";
}

std::string Stream(int kind, size_t body_size) {
  const std::string body = Text(body_size);
  std::string one;
  if (kind == 0) {
    one = Head("Content-Length: " + std::to_string(body.size()) + "\r\n") + body;
  } else if (kind == 1) {
    one = Head("Transfer-Encoding: chunked\r\n");
    for (size_t at = 0; at < body.size(); at += 1000) {
      const std::string part = body.substr(at, 1000);
      char size[16];
      std::snprintf(size, sizeof(size), "%zx\r\n", part.size());
      one += size + part + "\r\n";
    }
    one += "0\r\n\r\n";
  } else {
    const std::string gz = Gzip(body);
    one = Head("Content-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) + "\r\n") +
          gz;
  }
  std::string s;
  for (int i = 0; i < kResponses; ++i) s += one;
  return s;
}

void Run(benchmark::State& state, int kind) {
  const size_t body_size = size_t(state.range(0));
  const std::string stream = Stream(kind, body_size);
  const std::string request = "GET /api HTTP/1.1\r\nHost: pool.example.com\r\n\r\n";
  size_t bodies = 0;
  for (auto _ : state) {
    mw::testing::FakeParseContext ctx;
    ctx.bus().On<mw::http::ResponseEvent>(
        [&bodies](const mw::http::ResponseEvent& e) { bodies += e.body.size(); });
    mw::http::HttpParser parser;
    mw::testing::StreamFeeder feeder(parser, ctx, mw::http::kMaxHeaderBlock + 1024);
    for (int i = 0; i < kResponses; ++i) feeder.Deliver(Direction::kToServer, request);
    for (size_t at = 0; at < stream.size(); at += kSegment)
      feeder.Deliver(Direction::kToClient, std::string_view(stream).substr(at, kSegment));
    benchmark::DoNotOptimize(bodies);
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * kResponses);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(stream.size()));
  state.counters["decoded_MB/s"] =
      benchmark::Counter(double(state.iterations()) * kResponses * double(body_size) / 1e6,
                         benchmark::Counter::kIsRate);
}

void BM_HttpContentLength(benchmark::State& s) { Run(s, 0); }
void BM_HttpChunked(benchmark::State& s) { Run(s, 1); }
void BM_HttpGzip(benchmark::State& s) { Run(s, 2); }

BENCHMARK(BM_HttpContentLength)->Arg(1024)->Arg(32 * 1024);
BENCHMARK(BM_HttpChunked)->Arg(1024)->Arg(32 * 1024);
BENCHMARK(BM_HttpGzip)->Arg(1024)->Arg(32 * 1024);

}  // namespace

BENCHMARK_MAIN();
