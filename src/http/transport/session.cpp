// One connection of Http1Server: the state machine described in
// http1_server.h. Every member function runs on the session's strand, except
// SendFromWorkThread (see there).
#include <sys/socket.h>

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <exception>
#include <optional>
#include <sstream>

#include "http/transport/server_impl.h"

namespace cp::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Http1Server::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), strand_(stream_.get_executor()) {
    ++server_.open;
  }
  ~Session() {
    server_.Unregister(this);
    --server_.open;
  }

  void Start() {
    server_.Register(shared_from_this());
    WaitForRequest();
  }

  void CloseIfIdle() {
    if (state_ == State::kIdle || state_ == State::kHeader) Close();
  }
  // The connection's strand: the socket was accepted on it.
  const net::any_io_executor& executor() const { return strand_; }

 private:
  enum class State { kIdle, kHeader, kRoom, kBody, kHandling, kWriting, kClosed };

  // ---- idle: wait for a request's first byte ------------------------------
  void WaitForRequest() {
    if (server_.stopping) return Close();
    head_ = RequestHead{};
    if (buffer_.size() > 0) return ReadHeader();  // pipelined: already here
    state_ = State::kIdle;
    buffer_.shrink_to_fit();  // an idle connection holds no big buffer
    stream_.expires_after(server_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstRead), [self = shared_from_this()](error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec || n == 0) return self->Close();  // client closed, idle timeout, or stopping
      self->ReadHeader();
    });
  }

  // ---- header --------------------------------------------------------------
  void ReadHeader() {
    state_ = State::kHeader;
    head_.start = Clock::now();
    parser_.emplace();
    parser_->header_limit(server_.options.max_header_bytes);
    parser_->body_limit(boost::none);  // checked in OnHeader, where the path (and so the error's shape) is known
    stream_.expires_after(server_.options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted) return Close();
    // The header did not arrive within header_timeout: the stream has closed
    // the socket already (no 408 can be sent), and a slow client is cut off.
    if (ec == beast::error::timeout) return Close();
    if (ec == bhttp::error::header_limit) {
      return Fail(431,
                  "the request header is larger than " + std::to_string(server_.options.max_header_bytes) + " bytes");
    }
    if (ec) return Fail(400, "malformed HTTP request: " + ec.message());

    const auto& msg = parser_->get();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    head_.method = std::string(msg.method_string());
    head_.target = std::string(msg.target());
    auto url = boost::urls::parse_origin_form(msg.target());
    if (!url) return Fail(400, "malformed request target: " + head_.target);
    head_.path = url->path();
    for (const auto& p : url->params()) head_.query.emplace_back(p.key, p.has_value ? p.value : std::string());
    for (const auto& f : msg) head_.headers.Add(std::string(f.name_string()), std::string(f.value()));
    if (auto n = parser_->content_length()) head_.content_length = *n;
    head_.chunked = parser_->chunked();
    expects_continue_ = beast::iequals(msg[bhttp::field::expect], "100-continue");

    const std::uint64_t max_body = server_.options.max_body_bytes;
    if (head_.content_length && *head_.content_length > max_body) {
      // Refused before a byte of it is stored: with 100-continue the client
      // never sends it (the connection closes); otherwise it is read and
      // dropped, so the client reads the 413 on a connection that stays
      // usable, unless it is beyond what is worth reading (then close,
      // lingering, so the client still reads the 413 rather than a reset).
      Response too_large = server_.app.TransportError(head_.path, 413, BodyTooLargeMessage());
      if (*head_.content_length > std::max(max_body, kMaxDiscard)) {
        keep_alive_ = false;
        too_large.close = true;
        return Write(std::move(too_large));
      }
      return Refuse(std::move(too_large));
    }
    Plan plan;
    try {
      plan = server_.app.Route(head_);
    } catch (const std::exception& e) {
      plan.answer = server_.app.TransportError(head_.path, 500, std::string("internal error: ") + e.what());
    }
    if (plan.answer) return Refuse(std::move(*plan.answer));
    plan_ = std::move(plan);
    ReserveRoom();
  }

  // ---- a refusal from the header alone ----------------------------------------
  void Refuse(Response answer) {
    if (head_.BodyBytes(server_.options.max_body_bytes) == 0) return Write(std::move(answer));
    if (expects_continue_) {
      answer.close = true;  // the client holds its body back: never read it
      return Write(std::move(answer));
    }
    // Read the body through, keeping none of it, so the connection stays in sync.
    state_ = State::kBody;
    pending_ = std::move(answer);
    discard_.emplace(std::move(*parser_));
    if (head_.content_length) {
      discard_->body_limit(boost::none);  // a declared length was checked against kMaxDiscard
    } else {
      discard_->body_limit(server_.options.max_body_bytes);
    }
    DiscardSome();
  }

  void DiscardSome() {
    if (discard_->is_done()) {
      discard_.reset();
      return Write(std::move(*pending_));
    }
    discard_->get().body().data = Scratch();
    discard_->get().body().size = kScratch;
    stream_.expires_after(server_.options.read_timeout);
    bhttp::async_read_some(stream_, buffer_, *discard_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == bhttp::error::body_limit) return self->Fail(413, self->BodyTooLargeMessage());
      if (ec) return self->Close();
      self->DiscardSome();
    });
  }

  // ---- room for the body ------------------------------------------------------
  void ReserveRoom() {
    const std::uint64_t bytes = head_.BodyBytes(server_.options.max_body_bytes);
    Budget* budget = server_.options.body_budget.get();
    if (bytes == 0 || budget == nullptr) return StartBody();
    state_ = State::kRoom;
    waiting_room_ = true;
    // No socket operation is pending while the request waits in the budget's
    // line: this keeps the I/O loop (Run) from returning meanwhile.
    room_guard_.emplace(strand_);
    auto self = shared_from_this();
    ticket_ = budget->ReserveAsync(bytes, [self](Budget::Lease lease) {
      auto held = std::make_shared<Budget::Lease>(std::move(lease));
      net::post(self->strand_, [self, held] { self->OnRoom(std::move(*held)); });
    });
    if (waiting_room_ && plan_.deadline) {
      room_timer_.emplace(strand_);
      room_timer_->expires_at(*plan_.deadline);
      room_timer_->async_wait([self](error_code ec) {
        if (ec || !self->waiting_room_) return;
        if (!self->server_.options.body_budget->CancelWait(self->ticket_)) return;  // granted: OnRoom is on its way
        self->waiting_room_ = false;
        self->room_guard_.reset();
        self->Refuse(self->server_.app.TransportError(self->head_.path, 504,
                                                      self->server_.options.body_budget->DeadlineError().message()));
      });
    }
  }

  void OnRoom(Budget::Lease lease) {
    waiting_room_ = false;
    room_guard_.reset();
    if (room_timer_) room_timer_->cancel();
    lease_ = std::move(lease);
    StartBody();
  }

  // ---- body -------------------------------------------------------------------
  void StartBody() {
    state_ = State::kBody;
    body_.emplace(std::move(*parser_));
    body_->body_limit(server_.options.max_body_bytes);
    // Read the body in large pieces. The parser empties the buffer into the
    // body after every read, so it would stay at its idle size (kFirstRead)
    // and an upload of 140 KB would take 140 reads. At most kBodyRead, and
    // never more than the body, whose bytes the budget has already leased.
    const std::uint64_t body_bytes = head_.BodyBytes(server_.options.max_body_bytes);
    buffer_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(body_bytes, kBodyRead)));
    if (expects_continue_ && !body_->is_done()) {
      continue_.emplace(bhttp::status::continue_, version_);
      stream_.expires_after(server_.options.read_timeout);
      return bhttp::async_write(stream_, *continue_, [self = shared_from_this()](error_code ec, std::size_t) {
        self->continue_.reset();
        if (ec) return self->Close();
        self->ReadSomeBody();
      });
    }
    ReadSomeBody();
  }

  void ReadSomeBody() {
    if (body_->is_done()) return Handle();
    stream_.expires_after(server_.options.read_timeout);
    bhttp::async_read_some(stream_, buffer_, *body_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->server_.body_reads.fetch_add(1, std::memory_order_relaxed);
      if (ec == bhttp::error::body_limit) return self->Fail(413, self->BodyTooLargeMessage());
      if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted) {
        return self->Close();  // the client stalled or went away: nobody to answer
      }
      if (ec) return self->Fail(400, "malformed request body: " + ec.message());
      self->ReadSomeBody();
    });
  }

  // ---- handle -----------------------------------------------------------------
  void Handle() {
    state_ = State::kHandling;
    auto req = std::make_shared<Request>();
    static_cast<RequestHead&>(*req) = head_;
    if (body_) {
      req->body = std::move(body_->get().body());
      body_.reset();
    }
    parser_.reset();
    buffer_.shrink_to_fit();  // the body's read room (kBodyRead) is not held while the request is handled
    auto lease = std::make_shared<Budget::Lease>(std::move(lease_));
    auto handle = std::move(plan_.handle);
    const bool on_io_thread = plan_.on_io_thread;
    plan_ = Plan{};
    auto run = [this, req, lease, handle = std::move(handle)]() mutable {
      Response r = RunHandler(handle, *req);
      *lease = Budget::Lease();  // the body's room goes back once the reply is built
      return r;
    };
    if (on_io_thread) return Write(run());
    auto self = shared_from_this();
    server_.pool.Post([self, run = std::move(run), guard = net::make_work_guard(strand_)]() mutable {
      self->SendFromWorkThread(run());
    });
  }

  // On the work thread that built the reply: send it at once, without waiting
  // for an I/O thread to be scheduled (on a busy machine that wait is the
  // largest part of the serving overhead). Safe without the strand: while a
  // request is being handled no operation is pending on the socket, and only
  // the non-blocking send(2) touches it here; the rest of a reply that does
  // not fit in the socket's buffer, and everything after, goes back to the
  // strand.
  void SendFromWorkThread(Response r) {
    const int status = r.status;
    const bool keep = keep_alive_ && !r.close && !server_.stopping;
    auto wire = std::make_shared<std::string>(Serialize(ToWire(std::move(r), version_ ? version_ : 11, keep)));
    const ssize_t n = ::send(stream_.socket().native_handle(), wire->data(), wire->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    const bool failed = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
    const std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    net::post(strand_, [self = shared_from_this(), wire, sent, failed, status, keep] {
      self->state_ = State::kWriting;
      self->status_ = status;
      if (failed) return self->Written(boost::asio::error::broken_pipe, keep);
      if (sent == wire->size()) return self->Written({}, keep);
      self->stream_.expires_after(self->server_.options.read_timeout);
      net::async_write(self->stream_, net::buffer(wire->data() + sent, wire->size() - sent),
                       [self, wire, keep](error_code ec, std::size_t) { self->Written(ec, keep); });
    });
  }

  static std::string Serialize(const bhttp::response<bhttp::string_body>& res) {
    std::ostringstream out;
    out << res;
    return std::move(out).str();
  }

  Response RunHandler(const std::function<Response(Request&)>& handle, Request& req) {
    try {
      if (handle) return handle(req);
      return server_.app.TransportError(req.path, 500, "internal error: no handler");
    } catch (const std::exception& e) {
      return server_.app.TransportError(req.path, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      return server_.app.TransportError(req.path, 500, "internal error");
    }
  }

  // ---- write ------------------------------------------------------------------
  void Write(Response r) {
    state_ = State::kWriting;
    status_ = r.status;
    const bool keep = keep_alive_ && !r.close && !server_.stopping;
    res_.emplace(ToWire(std::move(r), version_ ? version_ : 11, keep));
    stream_.expires_after(server_.options.read_timeout);
    bhttp::async_write(stream_, *res_, [self = shared_from_this()](error_code ec, std::size_t) {
      const bool keep = self->res_->keep_alive();
      self->res_.reset();
      self->Written(ec, keep);
    });
  }

  // A reply has gone out (or failed to): count it, then the next request or close.
  void Written(error_code ec, bool keep) {
    server_.app.Completed(head_, status_, std::chrono::duration<double>(Clock::now() - head_.start).count());
    if (ec) return Close();
    if (!keep) return LingeringClose();
    WaitForRequest();
  }

  // An error the transport found: answer it and close.
  void Fail(int status, const std::string& message) {
    keep_alive_ = false;
    if (head_.start == Clock::time_point{}) head_.start = Clock::now();
    Response r = server_.app.TransportError(head_.path, status, message);
    r.close = true;
    Write(std::move(r));
  }

  // Closing with unread bytes from the client would reset the connection, and
  // a reset can destroy the reply before the client reads it: stop sending,
  // read what still comes for a little while (bounded), then close.
  void LingeringClose() {
    state_ = State::kClosed;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lingering_until_ = Clock::now() + kLinger;
    Linger();
  }

  void Linger() {
    if (Clock::now() >= lingering_until_) return Close();
    stream_.expires_at(lingering_until_);
    stream_.async_read_some(net::buffer(Scratch(), kScratch), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->Close();
      self->Linger();
    });
  }

  void Close() {
    state_ = State::kClosed;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  char* Scratch() {
    if (!scratch_) scratch_ = std::make_unique<char[]>(kScratch);
    return scratch_.get();
  }

  std::string BodyTooLargeMessage() const {
    return "the request body is larger than " + std::to_string(server_.options.max_body_bytes) + " bytes";
  }

  static constexpr std::size_t kFirstRead = 1024;
  static constexpr std::size_t kBodyRead = 64 << 10;  // a socket read of a body, at most
  static constexpr std::size_t kScratch = 16 << 10;
  // Bodies refused from their header are read and dropped up to this size
  // (or the body limit, if larger) to keep the connection; beyond, closed.
  static constexpr std::uint64_t kMaxDiscard = 64ull << 20;
  static constexpr std::chrono::seconds kLinger{2};

  Http1Server::Impl& server_;
  beast::tcp_stream stream_;
  net::any_io_executor strand_;  // the socket's strand (accepted on one)
  beast::flat_buffer buffer_;
  State state_ = State::kIdle;
  RequestHead head_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool expects_continue_ = false;
  int status_ = 0;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> discard_;
  std::optional<Response> pending_;  // answered once the body has been dropped
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  Plan plan_;
  Budget::Lease lease_;
  std::uint64_t ticket_ = 0;
  bool waiting_room_ = false;
  std::optional<net::steady_timer> room_timer_;
  std::optional<net::executor_work_guard<net::any_io_executor>> room_guard_;
  Clock::time_point lingering_until_;
  std::unique_ptr<char[]> scratch_;  // for bytes read and dropped; allocated on first use
};

void StartSession(Http1Server::Impl& server, tcp::socket socket) {
  auto s = std::make_shared<Session>(server, std::move(socket));
  net::dispatch(s->executor(), [s] { s->Start(); });
}

void CloseIfIdle(const std::shared_ptr<Session>& s) {
  net::post(s->executor(), [s] { s->CloseIfIdle(); });
}

}  // namespace cp::http
