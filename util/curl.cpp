#include "util/curl.hpp"

#include <new>
#include <string>

#include <curl/curl.h>

#include "util/error.hpp"

namespace prepo::util::curl {

void ensure_initialised()
{
  static const CURLcode status = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (status != CURLE_OK) {
    throw Error("libcurl: initialisation failed: {}", curl_easy_strerror(status));
  }
}

Easy::Easy()
{
  ensure_initialised();
  handle_ = curl_easy_init();
  if (!handle_) {
    throw std::bad_alloc();
  }
}

Easy::~Easy()
{
  if (handle_) {
    curl_easy_cleanup(handle_);
  }
}

Multi::Multi()
{
  ensure_initialised();
  handle_ = curl_multi_init();
  if (!handle_) {
    throw std::bad_alloc();
  }
}

Multi::~Multi()
{
  curl_multi_cleanup(handle_);
}

HeaderList::~HeaderList()
{
  curl_slist_free_all(list_);
}

void HeaderList::append(std::string_view header)
{
  auto* list = curl_slist_append(list_, std::string(header).c_str());
  if (!list) {
    throw std::bad_alloc();
  }
  list_ = list;
}

} // namespace prepo::util::curl
