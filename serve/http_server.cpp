#include "serve/http_server.hpp"

#include <csignal>
#include <list>
#include <mutex>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "serve/connection.hpp"
#include "serve/tls_context.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"

namespace prepo::serve {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint parse_listen(const std::string& spec)
{
  std::string host;
  std::string port;
  if (!spec.empty() && spec.front() == '[') {
    const auto close = spec.find(']');
    if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      throw util::Error("--listen {}: expected [IPV6]:PORT", spec);
    }
    host = spec.substr(1, close - 1);
    port = spec.substr(close + 2);
  } else {
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos) {
      throw util::Error("--listen {}: expected ADDRESS:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)",
                        spec);
    }
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw util::Error("--listen {}: '{}' is not an IP address", spec, host);
  }
  unsigned value = 0;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      (value = static_cast<unsigned>(std::stoul(port))) > 65535) {
    throw util::Error("--listen {}: '{}' is not a port number", spec, port);
  }
  return {address, static_cast<unsigned short>(value)};
}

std::string url_of(const tcp::endpoint& ep, bool tls)
{
  const auto address = ep.address().is_v6() ? fmt::format("[{}]", ep.address().to_string())
                                            : ep.address().to_string();
  return fmt::format("{}://{}:{}", tls ? "https" : "http", address, ep.port());
}

// Enough descriptors for --max-connections: raise the soft limit to the hard one.
void raise_file_limit()
{
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

class Server;

// One listening socket. It accepts on worker 0 and hands each connection to
// the workers in turn.
class Listener {
public:
  Listener(Server& server, const tcp::endpoint& endpoint, bool tls);
  void start() { accept(); }
  void close()
  {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }
  const tcp::endpoint& endpoint() const { return endpoint_; }

private:
  void accept();
  Server& server_;
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
  HandlerOptions options_;
  asio::steady_timer retry_;
};

class Server {
public:
  Server(const repo::Root& root, const ServeOptions& options, const ServeEvents& events)
      : options_(options), events_(events), site_(root, events.warn), shared_{options_, site_}
  {
    if (options.tls_cert.has_value() != options.tls_key.has_value()) {
      throw util::Error("--tls-cert and --tls-key go together");
    }
    if (options.tls_cert) {
      tls_ = load_tls_context(*options.tls_cert, *options.tls_key);
    }
    if (options.access_log) {
      log_.emplace(*options.access_log);
      shared_.log = &*log_;
    }
    const unsigned threads = options.threads ? options.threads : util::default_threads();
    for (unsigned i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(shared_));
    }
    for (const auto& spec : options.listen) {
      listeners_.emplace_back(*this, parse_listen(spec), tls_ != nullptr);
    }
  }

  void run()
  {
    asio::io_context control{1};
    asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
          if (ec) {
            return;
          }
          if (signal == SIGHUP) {
            reload();
            signals.async_wait(on_signal);
          } else {
            control.stop();
          }
        };
    signals.async_wait(on_signal);

    // conf/ changed (a token revoked, a farm made private): look now.
    std::optional<asio::posix::stream_descriptor> conf_watch;
    std::function<void(const boost::system::error_code&)> on_conf_change =
        [&](const boost::system::error_code& ec) {
          if (ec) {
            return;
          }
          site_.check();
          conf_watch->async_wait(asio::posix::stream_descriptor::wait_read, on_conf_change);
        };
    if (site_.change_fd() >= 0) {
      conf_watch.emplace(control, ::dup(site_.change_fd()));
      conf_watch->async_wait(asio::posix::stream_descriptor::wait_read, on_conf_change);
    }

    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& w : workers_) {
      guards.push_back(asio::make_work_guard(w->io));
    }
    for (auto& l : listeners_) {
      asio::post(workers_[0]->io, [&l] { l.start(); });
      events_.note(fmt::format("listening on {}/ ({} threads)",
                               url_of(l.endpoint(), tls_ != nullptr), workers_.size()));
    }
    std::vector<std::thread> threads;
    for (auto& w : workers_) {
      threads.emplace_back([&w] { w->io.run(); });
    }
    control.run();

    // Graceful stop: no new connections, idle ones closed, responses in
    // flight finish (their connections close after them), then a bounded wait.
    events_.note("stopping: finishing responses in flight");
    asio::post(workers_[0]->io, [this] {
      for (auto& l : listeners_) {
        l.close();
      }
    });
    for (auto& w : workers_) {
      asio::post(w->io, [&w] { w->stop_all(); });
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
    while (shared_.connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto left = shared_.connections.load();
    for (auto& w : workers_) {
      w->io.stop();
    }
    for (auto& t : threads) {
      t.join();
    }
    events_.note(left ? fmt::format("stopped ({} connections cut after {} ms)", left,
                                    options_.stop_timeout.count())
                      : std::string("stopped"));
  }

  Worker& next_worker() { return *workers_[next_++ % workers_.size()]; }
  Worker& acceptor_worker() { return *workers_[0]; }
  ServerShared& shared() { return shared_; }
  const ServeOptions& options() const { return options_; }
  const ServeEvents& events() const { return events_; }

  std::shared_ptr<asio::ssl::context> tls()
  {
    std::lock_guard lock(tls_mutex_);
    return tls_;
  }

private:
  void reload()
  {
    site_.reload();
    if (options_.tls_cert) {
      try {
        auto fresh = load_tls_context(*options_.tls_cert, *options_.tls_key);
        std::lock_guard lock(tls_mutex_);
        tls_ = std::move(fresh);
      } catch (const std::exception& e) {
        events_.warn(fmt::format("SIGHUP: keeping the previous certificate: {}", e.what()));
      }
    }
    if (log_) {
      try {
        log_->reopen();
      } catch (const std::exception& e) {
        events_.warn(fmt::format("SIGHUP: {}", e.what()));
      }
    }
    events_.note("SIGHUP: reloaded the configuration, tokens, certificate and access log");
  }

  const ServeOptions& options_;
  const ServeEvents& events_;
  Site site_;
  ServerShared shared_;
  std::optional<AccessLog> log_;
  std::mutex tls_mutex_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::list<Listener> listeners_; // a list: listeners do not move
  std::size_t next_ = 0;
};

