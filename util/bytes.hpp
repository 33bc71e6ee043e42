// A compact binary encoding for database values: varints and length-
// prefixed strings. Readers throw Error on truncated or malformed input
// instead of reading past the end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace prepo::util {

class ByteWriter {
public:
  ByteWriter& u8(std::uint8_t v)
  {
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  ByteWriter& varint(std::uint64_t v);
  ByteWriter& str(std::string_view s)
  {
    varint(s.size());
    out_.append(s);
    return *this;
  }
  const std::string& bytes() const& { return out_; }
  std::string bytes() && { return std::move(out_); }

private:
  std::string out_;
};

class ByteReader {
public:
  ByteReader(std::string_view in, std::string_view what) : in_(in), what_(what) {}
  std::uint8_t u8();
  std::uint64_t varint();
  std::string_view str();
  bool at_end() const { return in_.empty(); }
  void expect_end() const;

private:
  [[noreturn]] void corrupt() const;
  std::string_view in_;
  std::string_view what_;
};

// Big-endian fixed width, so that numeric keys sort in LMDB's byte order.
std::string be64(std::uint64_t v);
std::uint64_t from_be64(std::string_view bytes);

} // namespace prepo::util
