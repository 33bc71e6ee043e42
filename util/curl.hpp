// RAII over libcurl: one type per handle (easy, multi, header list), and
// the process-wide initialisation libcurl needs before any thread uses it.
#pragma once

#include <string_view>

typedef void CURL;
typedef void CURLM;
struct curl_slist;

namespace prepo::util::curl {

// curl_global_init, once per process (thread-safe through a function static).
void ensure_initialised();

class Easy {
public:
  Easy();
  ~Easy();
  Easy(Easy&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  Easy& operator=(Easy&&) = delete;
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  CURL* get() const { return handle_; }

private:
  CURL* handle_;
};

class Multi {
public:
  Multi();
  ~Multi();
  Multi(const Multi&) = delete;
  Multi& operator=(const Multi&) = delete;
  CURLM* get() const { return handle_; }

private:
  CURLM* handle_;
};

// A curl_slist of request headers.
class HeaderList {
public:
  HeaderList() = default;
  ~HeaderList();
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  void append(std::string_view header);
  curl_slist* get() const { return list_; }

private:
  curl_slist* list_ = nullptr;
};

} // namespace prepo::util::curl
