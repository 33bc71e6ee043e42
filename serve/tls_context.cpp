#include "serve/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "util/error.hpp"

namespace prepo::serve {

namespace ssl = boost::asio::ssl;

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, std::string_view what)
{
  const auto code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  ERR_clear_error();
  throw util::Error("{}: {}: {}", file.string(), what, reason);
}

} // namespace

std::shared_ptr<ssl::context> load_tls_context(const std::filesystem::path& cert_chain,
                                               const std::filesystem::path& key)
{
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  // TLS 1.2 and 1.3 only; no renegotiation (a cheap way to make a server work).
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections keep no 16 KiB read/write buffers (memory at 1,000 connections).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_chain.c_str()) != 1) {
    fail(cert_chain, "cannot use as a PEM certificate chain");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail(key, "cannot use as a PEM private key");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    fail(key, "does not match the certificate");
  }
  return context;
}

} // namespace prepo::serve
