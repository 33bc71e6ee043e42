// The server's TLS configuration: one OpenSSL context (through Asio's
// ssl::context) made from a PEM certificate chain and its key. SIGHUP
// loads a new one for new connections; connections hold a shared_ptr to
// the context they started with.
#pragma once

#include <filesystem>
#include <memory>

#include <boost/asio/ssl/context.hpp>

namespace prepo::serve {

// Error naming the file and OpenSSL's reason if either file is unreadable,
// not PEM, or the key does not belong to the certificate.
std::shared_ptr<boost::asio::ssl::context> load_tls_context(const std::filesystem::path& cert_chain,
                                                            const std::filesystem::path& key);

} // namespace prepo::serve
