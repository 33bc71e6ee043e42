#include "repo/record.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/error.hpp"
#include "util/hash.hpp"

using prepo::repo::parse_slot_key;
using prepo::repo::Record;
using prepo::repo::RecordFile;
using prepo::repo::RecordType;
using prepo::repo::slot_key;
using prepo::util::Error;

namespace {

Record sample_binary()
{
  Record r;
  r.type = RecordType::binary;
  r.name = "hello";
  r.version = "1:2.10-3";
  r.architecture = "amd64";
  r.component = "main";
  r.stanza = "Package: hello\nVersion: 1:2.10-3\nArchitecture: amd64\n"
             "Filename: pool/skaro/main/h/hello/hello_2.10-3_amd64.deb\n";
  r.files.push_back(
      {"pool/skaro/main/h/hello/hello_2.10-3_amd64.deb", std::string(64, 'a'), 123456});
  return r;
}

Record sample_source()
{
  Record r;
  r.type = RecordType::source;
  r.name = "hello";
  r.version = "2.10-3";
  r.architecture = "source";
  r.component = "contrib";
  r.stanza = "Package: hello\nBinary: hello\n";
  r.files.push_back({"pool/skaro/contrib/h/hello/hello_2.10-3.dsc", std::string(64, '1'), 900});
  r.files.push_back(
      {"pool/skaro/contrib/h/hello/hello_2.10.orig.tar.gz", std::string(64, '2'), 1u << 20});
  r.files.push_back({"pool/skaro/contrib/h/hello/hello_2.10-3.debian.tar.xz", std::string(64, '3'),
                     std::uint64_t{1} << 40});
  return r;
}

void expect_equal(const Record& a, const Record& b)
{
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.component, b.component);
  EXPECT_EQ(a.stanza, b.stanza);
  ASSERT_EQ(a.files.size(), b.files.size());
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    EXPECT_EQ(a.files[i].pool_path, b.files[i].pool_path);
    EXPECT_EQ(a.files[i].sha256, b.files[i].sha256);
    EXPECT_EQ(a.files[i].size, b.files[i].size);
  }
}

} // namespace

TEST(Record, EncodeDecodeRoundTrip)
{
  for (const auto& original : {sample_binary(), sample_source()}) {
    const auto decoded = Record::decode(original.encode());
    expect_equal(decoded, original);
    EXPECT_EQ(decoded.encode(), original.encode());
    EXPECT_EQ(decoded.id(), original.id());
  }
}

TEST(Record, RoundTripOfEveryTypeAndEmptyFields)
{
  for (auto type : {RecordType::binary, RecordType::udeb, RecordType::source}) {
    Record r;
    r.type = type;
    const auto decoded = Record::decode(r.encode());
    expect_equal(decoded, r);
  }
  Record with_nul = sample_binary();
  with_nul.stanza = std::string("odd\0stanza\n", 11);
  expect_equal(Record::decode(with_nul.encode()), with_nul);
}

TEST(Record, DecodeRefusesTruncatedTrailingAndUnknownVersion)
{
  const auto bytes = sample_source().encode();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(Record::decode(bytes.substr(0, n)), Error) << "prefix of " << n << " bytes";
  }
  EXPECT_THROW(Record::decode(bytes + "x"), Error);
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_THROW(Record::decode(other_version), Error);
}

TEST(Record, IdIsSha256OfEncodingAndStable)
{
  const auto r = sample_binary();
  EXPECT_EQ(r.id(), prepo::util::sha256_hex(r.encode()));
  EXPECT_EQ(r.id().size(), 64u);
  EXPECT_EQ(r.id(), sample_binary().id());
  const Record copy = r;
  EXPECT_EQ(copy.id(), r.id());
  // Pinned: an encoding change would silently make every stored id
  // unreachable, so it must be a deliberate, visible change.
  Record minimal;
  minimal.name = "a";
  EXPECT_EQ(minimal.encode(), std::string("\x01"
                                          "b\x01"
                                          "a\x00\x00\x00\x00\x00",
                                          9));
}

