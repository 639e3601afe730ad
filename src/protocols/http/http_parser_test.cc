// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/http/http_parser.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/http/http_plugin.h"
#include "protocols/parse_test_util.h"

namespace mw::http {
namespace {

using mw::testing::Chunkings;
using mw::testing::FakeParseContext;
using mw::testing::Segment;
using mw::testing::StreamFeeder;
constexpr Direction kUp = Direction::kToServer;
constexpr Direction kDown = Direction::kToClient;

// Owned copy of a request or response event.
struct Msg {
  bool response = false;
  std::string method, uri, version, reason, host, ua, ctype, x_stratum, x_ext, body;
  int status = 0;
  int64_t content_length = -1;
  bool chunked = false, truncated = false;

  std::string ToString() const {
    std::ostringstream o;
    o << (response ? "< " : "> ") << method << " " << uri << " " << version << " " << status << " "
      << reason << " host=" << host << " ua=" << ua << " ct=" << ctype << " cl=" << content_length
      << " chunked=" << chunked << " xs=" << x_stratum << " xme=" << x_ext << " trunc=" << truncated
      << " body[" << body.size() << "]=" << body;
    return o.str();
  }
};

void CopyHeaders(const Headers& h, Msg* m) {
  m->host = h.host;
  m->ua = h.user_agent;
  m->ctype = h.content_type;
  m->content_length = h.content_length;
  m->chunked = h.chunked;
  m->x_stratum = h.x_stratum;
  m->x_ext = h.x_mining_extensions;
}

struct Outcome {
  std::vector<Msg> msgs;
  int confirms = 0;
  std::vector<std::string> violations, anomalies;
  std::string ToString() const {
    std::string s;
    for (const auto& m : msgs) s += m.ToString() + "\n";
    s += "confirms=" + std::to_string(confirms);
    for (const auto& v : violations) s += " violate:" + v;
    for (const auto& a : anomalies) s += " anomaly:" + a;
    return s;
  }
};

Outcome Feed(const std::vector<Segment>& segments, bool end = true) {
  Outcome out;
  FakeParseContext ctx;
  ctx.bus().On<RequestEvent>([&out](const RequestEvent& e) {
    Msg m;
    m.method = e.method;
    m.uri = e.uri;
    m.version = e.version;
    CopyHeaders(e.headers, &m);
    m.body.assign(AsChars(e.body));
    m.truncated = e.body_truncated;
    out.msgs.push_back(std::move(m));
  });
  ctx.bus().On<ResponseEvent>([&out](const ResponseEvent& e) {
    Msg m;
    m.response = true;
    m.status = e.status;
    m.reason = e.reason;
    CopyHeaders(e.headers, &m);
    m.body.assign(AsChars(e.body));
    m.truncated = e.body_truncated;
    out.msgs.push_back(std::move(m));
  });
  HttpParser parser;
  StreamFeeder feeder(parser, ctx, kMaxHeaderBlock + 1024);
  for (const auto& s : segments) feeder.Deliver(s.dir, s.bytes);
  if (end && !feeder.dead()) parser.OnEnd(ctx);
  out.confirms = ctx.confirms;
  out.violations = ctx.violations;
  out.anomalies = ctx.anomalies;
  return out;
}

Outcome FeedAllChunkings(const std::vector<Segment>& segments) {
  Outcome whole = Feed(segments);
  std::string want = whole.ToString();
  for (const auto& chunked : Chunkings(segments)) {
    std::string got = Feed(chunked).ToString();
    EXPECT_EQ(got, want) << "chunking with " << chunked.size() << " deliveries";
    if (got != want) break;
  }
  return whole;
}

TEST(HttpParser, GetworkPostAndChunkedResponse) {
  const std::string body = R"({"method": "getwork", "params": [], "id":0})";
  const std::string result =
      R"({"result":{"midstate":"5fa8","data":"00000001","hash1":"0000","target":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000"},"error":null,"id":0})";
  auto out = FeedAllChunkings({
      {kUp,
       "POST / HTTP/1.1\r\n"
       "Authorization: Basic dXNlcjpwYXNz\r\n"
       "Host: Pool.Example.COM:8332\r\n"
       "Accept: */*\r\n"
       "Content-Type: application/json\r\n"
       "Content-Length: " +
           std::to_string(body.size()) +
           "\r\n"
           "User-Agent: cgminer 2.7.5\r\n"
           "X-Mining-Extensions: longpoll midstate rollntime submitold\r\n"
           "X-Mining-Hashrate: 1000000\r\n"
           "\r\n" +
           body},
      {kDown,
       "HTTP/1.1 200 OK\r\n"
       "Content-Type: application/json\r\n"
       "X-Long-Polling: /LP\r\n"
       "X-Stratum: stratum+tcp://pool.example.com:3333\r\n"
       "Transfer-Encoding: chunked\r\n"
       "\r\n"
       "10;ext=1\r\n" +
           result.substr(0, 16) + "\r\n" +
           [&] {
             std::ostringstream o;
             o << std::hex << result.size() - 16;
             return o.str();
           }() +
           "\r\n" + result.substr(16) + "\r\n0\r\nX-Trailer: t\r\n\r\n"},
  });
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  EXPECT_EQ(out.confirms, 1);
  const Msg& rq = out.msgs[0];
  EXPECT_EQ(rq.method, "POST");
  EXPECT_EQ(rq.uri, "/");
  EXPECT_EQ(rq.version, "HTTP/1.1");
  EXPECT_EQ(rq.host, "pool.example.com");
  EXPECT_EQ(rq.ua, "cgminer 2.7.5");
  EXPECT_EQ(rq.ctype, "application/json");
  EXPECT_EQ(rq.content_length, int64_t(body.size()));
  EXPECT_EQ(rq.x_ext, "longpoll midstate rollntime submitold");
  EXPECT_EQ(rq.body, body);
  const Msg& rs = out.msgs[1];
  EXPECT_EQ(rs.status, 200);
  EXPECT_EQ(rs.reason, "OK");
  EXPECT_TRUE(rs.chunked);
  EXPECT_EQ(rs.x_stratum, "stratum+tcp://pool.example.com:3333");
  EXPECT_EQ(rs.body, result);  // de-chunked
  EXPECT_FALSE(rs.truncated);
}

