// The event-driven transport (src/http/transport) on loopback, with a tiny
// router and no service: what a connection costs, the timeouts, the limits,
// pipelining and stopping. The real binary under 10,000 connections is
// tests/connections; this is the fast, in-process part.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "http/reply.h"
#include "http/router.h"
#include "support/raw_connection.h"
#include "support/router_server.h"

namespace cp::test {
namespace {

using namespace std::chrono_literals;

// GET /ping answers on the I/O thread; POST /slow blocks a work thread until `release` opens.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  std::atomic<int> entered{0};
};

http::Router Routes(std::shared_ptr<Gate> gate) {
  http::Router r;
  r.Get("/ping", [](http::Request&, const http::PathGroups&) { return http::JsonResponse(200, {{"pong", true}}); });
  http::RouteSpec slow;
  slow.method = "POST";
  slow.pattern = "/slow";
  slow.handle = [gate](http::Request& req, const http::PathGroups&) {
    ++gate->entered;
    gate->opened.wait();
    return http::JsonResponse(200, {{"bytes", req.body.size()}});
  };
  r.Add(std::move(slow));
  return r;
}

http::Http1Options Small() {
  http::Http1Options o;
  o.work_threads = 1;
  o.max_body_bytes = 1 << 20;
  return o;
}

const std::string kPing = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(Transport, IdleConnectionsHoldNoThread) {
  auto gate = std::make_shared<Gate>();
  RouterServer server(Routes(gate), Small());  // one work thread
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_EQ(idle.back()->Exchange(kPing).status, 200);
  }
  // The one work thread is busy and 200 connections are open and idle: a new client is still answered.
  RawConnection busy(server.port());
  ASSERT_TRUE(busy.Send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  while (gate->entered.load() < 1) std::this_thread::sleep_for(1ms);
  RawConnection fresh(server.port());
  EXPECT_EQ(fresh.Exchange(kPing).status, 200);
  EXPECT_EQ(server.connections(), 202u);
  gate->open.set_value();
  auto r = busy.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"bytes":3})");
}

TEST(Transport, PipelinedRequestsAreAnsweredInOrder) {
  auto gate = std::make_shared<Gate>();
  gate->open.set_value();
  RouterServer server(Routes(gate), Small());
  RawConnection c(server.port());
  ASSERT_TRUE(c.Send(kPing + "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + kPing +
                     "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.Read().body, R"({"pong":true})");
  EXPECT_EQ(c.Read().body, R"({"bytes":5})");
  EXPECT_EQ(c.Read().body, R"({"pong":true})");
  EXPECT_EQ(c.Read().status, 404);
}

// A body is read in large pieces, not at the idle buffer's size: a 512 KiB
// upload used to take 512 reads of 1 KiB (0.4 ms more per photo at c=1).
TEST(Transport, ABodyIsReadInLargePieces) {
  auto gate = std::make_shared<Gate>();
  gate->open.set_value();
  RouterServer server(Routes(gate), Small());
  RawConnection c(server.port());
  const std::size_t size = 512 << 10;
  const std::uint64_t before = server.body_reads();
  auto r = c.Exchange("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
                      std::string(size, 'x'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"bytes":524288})");
  const std::uint64_t reads = server.body_reads() - before;
  EXPECT_LE(reads, size / (8 << 10)) << reads << " reads for a body of " << size << " bytes";
}

TEST(Transport, SlowHeaderIsCutOffAtTheHeaderTimeout) {
  auto gate = std::make_shared<Gate>();
  auto o = Small();
  o.header_timeout = 1s;
  RouterServer server(Routes(gate), o);
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.Send("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  // Nothing more is sent: the server closes the connection (no request, no answer), and meanwhile serves others.
  RawConnection other(server.port());
  EXPECT_EQ(other.Exchange(kPing).status, 200);
  EXPECT_TRUE(slow.ClosedByPeer(5s));
}

TEST(Transport, IdleKeepAliveConnectionIsClosedAtTheIdleTimeout) {
  auto gate = std::make_shared<Gate>();
  auto o = Small();
  o.idle_timeout = 1s;
  RouterServer server(Routes(gate), o);
  RawConnection c(server.port());
  ASSERT_EQ(c.Exchange(kPing).status, 200);
  EXPECT_TRUE(c.ClosedByPeer(4s));
}

TEST(Transport, BeyondMaxConnectionsA503AndClose) {
  auto gate = std::make_shared<Gate>();
  auto o = Small();
  o.max_connections = 3;
  RouterServer server(Routes(gate), o);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_EQ(held.back()->Exchange(kPing).status, 200);
  }
  RawConnection extra(server.port());
  const auto r = extra.Read();  // answered without asking
  EXPECT_EQ(r.status, 503) << r.head;
  EXPECT_NE(r.head.find("Retry-After: 1"), std::string::npos) << r.head;
  EXPECT_NE(r.body.find("MAX_CONNECTIONS=3"), std::string::npos) << r.body;
  EXPECT_TRUE(extra.ClosedByPeer(2s));
  held.pop_back();  // room again
  for (int i = 0; i < 100 && server.connections() >= 3; ++i) std::this_thread::sleep_for(10ms);
  RawConnection again(server.port());
  EXPECT_EQ(again.Exchange(kPing).status, 200);
}

TEST(Transport, ContinueIsSentOnlyForABodyItWillRead) {
  auto gate = std::make_shared<Gate>();
  gate->open.set_value();
  auto o = Small();
  o.max_body_bytes = 100;
  RouterServer server(Routes(gate), o);
  RawConnection ok(server.port());
  ASSERT_TRUE(ok.Send("POST /slow HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  EXPECT_EQ(ok.Read().status, 100);
  ASSERT_TRUE(ok.Send("abcd"));
  EXPECT_EQ(ok.Read().body, R"({"bytes":4})");
  RawConnection big(server.port());
  const auto r = big.Exchange("POST /slow HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(r.status, 413) << r.head;
  EXPECT_EQ(r.body, R"({"detail":"the request body is larger than 100 bytes"})");
}

TEST(Transport, StopClosesIdleConnectionsAndAnswersTheRequestInFlight) {
  auto gate = std::make_shared<Gate>();
  auto server = std::make_unique<RouterServer>(Routes(gate), Small());
  RawConnection idle(server->port());
  ASSERT_EQ(idle.Exchange(kPing).status, 200);
  RawConnection busy(server->port());
  ASSERT_TRUE(busy.Send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
  while (gate->entered.load() < 1) std::this_thread::sleep_for(1ms);
  server->Stop();
  EXPECT_TRUE(idle.ClosedByPeer(2s));
  gate->open.set_value();
  const auto r = busy.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos) << r.head;
  server.reset();  // Run has returned: joins
}

}  // namespace
}  // namespace cp::test