TEST(Record, IdChangesWithEveryField)
{
  const auto base = sample_source();
  const auto base_id = base.id();
  std::vector<Record> variants;
  auto vary = [&](auto change) {
    Record r = base;
    change(r);
    variants.push_back(std::move(r));
  };
  vary([](Record& r) { r.type = RecordType::udeb; });
  vary([](Record& r) { r.name = "hellp"; });
  vary([](Record& r) { r.version = "2.10-4"; });
  vary([](Record& r) { r.architecture = "amd64"; });
  vary([](Record& r) { r.component = "main"; });
  vary([](Record& r) { r.stanza += "X: y\n"; });
  vary([](Record& r) { r.files[0].pool_path += "x"; });
  vary([](Record& r) { r.files[1].sha256[0] = 'f'; });
  vary([](Record& r) { r.files[2].size += 1; });
  vary([](Record& r) { r.files.pop_back(); });
  vary([](Record& r) { std::swap(r.files[0], r.files[1]); });
  // Field boundaries matter: moving a byte from one field to the next is
  // another record.
  vary([](Record& r) {
    r.name = "hell";
    r.version = "o2.10-3";
  });
  std::vector<std::string> ids{base_id};
  for (const auto& v : variants) {
    EXPECT_NE(v.id(), base_id);
    ids.push_back(v.id());
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "two variants share an id";
}

TEST(SlotKey, RoundTrip)
{
  for (auto type : {RecordType::binary, RecordType::udeb, RecordType::source}) {
    const auto key = slot_key("non-free", type, "libfoo1.2+b", "arm64");
    const auto parsed = parse_slot_key(key);
    EXPECT_EQ(parsed.component, "non-free");
    EXPECT_EQ(parsed.type, type);
    EXPECT_EQ(parsed.name, "libfoo1.2+b");
    EXPECT_EQ(parsed.architecture, "arm64");
    EXPECT_EQ(slot_key(parsed.component, parsed.type, parsed.name, parsed.architecture), key);
  }
}

TEST(SlotKey, Layout)
{
  EXPECT_EQ(slot_key("main", RecordType::source, "hello", "source"),
            std::string("main\0s\0hello\0source", 19));
}

TEST(SlotKey, BinarySlotsOfAComponentSortTogetherByName)
{
  const std::vector<std::string> names = {"a",         "a0",     "aa",    "ab",   "b", "hello",
                                          "hello-doc", "hello2", "lib+x", "libz", "z", "zz"};
  std::vector<std::string> keys;
  for (const auto& component : {"contrib", "main", "main-extra"}) {
    for (auto type : {RecordType::binary, RecordType::source, RecordType::udeb}) {
      for (const auto& name : names) {
        for (const auto& arch : {"all", "amd64", "i386"}) {
          keys.push_back(slot_key(component, type, name, arch));
        }
      }
    }
  }
  std::sort(keys.begin(), keys.end()); // LMDB's byte order

  // Each (component, type) group is one contiguous run, and within it the
  // names come in name order, architectures in order within a name.
  std::vector<std::pair<std::string, RecordType>> groups;
  std::vector<std::string> names_in_group;
  auto check_group = [&] {
    std::vector<std::string> sorted = names_in_group;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(names_in_group, sorted);
    names_in_group.clear();
  };
  for (const auto& key : keys) {
    const auto parsed = parse_slot_key(key);
    const std::pair group(parsed.component, parsed.type);
    if (groups.empty() || groups.back() != group) {
      check_group();
      EXPECT_EQ(std::find(groups.begin(), groups.end(), group), groups.end())
          << "group " << parsed.component << "/" << static_cast<char>(parsed.type) << " is split";
      groups.push_back(group);
    }
    names_in_group.push_back(parsed.name);
  }
  check_group();
  EXPECT_EQ(groups.size(), 9u);

  // A prefix made of the component and type selects exactly that group.
  const auto prefix = slot_key("main", RecordType::binary, "", "");
  const auto type_prefix = prefix.substr(0, prefix.size() - 1);
  std::size_t in_prefix = 0;
  for (const auto& key : keys) {
    if (key.starts_with(type_prefix)) {
      ++in_prefix;
      EXPECT_EQ(parse_slot_key(key).component, "main");
      EXPECT_EQ(parse_slot_key(key).type, RecordType::binary);
    }
  }
  EXPECT_EQ(in_prefix, names.size() * 3);
}

TEST(SlotKey, ShorterNameSortsBeforeItsExtensions)
{
  // "hello" and all its architectures come before "hello-doc" and "hello2".
  EXPECT_LT(slot_key("main", RecordType::binary, "hello", "zzz"),
            slot_key("main", RecordType::binary, "hello-doc", "all"));
  EXPECT_LT(slot_key("main", RecordType::binary, "hello", "zzz"),
            slot_key("main", RecordType::binary, "hello2", "all"));
  EXPECT_LT(slot_key("main", RecordType::binary, "a", "amd64"),
            slot_key("main", RecordType::binary, "b", "all"));
}

TEST(RecordView, ViewsArchitectureAndStanzaOfTheEncoding)
{
  for (const auto& r : {sample_binary(), sample_source()}) {
    const auto bytes = r.encode();
    const auto view = prepo::repo::view_record(bytes);
    EXPECT_EQ(view.architecture, r.architecture);
    EXPECT_EQ(view.stanza, r.stanza);
    // Views into the encoding, not copies.
    EXPECT_GE(view.stanza.data(), bytes.data());
    EXPECT_LE(view.stanza.data() + view.stanza.size(), bytes.data() + bytes.size());
  }
}

TEST(RecordView, RefusesTruncatedAndUnknownVersion)
{
  const auto r = sample_binary();
  const auto bytes = r.encode();
  // Every cut before the end of the stanza is refused.
  const auto stanza_end = bytes.find(r.stanza) + r.stanza.size();
  for (std::size_t n = 0; n < stanza_end; ++n) {
    EXPECT_THROW(prepo::repo::view_record(bytes.substr(0, n)), Error) << n;
  }
  std::string other_version = bytes;
  other_version[0] = 7;
  EXPECT_THROW(prepo::repo::view_record(other_version), Error);
}
