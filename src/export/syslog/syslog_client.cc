// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/syslog/syslog_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mw::siem {
namespace {
constexpr std::chrono::milliseconds kMinBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{60000};
}  // namespace

SyslogClient::SyslogClient(SyslogClientOptions o) : o_(std::move(o)) {}

SyslogClient::~SyslogClient() { Close(); }

void SyslogClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SyslogClient::Fail(std::string why) {
  Close();
  backoff_ = backoff_.count() == 0 ? kMinBackoff : std::min(backoff_ * 2, kMaxBackoff);
  next_attempt_ = std::chrono::steady_clock::now() + backoff_;
  if (!error_reported_) {
    error_ = std::move(why);
    error_reported_ = true;
  }
}

std::string SyslogClient::ConsumeError() { return std::exchange(error_, std::string()); }

bool SyslogClient::Connect() {
  if (fd_ >= 0 && o_.address.tcp) {
    // A receiver that restarted closed our connection; writing into it would "succeed" and lose
    // the message, so look for the EOF first.
    pollfd p{fd_, POLLIN, 0};
    char c;
    if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)) &&
        ::recv(fd_, &c, 1, MSG_DONTWAIT | MSG_PEEK) <= 0) {
      Close();
      next_attempt_ = {};
    }
  }
  if (fd_ >= 0) return true;
  if (std::chrono::steady_clock::now() < next_attempt_) return false;
  const auto& a = o_.address;
  addrinfo hints{};
  hints.ai_socktype = a.tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  std::string port = std::to_string(a.port);
  int rc = ::getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    Fail("syslog " + a.host + ": " + gai_strerror(rc));
    return false;
  }
  std::string why = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = ::poll(&p, 1, int(o_.io_timeout.count()));
      int err = 0;
      socklen_t len = sizeof(err);
      if (r == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        r = 0;
      } else {
        errno = r == 0 ? ETIMEDOUT : err;
        r = -1;
      }
    }
    if (r == 0) {
      fd_ = fd;
      break;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) {
    Fail("syslog " + std::string(a.tcp ? "tcp://" : "udp://") + a.host + ":" + port + ": " + why);
    return false;
  }
  return true;
}

bool SyslogClient::WriteAll(std::string_view data) {
  auto deadline = std::chrono::steady_clock::now() + o_.io_timeout;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n >= 0) {
      off += size_t(n);
      if (!o_.address.tcp) return true;  // a datagram goes whole or not at all
      continue;
    }
    if (errno == EINTR) continue;
    // UDP: an ICMP port-unreachable for an earlier datagram; this one is lost, the socket is fine.
    if (!o_.address.tcp && errno == ECONNREFUSED) return false;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLOUT, 0};
      if (left.count() > 0 && ::poll(&p, 1, int(left.count())) == 1) continue;
      errno = ETIMEDOUT;
    }
    // A half-sent TCP frame would desynchronise the receiver's framing: drop the connection.
    Fail(std::string("syslog send: ") + std::strerror(errno));
    return false;
  }
  return true;
}

void SyslogClient::Send(std::string msg) {
  if (pending_.size() >= o_.max_pending) {
    pending_.pop_front();
    ++dropped_;
  }
  pending_.push_back(std::move(msg));
  Flush();
}

void SyslogClient::Flush() {
  while (!pending_.empty()) {
    if (!Connect()) {
      if (!o_.address.tcp) {
        // UDP has nothing to retry into: what cannot go now is lost.
        dropped_ += pending_.size();
        pending_.clear();
      }
      return;
    }
    const std::string& msg = pending_.front();
    bool ok;
    if (o_.address.tcp) {
      frame_.clear();
      if (o_.framing == TcpFraming::kOctetCounting) {
        frame_ += std::to_string(msg.size());
        frame_ += ' ';
        frame_ += msg;
      } else {
        frame_ += msg;
        frame_ += '\n';
      }
      ok = WriteAll(frame_);
    } else {
      ok = WriteAll(std::string_view(msg).substr(0, o_.max_datagram));
      if (!ok) {
        ++dropped_;
        pending_.pop_front();
        continue;
      }
    }
    if (!ok) return;  // TCP: kept for the next connection
    pending_.pop_front();
    ++sent_;
    backoff_ = std::chrono::milliseconds(0);
    error_reported_ = false;
  }
}

}  // namespace mw::siem
