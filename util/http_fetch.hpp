// Fetching over HTTP(S) (and file://) through libcurl: documents into
// memory with a size cap, and many files to disk at once, each verified by
// size and SHA256, resumed where a transfer broke off and retried with
// backoff. Redirects are followed only to http and https.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/curl.hpp"

namespace prepo::util::http {

struct FetchOptions {
  unsigned parallel = 4;                  // transfers at once (-j)
  unsigned retries = 4;                   // further attempts after a transient failure
  std::chrono::milliseconds backoff{250}; // doubled after each attempt
  long connect_timeout_seconds = 30;
  long stall_timeout_seconds = 60; // a transfer that delivers nothing this long fails
  // PEM file of the CAs trusted for https (a private CA); empty: the
  // system's, or $PREPO_CA_CERT when set.
  std::string ca_file;
  // netrc file with credentials per host (apt's auth.conf has this format);
  // empty: ~/.netrc, or $PREPO_NETRC when set.
  std::string netrc_file;
  // Told of every retry, in one line: the URL, why the attempt failed, the
  // wait and the attempt to come. Without it, a server that accepts and
  // never answers costs minutes of silence (stall timeout times attempts).
  std::function<void(const std::string& line)> on_retry;
};

// One file to fetch to `path`. Bytes arrive in `path`.part, which a later
// attempt (or a later run) resumes with a Range request; only a file whose
// size and SHA256 match is renamed to `path`.
struct DownloadJob {
  std::string url;
  std::string path;
  std::uint64_t size = 0; // exact; without sha256, only the most that is accepted
  std::string sha256;     // lowercase hex; empty: nothing to check it against
  // Filled in by download():
  bool ok = false;
  std::string error; // one line: "HTTP 404", "SHA256 is X, the index says Y", ...
  // What gave the size and SHA256, as errors name it ("hello_1.0-1.dsc").
  std::string listed_by = "the index";
};

class Fetcher {
public:
  explicit Fetcher(FetchOptions options = {});

  // The whole document at `url`, at most `cap` bytes. With `missing_ok`, a
  // 404 or 410 (or a missing file:// file) is nullopt; every other failure
  // is an Error naming the URL.
  std::optional<std::string> get(const std::string& url, std::uint64_t cap,
                                 bool missing_ok = false);

  // Runs every job, `parallel` at once over reused connections. A failing
  // job does not stop the others. `on_done` runs after each job finishes
  // (ok or not); `on_bytes` with each block of bytes received.
  void download(std::vector<DownloadJob>& jobs,
                const std::function<void(const DownloadJob&)>& on_done,
                const std::function<void(std::uint64_t)>& on_bytes);

private:
  FetchOptions options_;
  curl::Easy easy_; // for get(): one handle keeps its connection alive between documents
};

// "http://host/a/b" + "c/d" -> "http://host/a/b/c/d" (one slash between).
std::string join_url(std::string_view base, std::string_view relative);

} // namespace prepo::util::http
