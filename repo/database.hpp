// prepo's LMDB schema. Every table, its key and its value:
//   records     record id (hex)               -> Record encoding
//   recordrefs  record id (hex)               -> refcount
//   slots       farm NUL dist NUL slot key     -> record id
//   farms       farm                           -> FarmState
//   generations farm NUL be64(number)          -> Generation
//   poolrefs    farm NUL pool path             -> sha256, refcount
//   objects     sha256                         -> refcount, size
//   pending     root-relative path             -> "" (to unlink after commit)
//   published   farm NUL dist                  -> PublishedDist
//   chunks      format NUL chunk key           -> refcount, CompressedChunk
//   origins     record id (hex)               -> Origin (imported records only)
//   imports     farm NUL dist                  -> ImportMark (the last complete import-mirror)
//   retired     farm NUL pool path             -> sha256 (a name no kept generation holds now)
// Reference counts make "which files are unreferenced" a lookup, never a
// scan: a pool path counts the slots that hold it now plus the generations
// kept for rollback that held it before (see farm_update.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/record.hpp"
#include "repo/release_file.hpp"
#include "repo/root.hpp"
#include "util/compress.hpp"
#include "util/hash.hpp"
#include "util/lmdb.hpp"

namespace prepo::repo {

struct FarmState {
  std::uint64_t current = 0;        // newest generation; 0 is the empty farm
  std::uint64_t published = 0;      // generation the public tree shows
  std::uint64_t oldest_kept = 0;    // oldest generation still recorded
  std::uint64_t publish_wanted = 0; // a command that asked to publish committed this one
  bool ever_published = false;
  // The oldest generation an older retained dists/<dist>@N directory (not a
  // current one) still shows: clients may read it, so its pool files (its
  // generations) must stay.
  std::uint64_t oldest_shown = 0;
};

struct Change {
  std::string dist;
  std::string slot;   // slot_key()
  std::string old_id; // "" when the slot was empty
  std::string new_id; // "" when the slot was emptied
};

struct Generation {
  std::uint64_t number = 0;
  std::int64_t time = 0;
  std::string command;
  std::vector<Change> changes;
};

// A stored file. Only SHA256 (its name) and size are kept: the other
// digests live in the index stanzas that publish it.
struct ObjectInfo {
  std::string sha256;
  std::uint64_t size = 0;
  std::uint64_t refcount = 0;
};

// Where an imported record's bytes came from. Kept beside the record rather
// than in it: a package imported and the same package built here are one
// record, so including it again stays a no-op.
struct Origin {
  std::string url;
  std::int64_t time = 0;
};

// What the last complete import-mirror into a distribution saw: while the
// mirror's verified Release is the same and the farm has not changed since,
// a rerun has nothing to do and need not read the indexes.
struct ImportMark {
  std::string source;           // mirror URL NUL remote dist
  std::string release_sha256;   // of the verified Release text
  std::uint64_t generation = 0; // the farm's generation after that import
  // The distribution's slots then, which a rerun reports as held: counting
  // them again would map most of the database file into the process (its
  // leaf pages are spread through it). Absent in marks written before it.
  std::optional<std::uint64_t> slots;
};

struct PublishedIndex {
  std::string path;        // relative to dists/<dist>/, e.g. "main/binary-amd64/Packages"
  std::string content_key; // digest of the record ids it lists
  util::Checksums plain, gz, xz;
  std::vector<std::string> chunk_keys; // its compressed chunks, in order
};

struct PublishedDist {
  std::uint64_t generation = 0; // its directory is dists/<dist>@<generation>
  std::string config_digest;
  std::int64_t date = 0; // the Release Date
  std::vector<PublishedIndex> indexes;
  // Files listed by this and the previous publishes (newest first, at most
  // three): by-hash keeps them so a client between InRelease and indexes
  // never sees a hash mismatch.
  std::vector<std::vector<ReleaseEntry>> recent;
  std::vector<std::string> directories; // retained dists/<dist>@N names, newest first
};

class Database {
public:
  static void create(const Root& root);
  Database(const Root& root, bool read_only);
  util::lmdb::Env& env() { return env_; }

private:
  util::lmdb::Env env_;
};

class DbTxn {
public:
  DbTxn(Database& db, util::lmdb::Txn::Mode mode);

