// The server's internals shared by serve/http_server.cpp and
// serve/connection.cpp: a worker thread's io_context with the connections
// it owns, and how a connection starts. Not for other layers.
#pragma once

#include <atomic>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "serve/access_log.hpp"
#include "serve/http_server.hpp"
#include "serve/request_handler.hpp"
#include "serve/site.hpp"

namespace prepo::serve {

// What every connection of the server reads.
struct ServerShared {
  const ServeOptions& options;
  Site& site;
  AccessLog* log = nullptr;
  std::atomic<unsigned> connections{0};
};

// A connection as its worker knows it: in an intrusive list, so stop() can
// reach each one without an allocation per connection.
class ConnectionBase {
public:
  virtual ~ConnectionBase() = default;
  // Close now if between requests, else after the response in progress.
  virtual void stop() = 0;
  ConnectionBase* prev = nullptr;
  ConnectionBase* next = nullptr;
};

struct Worker {
  explicit Worker(ServerShared& s) : shared(s) {}
  boost::asio::io_context io{1}; // one thread runs it: Asio may skip its locks
  ServerShared& shared;
  ConnectionBase* connections = nullptr; // touched only on this worker's thread
  bool stopping = false;

  void add(ConnectionBase* c);
  void remove(ConnectionBase* c);
  void stop_all(); // on this worker's thread
};

// Starts serving `socket` on `worker` (called on the worker's thread).
// `tls` null: plain HTTP.
void start_connection(Worker& worker, boost::asio::ip::tcp::socket socket,
                      std::shared_ptr<boost::asio::ssl::context> tls,
                      const HandlerOptions& options);

} // namespace prepo::serve
