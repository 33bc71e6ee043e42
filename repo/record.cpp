#include "repo/record.hpp"

#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"

namespace prepo::repo {

std::string Record::encode() const
{
  util::ByteWriter w;
  w.u8(1); // encoding version
  w.u8(static_cast<std::uint8_t>(type));
  w.str(name).str(version).str(architecture).str(component).str(stanza);
  w.varint(files.size());
  for (const auto& file : files) {
    w.str(file.pool_path).str(file.sha256).varint(file.size);
  }
  return std::move(w).bytes();
}

Record Record::decode(std::string_view bytes)
{
  util::ByteReader r(bytes, "record");
  if (r.u8() != 1) {
    throw util::Error("database: record of an unknown encoding version");
  }
  Record rec;
  rec.type = static_cast<RecordType>(r.u8());
  rec.name = r.str();
  rec.version = r.str();
  rec.architecture = r.str();
  rec.component = r.str();
  rec.stanza = r.str();
  auto n = r.varint();
  rec.files.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    RecordFile f;
    f.pool_path = r.str();
    f.sha256 = r.str();
    f.size = r.varint();
    rec.files.push_back(std::move(f));
  }
  r.expect_end();
  return rec;
}

RecordView view_record(std::string_view encoded)
{
  util::ByteReader r(encoded, "record");
  if (r.u8() != 1) {
    throw util::Error("database: record of an unknown encoding version");
  }
  r.u8();  // type
  r.str(); // name
  RecordView view;
  view.version = r.str();
  view.architecture = r.str();
  r.str(); // component
  view.stanza = r.str();
  return view;
}

std::string Record::id() const
{
  return util::sha256_hex(encode());
}

std::string slot_key(std::string_view component, RecordType type, std::string_view name,
                     std::string_view architecture)
{
  std::string key;
  key.reserve(component.size() + name.size() + architecture.size() + 4);
  key.append(component).push_back('\0');
  key.push_back(static_cast<char>(type));
  key.push_back('\0');
  key.append(name).push_back('\0');
  key.append(architecture);
  return key;
}

SlotKey parse_slot_key(std::string_view key)
{
  SlotKey out;
  auto take = [&key]() {
    auto nul = key.find('\0');
    auto part = key.substr(0, nul);
    key = nul == std::string_view::npos ? std::string_view() : key.substr(nul + 1);
    return part;
  };
  out.component = take();
  auto type = take();
  out.type = type.empty() ? RecordType::binary : static_cast<RecordType>(type.front());
  out.name = take();
  out.architecture = take();
  return out;
}

} // namespace prepo::repo
