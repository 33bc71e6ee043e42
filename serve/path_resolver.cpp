#include "serve/path_resolver.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "repo/names.hpp"

namespace prepo::serve {

namespace {

constexpr std::size_t max_path = 4096;
constexpr std::size_t max_segment = 255;

int hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Checks one decoded segment (not the last empty one of "dir/").
TargetCheck check_segment(std::string_view segment)
{
  if (segment.empty() || segment == "." || segment == ".." || segment.size() > max_segment) {
    return TargetCheck::bad_request;
  }
  if (segment.front() == '.') {
    return TargetCheck::not_found;
  }
  return TargetCheck::ok;
}

} // namespace

bool is_valid_utf8(std::string_view bytes)
{
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false; // a continuation byte first, or 0xF8..0xFF
    }
    if (i + n >= bytes.size()) {
      return false; // truncated sequence
    }
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms (0xC0 0xAE for '.') are how "%c0%ae%c0%ae" would hide "..".
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

TargetCheck check_target(std::string_view raw, Target& out)
{
  out.clear();
  if (raw.empty() || raw.front() != '/' || raw.size() > max_path) {
    return TargetCheck::bad_request;
  }
  if (const auto q = raw.find('?'); q != std::string_view::npos) {
    raw = raw.substr(0, q);
  }
  if (raw.find('#') != std::string_view::npos) {
    return TargetCheck::bad_request;
  }
  // Decode once into out.path (reused capacity), checking every byte.
  std::string& decoded = out.path;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) {
        return TargetCheck::bad_request;
      }
      const int hi = hex_value(raw[i + 1]);
      const int lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) {
        return TargetCheck::bad_request;
      }
      c = static_cast<char>(hi * 16 + lo);
      if (c == '/') {
        return TargetCheck::bad_request; // an escaped separator means nothing here
      }
      i += 2;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '\\') {
      return TargetCheck::bad_request;
    }
    decoded.push_back(c);
  }
  if (!is_valid_utf8(decoded)) {
    return TargetCheck::bad_request;
  }
  // decoded starts with '/'. Walk its segments.
  std::string_view rest = std::string_view(decoded).substr(1);
  if (rest.empty()) {
    decoded.clear();
    out.trailing_slash = true;
    return TargetCheck::ok; // "/": the root page
  }
  TargetCheck worst = TargetCheck::ok;
  std::size_t start = 0;
  std::size_t index = 0;
  while (true) {
    const auto slash = rest.find('/', start);
    const auto segment =
        rest.substr(start, slash == std::string_view::npos ? rest.npos : slash - start);
    const bool last_empty = slash == std::string_view::npos && segment.empty();
    if (!last_empty) {
      const auto check = check_segment(segment);
      if (check == TargetCheck::bad_request) {
        return check;
      }
      if (check == TargetCheck::not_found) {
        worst = check;
      }
      if (index == 0 && !repo::is_valid_simple_name(segment)) {
        worst = TargetCheck::not_found;
      }
    }
    if (slash == std::string_view::npos) {
      out.trailing_slash = last_empty;
      break;
    }
    start = slash + 1;
    ++index;
  }
  if (worst != TargetCheck::ok) {
    return worst;
  }
  const auto farm_end = rest.find('/');
  out.farm.assign(rest.substr(0, farm_end));
  if (farm_end == std::string_view::npos) {
    decoded.clear();
  } else {
    decoded.erase(0, farm_end + 2); // "/" + farm + "/"
    if (!decoded.empty() && decoded.back() == '/') {
      decoded.pop_back();
    }
  }
  return TargetCheck::ok;
}

util::Fd open_beneath(int dir_fd, const std::string& path)
{
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK; // O_NONBLOCK: a FIFO cannot hang us
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const char* name = path.empty() ? "." : path.c_str();
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, dir_fd, name, &how, sizeof how));
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return util::Fd(fd);
}

} // namespace prepo::serve
