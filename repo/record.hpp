// A record is one package as one distribution publishes it: its index
// stanza, ready to write, and the pool files it needs. Records are immutable
// and content-addressed (their id is the SHA256 of their encoding), so two
// farms holding the same package share one record, and comparing two farms
// is comparing ids.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace prepo::repo {

enum class RecordType : char { binary = 'b', udeb = 'u', source = 's' };

struct RecordFile {
  std::string pool_path; // relative to the farm's published root: "pool/skaro/main/a/a/a_1_all.deb"
  std::string sha256;    // hex; the object in the content store
  std::uint64_t size = 0;
};

struct Record {
  RecordType type = RecordType::binary;
  std::string name;
  std::string version;
  std::string architecture; // "source" for source packages
  std::string component;
  std::string stanza; // "Field: value\n"... in index order, without the blank separator line
  std::vector<RecordFile> files;

  std::string encode() const;
  static Record decode(std::string_view bytes);
  // Hex SHA256 of encode().
  std::string id() const;
};

// The fields an index needs, as views into an encoded record (no copy:
// publishing streams thousands of stanzas straight from the database map).
struct RecordView {
  std::string_view version;
  std::string_view architecture;
  std::string_view stanza;
};
RecordView view_record(std::string_view encoded);

// The key of a package slot in a distribution: component, type, name,
// architecture, separated by NUL. Binary slots of one component sort
// together, by name.
std::string slot_key(std::string_view component, RecordType type, std::string_view name,
                     std::string_view architecture);
struct SlotKey {
  std::string component;
  RecordType type;
  std::string name;
  std::string architecture;
};
SlotKey parse_slot_key(std::string_view key);

} // namespace prepo::repo
