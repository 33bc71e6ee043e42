// One client connection: read request heads into a fixed buffer, answer
// each in order (pipelined requests wait in the buffer), send bodies with
// sendfile(2) on plain sockets and through a 64 KiB buffer under TLS.
// A single deadline per connection bounds the TLS handshake, the request
// head, the keep-alive wait and every stalled write.
#include "serve/connection.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_static_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "serve/request_parser.hpp"

namespace prepo::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = asio::ssl::stream<tcp::socket>;

void Worker::add(ConnectionBase* c)
{
  c->next = connections;
  if (connections) {
    connections->prev = c;
  }
  connections = c;
}

void Worker::remove(ConnectionBase* c)
{
  if (c->prev) {
    c->prev->next = c->next;
  } else {
    connections = c->next;
  }
  if (c->next) {
    c->next->prev = c->prev;
  }
}

void Worker::stop_all()
{
  stopping = true;
  for (auto* c = connections; c;) {
    auto* next = c->next; // stop() may unlink c
    c->stop();
    c = next;
  }
}

namespace {

// The request head must fit with room to spare: Beast reports header_limit
// before the buffer fills.
constexpr std::size_t read_buffer_size = 18 * 1024;
constexpr std::size_t tls_chunk_size = 64 * 1024;
// A plain response sends at most this much before letting other
// connections of the thread run.
constexpr std::uint64_t send_slice = 4 * 1024 * 1024;

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

public:
  Connection(Worker& worker, Stream stream, std::shared_ptr<asio::ssl::context> tls,
             const HandlerOptions& options)
      : worker_(worker), stream_(std::move(stream)), tls_(std::move(tls)), timer_(worker.io),
        handler_(options)
  {
    worker_.add(this);
  }

  ~Connection() override
  {
    worker_.remove(this);
    worker_.shared.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void start()
  {
    boost::system::error_code ec;
    socket().set_option(tcp::no_delay(true), ec);
    socket().native_non_blocking(true, ec);
    if (worker_.stopping) {
      return close();
    }
    deadline_ = Clock::now() + options().header_timeout;
    wait_timer();
    if constexpr (is_tls) {
      state_ = State::reading;
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          [self = this->shared_from_this()](const boost::system::error_code& ec) {
            if (ec) {
              return self->close();
            }
            self->state_ = State::idle;
            self->read();
          });
    } else {
      read();
    }
  }

  void stop() override
  {
    stopping_ = true;
    if (state_ == State::idle) {
      close();
    }
  }

private:
  enum class State { idle, reading, writing, closed };

