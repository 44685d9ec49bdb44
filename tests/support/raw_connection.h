// A raw loopback connection to a server, for what httplib::Client cannot show:
// a request sent as is (e.g. headers only, as a client that waits for 100
// Continue, or a header sent a byte at a time), several requests written at
// once (pipelining), and a connection that is never silently reopened.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <string>

namespace cp::test {

struct RawResponse {
  int status = 0;    // 0: no complete response within the timeout
  std::string head;  // status line and headers
  std::string body;
};

class RawConnection {
 public:
  explicit RawConnection(int port, int timeout_s = 10) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot connect");
    }
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  // Reads one response: its head and the body its Content-Length announces.
  // Bytes beyond it (a pipelined next response) are kept for the next call.
  RawResponse Read() {
    RawResponse out;
    std::size_t head_end = std::string::npos, body_length = 0;
    auto parse_head = [&] {
      if (head_end != std::string::npos || (head_end = data_.find("\r\n\r\n")) == std::string::npos) return;
      std::string lower = data_.substr(0, head_end);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
        body_length = std::stoul(lower.substr(at + 17));
      }
    };
    parse_head();
    char buf[4096];
    ssize_t n = 0;
    while ((head_end == std::string::npos || data_.size() < head_end + 4 + body_length) &&
           (n = ::recv(fd_, buf, sizeof buf, 0)) > 0) {
      data_.append(buf, static_cast<std::size_t>(n));
      parse_head();
    }
    if (head_end == std::string::npos || data_.size() < head_end + 4 + body_length) return out;
    out.head = data_.substr(0, head_end);
    out.body = data_.substr(head_end + 4, body_length);
    data_.erase(0, head_end + 4 + body_length);
    if (out.head.starts_with("HTTP/1.1 ")) out.status = std::stoi(out.head.substr(9, 3));
    return out;
  }

  // Sends `request`, then reads one response.
  RawResponse Exchange(const std::string& request) {
    if (!Send(request)) return {};
    return Read();
  }

  // True when the server closes the connection (EOF or reset) within `within`,
  // reading and dropping whatever it sends first.
  bool ClosedByPeer(std::chrono::milliseconds within) {
    const auto until = std::chrono::steady_clock::now() + within;
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }

 private:
  int fd_;
  std::string data_;  // received, not yet returned
};

}  // namespace cp::test
