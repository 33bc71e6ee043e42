#include "util/bytes.hpp"

#include "util/error.hpp"

namespace prepo::util {

ByteWriter& ByteWriter::varint(std::uint64_t v)
{
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
  return *this;
}

std::uint8_t ByteReader::u8()
{
  if (in_.empty()) {
    corrupt();
  }
  auto v = static_cast<std::uint8_t>(in_.front());
  in_.remove_prefix(1);
  return v;
}

std::uint64_t ByteReader::varint()
{
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    auto byte = u8();
    v |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      return v;
    }
  }
  corrupt();
}

std::string_view ByteReader::str()
{
  auto n = varint();
  if (n > in_.size()) {
    corrupt();
  }
  auto s = in_.substr(0, n);
  in_.remove_prefix(n);
  return s;
}

void ByteReader::expect_end() const
{
  if (!in_.empty()) {
    corrupt();
  }
}

void ByteReader::corrupt() const
{
  throw Error("database: corrupt {} value", what_);
}

std::string be64(std::uint64_t v)
{
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::uint64_t from_be64(std::string_view bytes)
{
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

} // namespace prepo::util