Listener::Listener(Server& server, const tcp::endpoint& endpoint, bool tls)
    : server_(server), acceptor_(server.acceptor_worker().io), retry_(server.acceptor_worker().io)
{
  boost::system::error_code ec;
  const auto spec = url_of(endpoint, tls);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec && endpoint.address().is_v6()) {
    acceptor_.set_option(asio::ip::v6_only(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(1024, ec);
  }
  if (ec) {
    throw util::Error("--listen {}: {}", spec, ec.message());
  }
  endpoint_ = acceptor_.local_endpoint(); // the port chosen for port 0
  options_.tls = tls;
  options_.allow_plain_auth = server.options().allow_plain_auth;
  options_.local_host = url_of(endpoint_, false).substr(7); // host:port
}

void Listener::accept()
{
  Worker& worker = server_.next_worker();
  acceptor_.async_accept(
      worker.io, [this, &worker](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
          return; // stopping
        }
        if (ec) {
          // Out of descriptors (EMFILE) or the like: try again shortly rather than spin.
          retry_.expires_after(std::chrono::milliseconds(50));
          retry_.async_wait([this](const boost::system::error_code& e) {
            if (!e) {
              accept();
            }
          });
          return;
        }
        auto& shared = server_.shared();
        if (shared.connections.fetch_add(1, std::memory_order_relaxed) >=
            server_.options().max_connections) {
          // Over the cap: close at once, so the new client sees the refusal
          // instead of waiting in a queue nobody serves.
          shared.connections.fetch_sub(1, std::memory_order_relaxed);
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          asio::post(worker.io,
                     [&worker, socket = std::move(socket), tls = server_.tls(), this]() mutable {
                       start_connection(worker, std::move(socket), std::move(tls), options_);
                     });
        }
        accept();
      });
}

} // namespace

void serve(const repo::Root& root, const ServeOptions& options, const ServeEvents& events)
{
  std::signal(SIGPIPE, SIG_IGN); // a client gone mid-write is an error code, not a signal
  raise_file_limit();
  Server server(root, options, events);
  server.run();
}

} // namespace prepo::serve
