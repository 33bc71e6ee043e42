#include "serve/request_handler.hpp"

#include <gtest/gtest.h>

#include "repo/config.hpp"
#include "support/temp_dir.hpp"
#include "util/file.hpp"

namespace prepo::serve {
namespace {

// A root with a public farm "dev" and a private farm "alice", each with a
// 1,000-byte file, and a token "al" for alice.
class HandlerTest : public test::TempDirTest {
protected:
  void SetUp() override
  {
    TempDirTest::SetUp();
    root_.emplace(repo::Root::create(dir() / "root"));
    auto config = repo::Config::load(*root_);
    config.add_farm({.name = "dev"});
    config.add_farm({.name = "alice", .is_private = true});
    config.add_farm({.name = "bob", .is_private = true});
    config.save(*root_);
    for (const char* farm : {"dev", "alice", "bob"}) {
      util::make_dirs(root_->farm_dir(farm) / "pool");
      util::write_file_atomic(root_->farm_dir(farm) / "pool" / "f.deb", content_,
                              util::Durability::no_flush);
    }
    TokenFile tokens;
    secret_ = tokens.add("al", {"alice"});
    tokens.save(*root_);
    util::write_file_atomic(root_->conf_dir() / "secret", "TOP SECRET", util::Durability::no_flush);
    site_.emplace(*root_, [](const std::string&) {});
  }

  const Response& get(std::string target,
                      std::initializer_list<std::pair<std::string*, std::string>> fields = {},
                      bool tls = false, bool allow_plain = false, Method method = Method::get)
  {
    options_.tls = tls;
    options_.allow_plain_auth = allow_plain;
    options_.local_host = "127.0.0.1:1";
    head_.clear();
    head_.method = method;
    head_.method_text = method == Method::get ? "GET" : method == Method::head ? "HEAD" : "POST";
    head_.target = std::move(target);
    head_.host = "example.org:8080";
    for (auto& [field, value] : fields) {
      *field = value;
    }
    RequestHandler handler(options_);
    handler.handle(head_, site_->current(), false, response_);
    return response_;
  }

  std::string basic(std::string_view user, std::string_view password)
  {
    static constexpr char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::string in = std::string(user) + ":" + std::string(password);
    std::string out = "Basic ";
    for (std::size_t i = 0; i < in.size(); i += 3) {
      std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
      if (i + 1 < in.size())
        v |= static_cast<unsigned char>(in[i + 1]) << 8;
      if (i + 2 < in.size())
        v |= static_cast<unsigned char>(in[i + 2]);
      out += b64[v >> 18];
      out += b64[(v >> 12) & 63];
      out += i + 1 < in.size() ? b64[(v >> 6) & 63] : '=';
      out += i + 2 < in.size() ? b64[v & 63] : '=';
    }
    return out;
  }

  // The body the parts describe, read from the file and the text.
  std::string body() const
  {
    std::string out;
    for (const auto& p : response_.parts) {
      out += p.from_file ? content_.substr(p.offset, p.length)
                         : response_.text.substr(p.offset, p.length);
    }
    return out;
  }

  static bool has(const Response& r, std::string_view field)
  {
    return r.header.find(field) != std::string::npos;
  }

