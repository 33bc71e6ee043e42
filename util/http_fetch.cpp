#include "util/http_fetch.hpp"

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"
#include "util/parallel.hpp"

namespace prepo::util::http {

namespace {

using Clock = std::chrono::steady_clock;

// The options every transfer shares. Only http, https and file are fetched
// at all, and a redirect may lead only to http or https: a mirror must not
// be able to make us read a local file.
void set_common_options(CURL* easy, const std::string& url, const FetchOptions& options,
                        char* error_buffer)
{
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_FAILONERROR, 1L); // an error page is never taken for content
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_seconds);
  curl_easy_setopt(easy, CURLOPT_USERAGENT,
                   "prepo/"
                   "0.1");
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, nullptr); // the exact bytes, never re-encoded
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  // Credentials (a private farm's token) come from a netrc file, never
  // from the URL, which ends up in generations and origins.
  curl_easy_setopt(easy, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
  if (!options.netrc_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_NETRC_FILE, options.netrc_file.c_str());
  }
  error_buffer[0] = '\0';
}

long response_code(CURL* easy)
{
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

bool is_missing(CURLcode rc, long code)
{
  return (rc == CURLE_HTTP_RETURNED_ERROR && (code == 404 || code == 410)) ||
         rc == CURLE_FILE_COULDNT_READ_FILE;
}

// Worth another attempt: the network or the server may do better next time.
bool is_transient(CURLcode rc, long code)
{
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_RANGE_ERROR: // the next attempt starts from byte 0
    return true;
  case CURLE_HTTP_RETURNED_ERROR:
    return code >= 500 || code == 429 || code == 408;
  default:
    return false;
  }
}

std::string describe(CURLcode rc, long code, const char* error_buffer)
{
  if (rc == CURLE_HTTP_RETURNED_ERROR && code) {
    return fmt::format("HTTP {}", code);
  }
  if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
    return fmt::format("{} (only http and https are followed)",
                       *error_buffer ? error_buffer : curl_easy_strerror(rc));
  }
  return *error_buffer ? std::string(error_buffer) : std::string(curl_easy_strerror(rc));
}

std::chrono::milliseconds backoff_for(const FetchOptions& options, unsigned attempt)
{
  return options.backoff * (1u << std::min(attempt, 6u));
}

// `attempt` (counted from 0) failed for `why` and is to be followed by another.
void note_retry(const FetchOptions& options, const std::string& url, const std::string& why,
                unsigned attempt, bool wait = true)
{
  if (!options.on_retry) {
    return;
  }
  const auto ms = wait ? backoff_for(options, attempt).count() : 0;
  const auto when = ms == 0     ? std::string("now")
                    : ms < 1000 ? fmt::format("in {} ms", ms)
                                : fmt::format("in {:.1f} s", static_cast<double>(ms) / 1000.0);
  options.on_retry(fmt::format("{}: {}; retrying {} (attempt {} of {})", url, why, when,
                               attempt + 2, options.retries + 1));
}

struct Buffer {
  std::string bytes;
  std::uint64_t cap = 0;
  bool overflow = false;
};

std::size_t write_to_buffer(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* buffer = static_cast<Buffer*>(user);
  const auto n = size * count;
  if (buffer->bytes.size() + n > buffer->cap) {
    buffer->overflow = true;
    return 0;
  }
  buffer->bytes.append(data, n);
  return n;
}