  const ServeOptions& options() const { return worker_.shared.options; }
  tcp::socket& socket()
  {
    if constexpr (is_tls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // One timer per connection, re-armed only when it fires before the
  // (moving) deadline: pushing the deadline costs no system call.
  void wait_timer()
  {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->state_ == State::closed) {
        return;
      }
      if (Clock::now() >= self->deadline_) {
        return self
            ->close(); // too slow: a head, a handshake, an idle keep-alive or a stalled write
      }
      self->wait_timer();
    });
  }

  void read()
  {
    if (stopping_ && state_ == State::idle) {
      return close();
    }
    if (buffer_.size() == buffer_.max_size()) {
      return fail(431);
    }
    stream_.async_read_some(
        buffer_.prepare(buffer_.max_size() - buffer_.size()),
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->on_read(ec, n);
        });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n)
  {
    if (ec || state_ == State::closed) {
      return close();
    }
    buffer_.commit(n);
    if (state_ == State::idle) {
      state_ = State::reading;
      if (!first_request_) {
        deadline_ = Clock::now() + options().header_timeout; // the head has to come in this time
      }
    }
    parse();
  }

  void parse()
  {
    state_ = State::reading;
    if (!parser_) {
      parser_.emplace(head_, options().limits);
    }
    while (!parser_->is_done()) {
      beast::error_code ec;
      const auto used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == beast::http::error::need_more) {
        return read();
      }
      if (ec) {
        return fail(RequestParser::status_for(ec));
      }
    }
    if (!log_peer_ && worker_.shared.log) {
      boost::system::error_code ep_ec;
      peer_ = socket().remote_endpoint(ep_ec).address().to_string();
      log_peer_ = true;
    }
    handler_.handle(head_, worker_.shared.site.current(), stopping_, response_);
    begin_write();
  }

  void fail(unsigned status)
  {
    handler_.error(status, response_);
    head_.method_text.clear(); // nothing parsable to log
    begin_write();
  }

  void begin_write()
  {
    state_ = State::writing;
    header_sent_ = 0;
    part_ = 0;
    part_sent_ = 0;
    body_sent_ = 0;
    deadline_ = Clock::now() + options().send_timeout;
    if constexpr (is_tls) {
      write_tls();
    } else {
      write_plain();
    }
  }

  // Header and text parts with send(2), file parts with sendfile(2); on
  // EAGAIN wait for the socket to be writable. MSG_MORE keeps the header
  // and the first body bytes in one packet.
  void write_plain()
  {
    const int fd = socket().native_handle();
    const auto& parts = response_.parts;
    std::uint64_t budget = send_slice;
    while (true) {
      ssize_t n = 0;
      if (header_sent_ < response_.header.size()) {
        const int more = parts.empty() ? 0 : MSG_MORE;
        n = ::send(fd, response_.header.data() + header_sent_,
                   response_.header.size() - header_sent_, MSG_NOSIGNAL | more);
        if (n > 0) {
          header_sent_ += static_cast<std::size_t>(n);
        }
      } else if (part_ < parts.size()) {
        const auto& p = parts[part_];
        const auto left = p.length - part_sent_;
        if (p.from_file) {
          off_t offset = static_cast<off_t>(p.offset + part_sent_);
          n = ::sendfile(fd, response_.file.get(), &offset,
                         std::min<std::uint64_t>(left, send_slice));
          if (n == 0) {
            return close(); // the file is shorter than when we looked: cut the response
          }
        } else {
          const int more = part_ + 1 < parts.size() ? MSG_MORE : 0;
          n = ::send(fd, response_.text.data() + p.offset + part_sent_, left, MSG_NOSIGNAL | more);
        }
        if (n > 0) {
          part_sent_ += static_cast<std::uint64_t>(n);
          body_sent_ += static_cast<std::uint64_t>(n);
          if (part_sent_ == p.length) {
            ++part_;
            part_sent_ = 0;
          }
        }
      } else {
        return finish();
      }
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return socket().async_wait(
              tcp::socket::wait_write,
              [self = this->shared_from_this()](const boost::system::error_code& ec) {
                if (ec) {
                  return self->close();
                }
                self->deadline_ = Clock::now() + self->options().send_timeout;
                self->write_plain();
              });
        }
        return close(); // the client went away
      }
      if (budget <= static_cast<std::uint64_t>(n)) {
        // Let the thread's other connections run before the next slice.
        deadline_ = Clock::now() + options().send_timeout;
        return asio::post(worker_.io, [self = this->shared_from_this()] {
          if (self->state_ != State::closed) {
            self->write_plain();
          }
        });
      }
      budget -= static_cast<std::uint64_t>(n);
    }
  }

  // Under TLS everything goes through one 64 KiB buffer: header, text and
  // file bytes are packed into it and written as one piece.
  void write_tls()
  {
    if (!chunk_) {
      chunk_ = std::make_unique<char[]>(tls_chunk_size);
    }
    std::size_t filled = 0;
    const auto& parts = response_.parts;
    while (filled < tls_chunk_size) {
      if (header_sent_ < response_.header.size()) {
        const auto n = std::min(tls_chunk_size - filled, response_.header.size() - header_sent_);
        std::memcpy(chunk_.get() + filled, response_.header.data() + header_sent_, n);
        header_sent_ += n;
        filled += n;
        continue;
      }
      if (part_ >= parts.size()) {
        break;
      }
      const auto& p = parts[part_];
      const auto n = std::min<std::uint64_t>(tls_chunk_size - filled, p.length - part_sent_);
      if (p.from_file) {
        const auto got = ::pread(response_.file.get(), chunk_.get() + filled, n,
                                 static_cast<off_t>(p.offset + part_sent_));
        if (got <= 0) {
          if (got < 0 && errno == EINTR) {
            continue;
          }
          return close(); // a read error or a shorter file: cut the response
        }
        filled += static_cast<std::size_t>(got);
        part_sent_ += static_cast<std::uint64_t>(got);
        body_sent_ += static_cast<std::uint64_t>(got);
      } else {
        std::memcpy(chunk_.get() + filled, response_.text.data() + p.offset + part_sent_, n);
        filled += n;
        part_sent_ += n;
        body_sent_ += n;
      }
      if (part_sent_ == p.length) {
        ++part_;
        part_sent_ = 0;
      }
    }
    if (filled == 0) {
      chunk_.reset(); // idle TLS connections keep no send buffer
      return finish();
    }
    asio::async_write(
        stream_, asio::buffer(chunk_.get(), filled),
        [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec) {
            return self->close();
          }
          self->deadline_ = Clock::now() + self->options().send_timeout;
          self->write_tls();
        });
  }

  void finish()
  {
    log();
    const bool close_now = response_.close || stopping_;
    response_.file.reset();
    parser_.reset();
    if (close_now) {
      return close();
    }
    first_request_ = false;
    if (buffer_.size() > 0) {
      // A pipelined request is already here: answer it next, from the event loop.
      deadline_ = Clock::now() + options().header_timeout;
      state_ = State::reading;
      return asio::post(worker_.io, [self = this->shared_from_this()] {
        if (self->state_ != State::closed) {
          self->parse();
        }
      });
    }
    state_ = State::idle;
    deadline_ = Clock::now() + options().idle_timeout;
    read();
  }

  void log()
  {
    auto* log = worker_.shared.log;
    if (!log) {
      return;
    }
    AccessEntry e;
    e.remote = peer_;
    e.user = response_.user;
    e.time = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    e.method = head_.method_text;
    e.target = head_.target;
    e.version = head_.version;
    e.status = response_.status;
    e.body_bytes = body_sent_;
    e.referer = head_.referer;
    e.user_agent = head_.user_agent;
    log->write(e);
  }

  void close()
  {
    if (state_ == State::closed) {
      return;
    }
    state_ = State::closed;
    boost::system::error_code ec;
    timer_.cancel();
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
  }

  Worker& worker_;
  Stream stream_;
  std::shared_ptr<asio::ssl::context> tls_; // the context this connection started with
  asio::steady_timer timer_;
  Clock::time_point deadline_;
  beast::flat_static_buffer<read_buffer_size> buffer_;
  std::optional<RequestParser> parser_;
  RequestHead head_;
  Response response_;
  RequestHandler handler_;
  std::string peer_;
  bool log_peer_ = false;
  State state_ = State::idle;
  bool first_request_ = true;
  bool stopping_ = false;
  std::size_t header_sent_ = 0;
  std::size_t part_ = 0;
  std::uint64_t part_sent_ = 0;
  std::uint64_t body_sent_ = 0;
  std::unique_ptr<char[]> chunk_;
};

} // namespace

void start_connection(Worker& worker, tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                      const HandlerOptions& options)
{
  if (tls) {
    TlsStream stream(std::move(socket), *tls);
    std::make_shared<Connection<TlsStream>>(worker, std::move(stream), std::move(tls), options)
        ->start();
  } else {
    std::make_shared<Connection<tcp::socket>>(worker, std::move(socket), nullptr, options)->start();
  }
}

} // namespace prepo::serve