TEST(HttpParser, KeepAlivePipelining) {
  auto out = FeedAllChunkings({
      {kUp,
       "GET /a HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n"
       "HEAD /b HTTP/1.1\r\nHost: example.org\r\n\r\n"
       "POST /c HTTP/1.1\r\nHost: example.org\r\nExpect: 100-continue\r\nContent-Length: "
       "3\r\n\r\nabc"},
      {kDown,
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
       "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"  // HEAD: no body follows
       "HTTP/1.1 100 Continue\r\n\r\n"
       "HTTP/1.1 204 No Content\r\n\r\n"},
  });
  ASSERT_EQ(out.msgs.size(), 7u) << out.ToString();
  EXPECT_EQ(out.msgs[0].host, "[2001:db8::1]");
  EXPECT_EQ(out.msgs[1].method, "HEAD");
  EXPECT_EQ(out.msgs[2].body, "abc");
  EXPECT_EQ(out.msgs[3].body, "hi");
  EXPECT_EQ(out.msgs[4].content_length, 1000);
  EXPECT_EQ(out.msgs[4].body, "");
  EXPECT_EQ(out.msgs[5].status, 100);
  EXPECT_EQ(out.msgs[6].status, 204);
  EXPECT_TRUE(out.violations.empty());
}

TEST(HttpParser, BodyKeptUpToLimitAndReadUntilClose) {
  std::string big(kDefaultBodyLimit + 5000, 'x');
  big[0] = '{';
  auto out = FeedAllChunkings({
      {kUp, "PUT /up HTTP/1.0\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big},
      {kDown, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"},
  });
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  EXPECT_EQ(out.msgs[0].body, big.substr(0, kDefaultBodyLimit));
  EXPECT_TRUE(out.msgs[0].truncated);
  EXPECT_EQ(out.msgs[1].body, "until the end");  // published at OnEnd
  EXPECT_FALSE(out.msgs[1].truncated);
  // Without the end of the flow, the open-ended response is not published.
  EXPECT_EQ(Feed({{kDown, "HTTP/1.0 200 OK\r\n\r\npartial"}}, /*end=*/false).msgs.size(), 0u);
}

TEST(HttpParser, UpgradeStopsParsing) {
  auto out = Feed({
      {kUp, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
      {kDown, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"},
      {kUp, std::string("\x81\x85\x00\x00\x00\x00hello", 11)},
  });
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  EXPECT_TRUE(out.violations.empty());
  EXPECT_TRUE(out.anomalies.empty());
}

TEST(HttpParser, MalformedInputViolates) {
  struct Case {
    const char* name;
    Segment seg;
    const char* anomaly;  // expected anomaly, or nullptr
  } cases[] = {
      {"oversized header block",
       {kUp, "GET / HTTP/1.1\r\nX-Pad: " + std::string(kMaxHeaderBlock, 'a') + "\r\n\r\n"},
       "http.oversized_headers"},
      {"oversized unterminated header block",
       {kUp, "GET / HTTP/1.1\r\nX-Pad: " + std::string(kMaxHeaderBlock + 10, 'a')},
       "http.oversized_headers"},
      {"bad request line", {kUp, "GET/HTTP/1.1\r\n\r\n"}, nullptr},
      {"lower-case method", {kUp, "get / HTTP/1.1\r\n\r\n"}, nullptr},
      {"not http version", {kUp, "GET / RTSP/1.0\r\n\r\n"}, nullptr},
      {"conflicting lengths",
       {kUp, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
       "http.bad_content_length"},
      {"negative length",
       {kUp, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
       "http.bad_content_length"},
  };
  for (const auto& c : cases) {
    auto out = FeedAllChunkings({c.seg});
    EXPECT_EQ(out.violations.size(), 1u) << c.name << "\n" << out.ToString();
    if (c.anomaly != nullptr) {
      EXPECT_EQ(out.anomalies, std::vector<std::string>{c.anomaly}) << c.name;
    }
  }
}

TEST(HttpParser, GapInsideBodyKeepsFraming) {
  FakeParseContext ctx;
  std::vector<std::string> bodies;
  ctx.bus().On<RequestEvent>([&](const RequestEvent& e) {
    bodies.emplace_back(AsChars(e.body));
    EXPECT_EQ(e.body_truncated, bodies.size() == 1);
  });
  HttpParser parser;
  StreamFeeder feeder(parser, ctx, kMaxHeaderBlock);
  feeder.Deliver(kUp, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  parser.OnGap(kUp, 4, ctx);
  feeder.Deliver(kUp, "hij" + std::string("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], "abchij");
  // A gap in a header block loses the message boundaries: the direction is ignored.
  parser.OnGap(kUp, 5, ctx);
  EXPECT_EQ(ctx.anomalies, std::vector<std::string>{"http.gap"});
}

TEST(HttpProbe, RequestAndStatusLines) {
  auto probe = [](std::string_view s) { return ProbeHttp(kUp, AsBytes(s)); };
  EXPECT_EQ(probe("GET / HTTP/1.1\r\n"), ProbeResult::kYes);
  EXPECT_EQ(probe("POST /api/v1?x=1 HTTP/1.0"), ProbeResult::kYes);
  EXPECT_EQ(probe("M-SEARCH * HTTP/1.1\r\n"), ProbeResult::kYes);
  EXPECT_EQ(probe("HTTP/1.1 200 OK\r\n"), ProbeResult::kYes);
  EXPECT_EQ(probe(""), ProbeResult::kMaybe);
  EXPECT_EQ(probe("GE"), ProbeResult::kMaybe);
  EXPECT_EQ(probe("GET /index"), ProbeResult::kMaybe);
  EXPECT_EQ(probe("GET / HTT"), ProbeResult::kMaybe);
  EXPECT_EQ(probe("HTTP/1"), ProbeResult::kMaybe);
  EXPECT_EQ(probe("HTTP/1.1 2"), ProbeResult::kMaybe);
  EXPECT_EQ(probe("HTTP/2 200"), ProbeResult::kNo);
  EXPECT_EQ(probe("GET / RTSP/1.0"), ProbeResult::kNo);
  EXPECT_EQ(probe("{\"id\":1,\"method\":\"mining.subscribe\"}"), ProbeResult::kNo);
  EXPECT_EQ(probe("\x16\x03\x01\x02\x00"), ProbeResult::kNo);
  EXPECT_EQ(probe("GET  / HTTP/1.1"), ProbeResult::kNo);
  EXPECT_EQ(probe("GET /" + std::string(10000, 'a')), ProbeResult::kNo);
}

TEST(HttpPlugin, Registers) {
  ParserRegistry registry;
  RegisterHttp(registry);
  const ParserSpec* spec = registry.Find("http");
  ASSERT_NE(spec, nullptr);
  EXPECT_NE(spec->create(), nullptr);
  EXPECT_GE(spec->max_buffer, kMaxHeaderBlock);
}

// Compresses "data" with zlib: window bits 31 = gzip, 15 = zlib, -15 = raw deflate.
std::string Compress(std::string_view data, int bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, bits, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, uLong(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Response(std::string_view headers, std::string_view body) {
  return "HTTP/1.1 200 OK\r\n" + std::string(headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(HttpParser, RequestFramingStillViolates) {
  for (const std::string req :
       {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"}) {
    auto out = FeedAllChunkings({{kUp, req}});
    EXPECT_EQ(out.violations.size(), 1u) << req << "\n" << out.ToString();
  }
}

// Responses are read the way libhtp and browsers read them: oddities are anomalies and the
// body is what a browser would show.
TEST(HttpParser, ResponsesAreReadAsBrowsersDo) {
  struct Case {
    const char* name;
    std::string response;
    std::string body;
    const char* anomaly;
  } cases[] = {
      {"bad status", "HTTP/1.1 2xx OK\r\n\r\nbody", "body", "http.bad_status_line"},
      {"bad chunk size: the rest is body",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "zz\r\n", "http.bad_chunk"},
      {"chunk data overrun: skipped to the line end",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "ab",
       "http.bad_chunk"},
      {"chunked wins over Content-Length",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: x-chunked\r\n\r\n"
       "4\r\nwxyz\r\n0\r\n\r\n",
       "wxyz", "http.chunked_with_length"},
      {"LF-only and lone-CR line ends",
       "HTTP/1.1 200 OK\rTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", "abc", nullptr},
      {"no status line: HTTP/0.9", "just bytes\r\nand more", "just bytes\r\nand more",
       "http.no_status_line"},
      {"folded Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 9\r\n\r\nab", "ab",
       "http.folded_header"},
  };
  for (const Case& c : cases) {
    auto out = FeedAllChunkings({{kDown, c.response}});
    ASSERT_EQ(out.msgs.size(), 1u) << c.name << "\n" << out.ToString();
    EXPECT_EQ(out.msgs[0].body, c.body) << c.name;
    EXPECT_TRUE(out.violations.empty()) << c.name;
    if (c.anomaly != nullptr) {
      EXPECT_NE(std::find(out.anomalies.begin(), out.anomalies.end(), c.anomaly),
                out.anomalies.end())
          << c.name << "\n"
          << out.ToString();
    }
  }
  // Bytes after a body that start no response are more of it (delivered together).
  auto out = Feed({{kDown, Response("", "abc") + "de\r\nHTTP/1.1 204 No\r\n\r\n"}});
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  EXPECT_EQ(out.msgs[0].body, "abcde\r\n");
  EXPECT_EQ(out.msgs[1].status, 204);
}

TEST(HttpParser, ContentEncodingLayersAreDecoded) {
  const std::string text = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!";
  struct Case {
    const char* ce;
    std::string wire;
    // Retried codings restart on the delivery that failed (libhtp): whole deliveries only.
    bool retried = false;
  } cases[] = {
      {"gzip", Compress(text, 31)},
      {"x-gzip", Compress(text, 31)},
      {"deflate", Compress(text, -15)},
      {"deflate", Compress(text, 15), true},  // zlib-wrapped: libhtp retries as gzip/zlib
      {"gzip", Compress(text, -15), true},    // raw deflate under the gzip name
      {"gzip, deflate", Compress(Compress(text, -15), 31)},
      {"deflate\r\nContent-Encoding: gzip", Compress(Compress(text, 31), -15)},
      {"identity", text},
      {"gzip", text, true},  // not compressed at all: passed through
  };
  for (const Case& c : cases) {
    const Segment seg{kDown, Response("Content-Encoding: " + std::string(c.ce) + "\r\n", c.wire)};
    auto out = c.retried ? Feed({seg}) : FeedAllChunkings({seg});
    ASSERT_EQ(out.msgs.size(), 1u) << c.ce;
    EXPECT_EQ(out.msgs[0].body, text) << c.ce;
  }
  // Three layers with the default limit (2): the third is left encoded.
  const std::string three = Compress(Compress(Compress(text, 31), 31), 31);
  auto out = Feed({{kDown, Response("Content-Encoding: gzip, gzip, gzip\r\n", three)}});
  ASSERT_EQ(out.msgs.size(), 1u);
  EXPECT_EQ(out.msgs[0].body, Compress(text, 31));
  EXPECT_NE(std::find(out.anomalies.begin(), out.anomalies.end(), "http.too_many_encodings"),
            out.anomalies.end());
}

TEST(HttpParser, DecompressionBombStopsAtTheBodyLimit) {
  const std::string zeros(20 * 1024 * 1024, '\0');
  const std::string bomb = Compress(Compress(zeros, 31), 31);  // ~20 MiB from a few KiB
  FakeParseContext ctx;
  size_t body = 0;
  bool truncated = false;
  ctx.bus().On<ResponseEvent>([&](const ResponseEvent& e) {
    body = e.body.size();
    truncated = e.body_truncated;
  });
  HttpParser parser;
  StreamFeeder feeder(parser, ctx, kMaxHeaderBlock + 1024);
  feeder.Deliver(kDown, Response("Content-Encoding: gzip, gzip\r\n", bomb));
  EXPECT_EQ(body, kDefaultBodyLimit);
  EXPECT_TRUE(truncated);
  // zlib's state and the layer buffers stay per layer, not per decoded byte.
  EXPECT_LT(parser.heap_bytes(), 2 * kDefaultBodyLimit + 200 * 1024);
}

TEST(HttpParser, SuricataBuffers) {
  FakeParseContext ctx;
  Buffers req, resp;
  std::string req_copy[8], resp_copy[6];
  ctx.bus().On<RequestEvent>([&](const RequestEvent& e) {
    const Buffers& b = e.buffers;
    for (auto [i, v] : {std::pair{0, b.uri},
                        {1, b.header},
                        {2, b.header_names},
                        {3, b.cookie},
                        {4, b.host},
                        {5, b.host_raw},
                        {6, b.start_line},
                        {7, b.start}})
      req_copy[i] = v;
  });
  (void)req;
  (void)resp;
  (void)resp_copy;
  HttpParser parser;
  StreamFeeder feeder(parser, ctx, kMaxHeaderBlock + 1024);
  feeder.Deliver(kUp,
                 "GET /a/./b/../c%41?q=%41 HTTP/1.1\r\nHost: Pool.Example.COM.:8080\r\n"
                 "Cookie: a=1\r\nAccept: x\r\nAccept: y\r\n\r\n");
  EXPECT_EQ(req_copy[0], "/a/cA?q=%41");
  EXPECT_EQ(req_copy[1], "Host: Pool.Example.COM.:8080\r\nAccept: x, y\r\n");
  EXPECT_EQ(req_copy[2], "\r\nHost\r\nCookie\r\nAccept\r\n\r\n");
  EXPECT_EQ(req_copy[3], "a=1");
  EXPECT_EQ(req_copy[4], "pool.example.com");  // lower-case, no port, no trailing dot
  EXPECT_EQ(req_copy[5], "Pool.Example.COM.:8080");
  EXPECT_EQ(req_copy[6], "GET /a/./b/../c%41?q=%41 HTTP/1.1");
  EXPECT_EQ(req_copy[7],
            "GET /a/./b/../c%41?q=%41 HTTP/1.1\r\nHost: Pool.Example.COM.:8080\r\nCookie: "
            "a=1\r\nAccept: x, y\r\n\r\n");
  // An absolute URI's host wins over the Host header (libhtp); http.uri keeps path and query.
  feeder.Deliver(kUp, "GET http://u@Other.Example:81/x/../y HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(req_copy[4], "other.example");
  EXPECT_EQ(req_copy[0], "/y");
}

TEST(HttpParser, ResponseBuffers) {
  FakeParseContext ctx;
  std::string got[7];
  ctx.bus().On<ResponseEvent>([&](const ResponseEvent& e) {
    const Buffers& b = e.buffers;
    for (auto [i, v] : {std::pair{0, b.stat_code},
                        {1, b.stat_msg},
                        {2, b.start_line},
                        {3, b.header},
                        {4, b.cookie},
                        {5, b.content_len},
                        {6, b.protocol}})
      got[i] = v;
  });
  HttpParser parser;
  StreamFeeder feeder(parser, ctx, kMaxHeaderBlock + 1024);
  feeder.Deliver(kDown,
                 "HTTP/1.1 404 Not Found\r\nSet-Cookie: s=1\r\nContent-Length: 2\r\n"
                 "Content-Length: 2\r\n\r\nhi");
  EXPECT_EQ(got[0], "404");
  EXPECT_EQ(got[1], "Not Found");
  EXPECT_EQ(got[2], "HTTP/1.1 404 Not Found");
  EXPECT_EQ(got[3], "Content-Length: 2\r\n");  // Set-Cookie is http.cookie's; one length
  EXPECT_EQ(got[4], "s=1");
  EXPECT_EQ(got[5], "2");
  EXPECT_EQ(got[6], "HTTP/1.1");
}

}  // namespace
}  // namespace mw::http