// One running transfer of download().
struct Transfer {
  DownloadJob* job = nullptr;
  curl::Easy easy;
  Fd fd;
  std::uint64_t offset = 0; // bytes in the .part file
  bool resumed = false;     // started from bytes an earlier attempt or run left
  bool overflow = false;
  // A small fresh file is received into memory and written by a file
  // writer thread: on a slow disk, file creation then overlaps transfers
  // instead of stalling every one of them.
  bool buffered = false;
  std::string body;
  Sha256Hasher hasher; // of a fresh transfer's bytes: no second read to verify them
  const std::function<void(std::uint64_t)>* on_bytes = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

std::size_t write_to_part(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* t = static_cast<Transfer*>(user);
  const auto n = size * count;
  if (t->offset + n > t->job->size) {
    t->overflow = true; // more than the index promised: a wrong or hostile file
    return 0;
  }
  if (t->buffered) {
    t->body.append(data, n);
  }
  std::size_t written = t->buffered ? n : 0;
  while (written < n) {
    const auto w = ::write(t->fd.get(), data + written, n - written);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 0;
    }
    written += static_cast<std::size_t>(w);
  }
  t->offset += n;
  if (!t->resumed) {
    t->hasher.update(std::string_view(data, n));
  }
  if (*t->on_bytes) {
    (*t->on_bytes)(n);
  }
  return n;
}

std::uint64_t file_size_or_zero(const std::string& path)
{
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Threads that write received files (create, write, rename), so that the
// transfer thread never waits for the file system. Results come back
// through done(), to be reported on the transfer thread.
class FileWriters {
public:
  explicit FileWriters(unsigned threads)
  {
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { work(); });
    }
  }
  ~FileWriters()
  {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      t.join();
    }
  }
  FileWriters(const FileWriters&) = delete;
  FileWriters& operator=(const FileWriters&) = delete;

  void submit(DownloadJob* job, std::string body)
  {
    {
      std::lock_guard lock(mutex_);
      pending_bytes_ += body.size();
      ++in_flight_;
      tasks_.emplace_back(job, std::move(body));
    }
    wake_.notify_one();
  }
  // Jobs written since the last call, with "" or the error.
  std::vector<std::pair<DownloadJob*, std::string>> done()
  {
    std::lock_guard lock(mutex_);
    return std::exchange(done_, {});
  }
  std::uint64_t pending_bytes() const
  {
    std::lock_guard lock(mutex_);
    return pending_bytes_;
  }
  bool idle() const
  {
    std::lock_guard lock(mutex_);
    return in_flight_ == 0 && done_.empty();
  }

private:
  void work()
  {
    while (true) {
      std::pair<DownloadJob*, std::string> task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) {
          return;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      std::string error;
      try {
        // Written whole under .part, then renamed: a file at `path` is
        // always complete and verified.
        const auto part = task.first->path + ".part";
        remove_file_if_exists(part);
        create_file(part, task.second, 0644);
        if (::rename(part.c_str(), task.first->path.c_str()) != 0) {
          throw_errno("rename", task.first->path);
        }
      } catch (const Error& e) {
        error = e.what();
      }
      std::lock_guard lock(mutex_);
      pending_bytes_ -= task.second.size();
      --in_flight_;
      done_.emplace_back(task.first, std::move(error));
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<DownloadJob*, std::string>> tasks_;
  std::vector<std::pair<DownloadJob*, std::string>> done_;
  std::uint64_t pending_bytes_ = 0;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

constexpr std::uint64_t max_buffered_file = 4ull << 20;   // larger files stream to disk
constexpr std::uint64_t max_pending_writes = 64ull << 20; // memory waiting for the writers

// A job waiting for its (next) attempt.
struct Pending {
  DownloadJob* job;
  unsigned attempt;
  Clock::time_point not_before;
};

} // namespace

Fetcher::Fetcher(FetchOptions options) : options_(std::move(options))
{
  if (options_.ca_file.empty()) {
    if (const char* env = std::getenv("PREPO_CA_CERT"); env && *env) {
      options_.ca_file = env;
    }
  }
  if (const char* env = std::getenv("PREPO_NETRC"); env && *env) {
    options_.netrc_file = env;
  }
  if (options_.parallel == 0) {
    options_.parallel = 1;
  }
}

std::optional<std::string> Fetcher::get(const std::string& url, std::uint64_t cap, bool missing_ok)
{
  for (unsigned attempt = 0;; ++attempt) {
    Buffer buffer{{}, cap, false};
    char error[CURL_ERROR_SIZE];
    CURL* easy = easy_.get();
    curl_easy_reset(easy);
    set_common_options(easy, url, options_, error);
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(cap));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_to_buffer);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &buffer);
    const auto rc = curl_easy_perform(easy);
    const auto code = response_code(easy);
    if (rc == CURLE_OK) {
      return std::move(buffer.bytes);
    }
    if (buffer.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
      throw Error("{}: larger than the {} bytes allowed", url, cap);
    }
    if (missing_ok && is_missing(rc, code)) {
      return std::nullopt;
    }
    if (!is_transient(rc, code) || attempt >= options_.retries) {
      throw Error("{}: {}", url, describe(rc, code, error));
    }
    note_retry(options_, url, describe(rc, code, error), attempt);
    std::this_thread::sleep_for(backoff_for(options_, attempt));
  }
}