  std::string content_ = [] {
    std::string s;
    for (int i = 0; i < 1000; ++i) {
      s += static_cast<char>('a' + i % 26);
    }
    return s;
  }();
  std::optional<repo::Root> root_;
  std::optional<Site> site_;
  std::string secret_;
  HandlerOptions options_;
  RequestHead head_;
  Response response_;
};

TEST_F(HandlerTest, ServesAWholeFile)
{
  const auto& r = get("/dev/pool/f.deb");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.header.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(has(r, "Content-Length: 1000\r\n"));
  EXPECT_TRUE(has(r, "Content-Type: application/vnd.debian.binary-package\r\n"));
  EXPECT_TRUE(has(r, "Accept-Ranges: bytes\r\n"));
  EXPECT_TRUE(has(r, "ETag: \""));
  EXPECT_TRUE(has(r, "Last-Modified: "));
  EXPECT_TRUE(has(r, "Date: "));
  EXPECT_FALSE(has(r, "Connection: close"));
  EXPECT_TRUE(r.header.ends_with("\r\n\r\n"));
  EXPECT_EQ(body(), content_);
  EXPECT_EQ(r.body_length, 1000u);

  get("/dev/pool/f.deb", {}, false, false, Method::head);
  EXPECT_EQ(response_.status, 200u);
  EXPECT_TRUE(has(response_, "Content-Length: 1000\r\n"));
  EXPECT_TRUE(response_.parts.empty());
}

TEST_F(HandlerTest, ConditionalAndRangeRequests)
{
  get("/dev/pool/f.deb");
  const auto etag_start = response_.header.find("ETag: ") + 6;
  const auto etag =
      response_.header.substr(etag_start, response_.header.find("\r\n", etag_start) - etag_start);
  const auto lm_start = response_.header.find("Last-Modified: ") + 15;
  const auto last_modified =
      response_.header.substr(lm_start, response_.header.find("\r\n", lm_start) - lm_start);

  get("/dev/pool/f.deb", {{&head_.if_none_match, etag}});
  EXPECT_EQ(response_.status, 304u);
  EXPECT_TRUE(response_.parts.empty());
  EXPECT_FALSE(has(response_, "Content-Length"));
  EXPECT_TRUE(has(response_, "ETag: " + etag));
  get("/dev/pool/f.deb", {{&head_.if_modified_since, last_modified}});
  EXPECT_EQ(response_.status, 304u);

  get("/dev/pool/f.deb", {{&head_.range, "bytes=-500"}});
  EXPECT_EQ(response_.status, 206u);
  EXPECT_TRUE(has(response_, "Content-Range: bytes 500-999/1000\r\n"));
  EXPECT_TRUE(has(response_, "Content-Length: 500\r\n"));
  EXPECT_EQ(body(), content_.substr(500));

  get("/dev/pool/f.deb", {{&head_.range, "bytes=0-0,10-12"}});
  EXPECT_EQ(response_.status, 206u);
  EXPECT_TRUE(has(response_, "Content-Type: multipart/byteranges; boundary="));
  const auto b = body();
  EXPECT_TRUE(has(response_, "Content-Length: " + std::to_string(b.size()) + "\r\n"));
  EXPECT_NE(b.find("Content-Range: bytes 0-0/1000\r\n\r\na\r\n--"), std::string::npos) << b;
  EXPECT_NE(b.find("Content-Range: bytes 10-12/1000\r\n\r\nklm\r\n--"), std::string::npos) << b;
  EXPECT_TRUE(b.ends_with("--\r\n"));

  get("/dev/pool/f.deb", {{&head_.range, "bytes=1000-"}});
  EXPECT_EQ(response_.status, 416u);
  EXPECT_TRUE(has(response_, "Content-Range: bytes */1000\r\n"));

  // If-Range with another validator: the whole file.
  get("/dev/pool/f.deb", {{&head_.range, "bytes=0-1"}, {&head_.if_range, "\"old\""}});
  EXPECT_EQ(response_.status, 200u);
  get("/dev/pool/f.deb", {{&head_.range, "bytes=0-1"}, {&head_.if_range, etag}});
  EXPECT_EQ(response_.status, 206u);
  get("/dev/pool/f.deb", {{&head_.range, "bytes=0-1"}, {&head_.if_range, last_modified}});
  EXPECT_EQ(response_.status, 206u);
  // HEAD ignores Range.
  get("/dev/pool/f.deb", {{&head_.range, "bytes=0-1"}}, false, false, Method::head);
  EXPECT_EQ(response_.status, 200u);

  get("/dev/pool/f.deb", {{&head_.if_match, "\"old\""}});
  EXPECT_EQ(response_.status, 412u);
}

TEST_F(HandlerTest, RefusesWhatIsNotAFileOfAFarm)
{
  EXPECT_EQ(get("/dev/pool/f.deb", {}, false, false, Method::other).status, 405u);
  EXPECT_TRUE(has(response_, "Allow: GET, HEAD\r\n"));
  EXPECT_EQ(body(), "405 Method Not Allowed\n"); // the body Content-Length announces
  EXPECT_EQ(get("/dev/../conf/secret").status, 400u);
  EXPECT_EQ(get("/nope/pool/f.deb").status, 404u);
  EXPECT_EQ(get("/dev/pool").status, 404u);        // a directory
  EXPECT_EQ(get("/dev/pool/f.deb/").status, 404u); // a file named as a directory
  EXPECT_EQ(get("/dev/pool/missing").status, 404u);
  EXPECT_EQ(get("/dev").status, 301u);
  EXPECT_TRUE(has(response_, "Location: /dev/\r\n"));
  EXPECT_EQ(get("/dev/").status, 200u);
  EXPECT_EQ(get("/").status, 200u);
  const auto page = body();
  EXPECT_NE(page.find("http://example.org:8080/dev"), std::string::npos) << page;
  EXPECT_EQ(page.find("alice"), std::string::npos) << page; // private farms are not listed
  // A Host that is not a plain host[:port] is not echoed.
  get("/", {{&head_.host, "<script>"}});
  EXPECT_EQ(body().find("<script>"), std::string::npos);
  EXPECT_NE(body().find("http://127.0.0.1:1/dev"), std::string::npos);
}

TEST_F(HandlerTest, PrivateFarmsNeedATokenOverTls)
{
  // Plain HTTP: as if the farm did not exist, and credentials are refused.
  EXPECT_EQ(get("/alice/pool/f.deb").status, 404u);
  EXPECT_EQ(get("/alice/pool/f.deb", {{&head_.authorization, basic("al", secret_)}}).status, 403u);
  EXPECT_EQ(get("/dev/pool/f.deb", {{&head_.authorization, basic("al", secret_)}}).status, 403u);

  EXPECT_EQ(get("/alice/pool/f.deb", {}, true).status, 401u);
  EXPECT_TRUE(has(response_, "WWW-Authenticate: Basic realm=\"prepo\""));
  EXPECT_EQ(response_.header.find("alice"), std::string::npos);
  EXPECT_EQ(body().find("alice"), std::string::npos);
  EXPECT_EQ(get("/alice/pool/f.deb", {{&head_.authorization, basic("al", "wrong")}}, true).status,
            401u);
  EXPECT_EQ(
      get("/alice/pool/f.deb", {{&head_.authorization, basic("nobody", secret_)}}, true).status,
      401u);
  EXPECT_EQ(get("/alice/pool/f.deb", {{&head_.authorization, "Bearer " + secret_}}, true).status,
            401u);
  // A valid token not granted this farm: not disclosed.
  EXPECT_EQ(get("/bob/pool/f.deb", {{&head_.authorization, basic("al", secret_)}}, true).status,
            404u);
  EXPECT_EQ(get("/nope/pool/f.deb", {{&head_.authorization, basic("al", secret_)}}, true).status,
            404u);

  EXPECT_EQ(get("/alice/pool/f.deb", {{&head_.authorization, basic("al", secret_)}}, true).status,
            200u);
  EXPECT_EQ(response_.user, "al");
  EXPECT_TRUE(has(response_, "Cache-Control: private\r\n"));
  EXPECT_EQ(body(), content_);
  // --allow-plain-auth: the same over plain HTTP.
  EXPECT_EQ(
      get("/alice/pool/f.deb", {{&head_.authorization, basic("al", secret_)}}, false, true).status,
      200u);
  EXPECT_EQ(get("/alice/pool/f.deb", {}, false, true).status, 401u);
}

TEST_F(HandlerTest, RevokedTokensStopWorkingAtOnce)
{
  const std::string auth = basic("al", secret_);
  EXPECT_EQ(get("/alice/pool/f.deb", {{&head_.authorization, auth}}, true).status, 200u);
  auto tokens = TokenFile::load(*root_);
  tokens.revoke("al");
  tokens.save(*root_);
  site_->check(); // what the server does when inotify reports the change
  EXPECT_EQ(get("/alice/pool/f.deb", {{&head_.authorization, auth}}, true).status, 401u);
}

TEST_F(HandlerTest, Http10ClosesAndErrorsClose)
{
  head_.clear();
  get("/dev/pool/f.deb", {{&head_.method_text, "GET"}});
  head_.keep_alive = false;
  RequestHandler handler(options_);
  handler.handle(head_, site_->current(), false, response_);
  EXPECT_TRUE(response_.close);
  EXPECT_TRUE(has(response_, "Connection: close\r\n"));
  head_.version = 10;
  head_.keep_alive = true;
  handler.handle(head_, site_->current(), false, response_);
  EXPECT_FALSE(response_.close);
  EXPECT_TRUE(has(response_, "Connection: keep-alive\r\n"));
  handler.error(431, response_);
  EXPECT_TRUE(response_.header.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_TRUE(response_.close);
}

} // namespace
} // namespace prepo::serve