  std::optional<Record> record(std::string_view id) const;
  // The encoded record, valid until the transaction ends or writes it.
  std::optional<std::string_view> record_bytes(std::string_view id) const;
  std::uint64_t record_refcount(std::string_view id) const;
  // Adds `delta` references to a record, storing it on first reference and
  // deleting it when none is left.
  void ref_record(const std::string& id, const Record* record, std::int64_t delta);
  // Stores records ahead of their first reference (those stored already
  // are skipped); ref_record then only counts. `by_id` must be in
  // ascending id order.
  void store_records(const std::vector<std::pair<std::string_view, const Record*>>& by_id);

  std::optional<Origin> origin(std::string_view record_id) const;
  // Dropped with the record's last reference.
  void put_origin(std::string_view record_id, const Origin& origin);

  std::optional<ImportMark> import_mark(std::string_view farm, std::string_view dist) const;
  void put_import_mark(std::string_view farm, std::string_view dist, const ImportMark& mark);

  std::optional<std::string> slot(std::string_view farm, std::string_view dist,
                                  std::string_view slot) const;
  void set_slot(std::string_view farm, std::string_view dist, std::string_view slot,
                std::string_view id);
  void clear_slot(std::string_view farm, std::string_view dist, std::string_view slot);
  // fn(slot key, record id); `prefix` narrows to a component or component+type.
  void for_each_slot(std::string_view farm, std::string_view dist, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const;

  FarmState farm_state(std::string_view farm) const;
  void put_farm_state(std::string_view farm, const FarmState& state);

  std::optional<Generation> generation(std::string_view farm, std::uint64_t number) const;
  void put_generation(std::string_view farm, const Generation& generation);
  void delete_generation(std::string_view farm, std::uint64_t number);

  struct PoolRef {
    std::string sha256;
    std::uint64_t refcount = 0;
  };
  std::optional<PoolRef> pool_ref(std::string_view farm, std::string_view path) const;
  void put_pool_ref(std::string_view farm, std::string_view path, const PoolRef& ref);
  void delete_pool_ref(std::string_view farm, std::string_view path);
  void for_each_pool_ref(std::string_view farm,
                         const std::function<bool(std::string_view, const PoolRef&)>& fn) const;

  // The bytes a pool name stands for: those it holds now, else those it
  // held when the last generation holding it was dropped. A name keeps its
  // bytes for the farm's life (the brief's first invariant: a mirror or a
  // client that once fetched it must never see other bytes under it), so
  // the clash checks ask this, not pool_ref.
  struct PoolName {
    std::string sha256;
    bool retired = false; // no kept generation holds it now
  };
  std::optional<PoolName> pool_name(std::string_view farm, std::string_view path) const;
  void retire_pool_name(std::string_view farm, std::string_view path, std::string_view sha256);
  // The name is held again: its bytes are in poolrefs.
  void revive_pool_name(std::string_view farm, std::string_view path);

  std::optional<ObjectInfo> object(std::string_view sha256) const;
  void put_object(const ObjectInfo& info);
  // The object's record goes, and its store file (store/<2 hex>/<sha256>)
  // gets a pending unlink: the file goes once the transaction commits.
  void delete_object(std::string_view sha256);
  void for_each_object(const std::function<bool(const ObjectInfo&)>& fn) const;

  void add_pending_unlink(std::string_view root_relative_path);
  std::vector<std::string> pending_unlinks() const;
  void clear_pending_unlink(std::string_view root_relative_path);

  std::optional<PublishedDist> published(std::string_view farm, std::string_view dist) const;
  void put_published(std::string_view farm, std::string_view dist, const PublishedDist& info);

  std::optional<util::CompressedChunk> chunk(util::Compression c, std::string_view key) const;
  // A chunk is referenced by the published indexes made of it (in any farm,
  // so a promoted farm reuses its child's compressed chunks); it is stored
  // with its first reference and dropped with its last.
  void ref_chunk(util::Compression c, std::string_view key, const util::CompressedChunk* chunk,
                 std::int64_t delta);

  void commit();
  util::lmdb::Txn& raw() { return txn_; }

private:
  util::lmdb::Txn txn_;
  util::lmdb::Dbi records_, recordrefs_, slots_, farms_, generations_, poolrefs_, objects_,
      pending_, published_, chunks_, meta_, origins_, imports_, retired_;
};

} // namespace prepo::repo