void Fetcher::download(std::vector<DownloadJob>& jobs,
                       const std::function<void(const DownloadJob&)>& on_done,
                       const std::function<void(std::uint64_t)>& on_bytes)
{
  curl::Multi multi;
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options_.parallel));
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options_.parallel));

  std::deque<Pending> queue;
  for (auto& job : jobs) {
    job.ok = false;
    job.error.clear();
    queue.push_back({&job, 0, Clock::time_point{}});
  }
  std::vector<std::pair<std::unique_ptr<Transfer>, unsigned>> running; // transfer, attempt
  FileWriters writers(io_threads());

  auto finish_job = [&](DownloadJob& job, std::string error) {
    job.ok = error.empty();
    job.error = std::move(error);
    on_done(job);
  };

  // A job whose .part file is already complete is checked without a transfer.
  // `streamed`: the SHA256 of the bytes as they arrived, when the transfer
  // wrote the whole file; otherwise the file is read again.
  auto verify_part = [&](DownloadJob& job, std::string streamed = {}) -> std::string {
    const auto part = job.path + ".part";
    const auto sum = job.sha256.empty() ? std::string()
                     : streamed.empty() ? checksum_file(part).sha256
                                        : std::move(streamed);
    if (sum != job.sha256) {
      remove_file_if_exists(part);
      return fmt::format("SHA256 is {}, {} says {}", sum, job.listed_by, job.sha256);
    }
    if (::rename(part.c_str(), job.path.c_str()) != 0) {
      throw_errno("rename", job.path);
    }
    return {};
  };

  auto start = [&](Pending p) {
    auto& job = *p.job;
    const auto part = job.path + ".part";
    auto offset = file_size_or_zero(part);
    if (offset > job.size || job.sha256.empty()) {
      remove_file_if_exists(part); // unverifiable bytes are never resumed
      offset = 0;
    }
    if (offset == job.size && !job.sha256.empty()) {
      if (auto why = verify_part(job); why.empty()) {
        finish_job(job, {});
        return;
      }
      offset = 0; // kept bytes that do not verify (verify_part dropped them): fetch anew
    }
    auto t = std::make_unique<Transfer>();
    t->job = &job;
    t->on_bytes = &on_bytes;
    t->offset = offset;
    t->resumed = offset > 0;
    t->buffered = offset == 0 && !job.sha256.empty() && job.size <= max_buffered_file;
    if (t->buffered) {
      t->body.reserve(job.size);
    } else {
      const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0) {
        throw_errno("open", part);
      }
      t->fd = Fd(fd);
    }
    CURL* easy = t->easy.get();
    set_common_options(easy, job.url, options_, t->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_to_part);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    if (offset > 0) {
      curl_easy_setopt(easy, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(offset));
    }
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    curl_multi_add_handle(multi.get(), easy);
    running.emplace_back(std::move(t), p.attempt);
  };

  auto complete = [&](Transfer* t, CURLcode rc) {
    auto it = std::find_if(running.begin(), running.end(),
                           [t](const auto& r) { return r.first.get() == t; });
    auto owned = std::move(it->first);
    const unsigned attempt = it->second;
    running.erase(it);
    curl_multi_remove_handle(multi.get(), owned->easy.get());
    auto& job = *owned->job;
    const auto code = response_code(owned->easy.get());
    const auto part = job.path + ".part";
    owned->fd = Fd();
    if (owned->buffered && !owned->overflow) {
      if (rc == CURLE_OK && owned->offset == job.size) {
        const auto sum = owned->hasher.finish();
        if (sum != job.sha256) {
          finish_job(job, fmt::format("SHA256 is {}, {} says {}", sum, job.listed_by, job.sha256));
        } else {
          writers.submit(&job, std::move(owned->body));
        }
        return;
      }
      // Broken off: keep what arrived on disk, so the next attempt resumes.
      if (!owned->body.empty() && rc != CURLE_RANGE_ERROR) {
        create_file(part, owned->body, 0644);
      }
    }
    if (owned->overflow) {
      remove_file_if_exists(part);
      finish_job(job, fmt::format("larger than the {} bytes {}", job.size,
                                  job.sha256.empty() ? "allowed" : job.listed_by + " says"));
      return;
    }
    if (rc == CURLE_RANGE_ERROR) {
      remove_file_if_exists(part); // the server ignores ranges: start over
    }
    if (rc == CURLE_OK && owned->offset < job.size && !job.sha256.empty()) {
      // The server ended the body early (no Content-Length, or a lying one).
      const auto why = fmt::format("truncated: {} of {} bytes", owned->offset, job.size);
      if (attempt < options_.retries) {
        note_retry(options_, job.url, why, attempt);
        queue.push_back({&job, attempt + 1, Clock::now() + backoff_for(options_, attempt)});
      } else {
        finish_job(job, why);
      }
      return;
    }
    if (rc == CURLE_OK) {
      auto why = verify_part(job, owned->resumed ? std::string() : owned->hasher.finish());
      if (!why.empty() && owned->resumed && attempt < options_.retries) {
        // The kept bytes may be what is wrong (a stale .part): once more from byte 0.
        note_retry(options_, job.url, why + " (resumed from kept bytes)", attempt, false);
        queue.push_back({&job, attempt + 1, Clock::now()});
        return;
      }
      finish_job(job, std::move(why));
      return;
    }
    if (is_transient(rc, code) && attempt < options_.retries) {
      note_retry(options_, job.url, describe(rc, code, owned->error), attempt);
      queue.push_back({&job, attempt + 1, Clock::now() + backoff_for(options_, attempt)});
      return;
    }
    if (is_missing(rc, code)) {
      remove_file_if_exists(part);
    }
    finish_job(job, describe(rc, code, owned->error));
  };

  auto report_written = [&] {
    for (auto& [job, error] : writers.done()) {
      finish_job(*job, std::move(error));
    }
  };
  while (!queue.empty() || !running.empty() || !writers.idle()) {
    report_written();
    // Start what may start now, up to the parallel limit (and while the
    // writers keep up).
    const auto now = Clock::now();
    for (std::size_t n = queue.size(); n > 0 && running.size() < options_.parallel &&
                                       writers.pending_bytes() < max_pending_writes;
         --n) {
      auto p = queue.front();
      queue.pop_front();
      if (p.not_before > now) {
        queue.push_back(p);
        continue;
      }
      start(p);
    }
    if (running.empty()) {
      if (!queue.empty() || !writers.idle()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      continue;
    }
    int still_running = 0;
    curl_multi_perform(multi.get(), &still_running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
        complete(t, msg->data.result);
      }
    }
    if (!running.empty()) {
      curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
    }
  }
}

std::string join_url(std::string_view base, std::string_view relative)
{
  std::string out(base);
  while (!out.empty() && out.back() == '/') {
    out.pop_back();
  }
  while (!relative.empty() && relative.front() == '/') {
    relative.remove_prefix(1);
  }
  out += '/';
  out += relative;
  return out;
}

} // namespace prepo::util::http
