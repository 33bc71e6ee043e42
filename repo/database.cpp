#include "repo/database.hpp"

#include "pool/store.hpp"

#include "util/bytes.hpp"
#include "util/error.hpp"

namespace prepo::repo {

namespace lmdb = util::lmdb;

namespace {

constexpr std::string_view schema_version = "2";
constexpr const char* table_names[] = {
    "records", "recordrefs", "slots",  "farms", "generations", "poolrefs", "objects",
    "pending", "published",  "chunks", "meta",  "origins",     "imports",  "retired"};

std::string key2(std::string_view a, std::string_view b)
{
  std::string key;
  key.reserve(a.size() + b.size() + 1);
  key.append(a).push_back('\0');
  key.append(b);
  return key;
}

std::string key3(std::string_view a, std::string_view b, std::string_view c)
{
  return key2(key2(a, b), c);
}

void write_checksums(util::ByteWriter& w, const util::Checksums& c)
{
  w.varint(c.size).str(c.md5).str(c.sha1).str(c.sha256).str(c.sha512);
}

util::Checksums read_checksums(util::ByteReader& r)
{
  util::Checksums c;
  c.size = r.varint();
  c.md5 = r.str();
  c.sha1 = r.str();
  c.sha256 = r.str();
  c.sha512 = r.str();
  return c;
}

std::string encode(const FarmState& s)
{
  util::ByteWriter w;
  w.varint(s.current).varint(s.published).varint(s.oldest_kept).varint(s.publish_wanted);
  w.u8(s.ever_published ? 1 : 0);
  w.varint(s.oldest_shown);
  return std::move(w).bytes();
}

FarmState decode_farm_state(std::string_view bytes)
{
  util::ByteReader r(bytes, "farm state");
  FarmState s;
  s.current = r.varint();
  s.published = r.varint();
  s.oldest_kept = r.varint();
  s.publish_wanted = r.varint();
  s.ever_published = r.u8() != 0;
  s.oldest_shown = r.varint();
  return s;
}

std::string encode(const Generation& g)
{
  util::ByteWriter w;
  w.varint(g.number).varint(static_cast<std::uint64_t>(g.time)).str(g.command);
  w.varint(g.changes.size());
  for (const auto& c : g.changes) {
    w.str(c.dist).str(c.slot).str(c.old_id).str(c.new_id);
  }
  return std::move(w).bytes();
}

Generation decode_generation(std::string_view bytes)
{
  util::ByteReader r(bytes, "generation");
  Generation g;
  g.number = r.varint();
  g.time = static_cast<std::int64_t>(r.varint());
  g.command = r.str();
  auto n = r.varint();
  g.changes.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    Change c;
    c.dist = r.str();
    c.slot = r.str();
    c.old_id = r.str();
    c.new_id = r.str();
    g.changes.push_back(std::move(c));
  }
  return g;
}

std::string encode(const PublishedDist& p)
{
  util::ByteWriter w;
  w.varint(p.generation).str(p.config_digest).varint(static_cast<std::uint64_t>(p.date));
  w.varint(p.indexes.size());
  for (const auto& index : p.indexes) {
    w.str(index.path).str(index.content_key);
    write_checksums(w, index.plain);
    write_checksums(w, index.gz);
    write_checksums(w, index.xz);
    w.varint(index.chunk_keys.size());
    for (const auto& key : index.chunk_keys) {
      w.str(key);
    }
  }
  w.varint(p.recent.size());
  for (const auto& entries : p.recent) {
    w.varint(entries.size());
    for (const auto& e : entries) {
      w.str(e.path);
      write_checksums(w, e.checksums);
    }
  }
  w.varint(p.directories.size());
  for (const auto& d : p.directories) {
    w.str(d);
  }
  return std::move(w).bytes();
}

PublishedDist decode_published(std::string_view bytes)
{
  util::ByteReader r(bytes, "published distribution");
  PublishedDist p;
  p.generation = r.varint();
  p.config_digest = r.str();
  p.date = static_cast<std::int64_t>(r.varint());
  auto n = r.varint();
  for (std::uint64_t i = 0; i < n; ++i) {
    PublishedIndex index;
    index.path = r.str();
    index.content_key = r.str();
    index.plain = read_checksums(r);
    index.gz = read_checksums(r);
    index.xz = read_checksums(r);
    auto chunks = r.varint();
    for (std::uint64_t j = 0; j < chunks; ++j) {
      index.chunk_keys.emplace_back(r.str());
    }
    p.indexes.push_back(std::move(index));
  }
  auto sets = r.varint();
  for (std::uint64_t i = 0; i < sets; ++i) {
    std::vector<ReleaseEntry> entries;
    auto m = r.varint();
    for (std::uint64_t j = 0; j < m; ++j) {
      ReleaseEntry e;
      e.path = r.str();
      e.checksums = read_checksums(r);
      entries.push_back(std::move(e));
    }
    p.recent.push_back(std::move(entries));
  }
  auto dirs = r.varint();
  for (std::uint64_t i = 0; i < dirs; ++i) {
    p.directories.emplace_back(r.str());
  }
  return p;
}

std::string encode_refcounted(std::uint64_t refcount, std::string_view payload)
{
  util::ByteWriter w;
  w.varint(refcount).str(payload);
  return std::move(w).bytes();
}

std::pair<std::uint64_t, std::string_view> decode_refcounted(std::string_view bytes,
                                                             std::string_view what)
{
  util::ByteReader r(bytes, what);
  auto count = r.varint();
  auto payload = r.str();
  return {count, payload};
}

ObjectInfo decode_object(std::string_view sha256, std::string_view value)
{
  util::ByteReader r(value, "object");
  ObjectInfo info;
  info.sha256 = sha256;
  info.refcount = r.varint();
  info.size = r.varint();
  r.expect_end();
  return info;
}

} // namespace

void Database::create(const Root& root)
{
  Database db(root, false);
  lmdb::Txn txn(db.env(), lmdb::Txn::Mode::write);
  for (const char* name : table_names) {
    txn.open_db(name);
  }
  txn.put(txn.open_db("meta"), "schema", schema_version);
  txn.commit();
}

Database::Database(const Root& root, bool read_only)
    : env_(root.db_dir(), lmdb::Env::Options{.read_only = read_only})
{
}

DbTxn::DbTxn(Database& db, lmdb::Txn::Mode mode) : txn_(db.env(), mode)
{
  meta_ = txn_.open_db("meta");
  auto schema = txn_.get(meta_, "schema");
  if (!schema || *schema != schema_version) {
    throw util::Error("{}: database schema {} is not the one this prepo reads ({})",
                      db.env().path().string(), schema ? std::string(*schema) : "missing",
                      schema_version);
  }
  records_ = txn_.open_db("records");
  recordrefs_ = txn_.open_db("recordrefs");
  slots_ = txn_.open_db("slots");
  farms_ = txn_.open_db("farms");
  generations_ = txn_.open_db("generations");
  poolrefs_ = txn_.open_db("poolrefs");
  objects_ = txn_.open_db("objects");
  pending_ = txn_.open_db("pending");
  published_ = txn_.open_db("published");
  chunks_ = txn_.open_db("chunks");
  // Added after schema 2 without a version change: a reader of an older
  // root finds it missing, which means empty.
  origins_ = txn_.open_db("origins");
  imports_ = txn_.open_db("imports");
  retired_ = txn_.open_db("retired");
}

std::optional<ImportMark> DbTxn::import_mark(std::string_view farm, std::string_view dist) const
{
  auto value = txn_.get(imports_, key2(farm, dist));
  if (!value) {
    return std::nullopt;
  }
  util::ByteReader r(*value, "import mark");
  ImportMark m;
  m.source = r.str();
  m.release_sha256 = r.str();
  m.generation = r.varint();
  if (!r.at_end()) {
    m.slots = r.varint();
  }
  return m;
}

void DbTxn::put_import_mark(std::string_view farm, std::string_view dist, const ImportMark& mark)
{
  util::ByteWriter w;
  w.str(mark.source).str(mark.release_sha256).varint(mark.generation);
  if (mark.slots) {
    w.varint(*mark.slots);
  }
  txn_.put(imports_, key2(farm, dist), std::move(w).bytes());
}

std::optional<Origin> DbTxn::origin(std::string_view record_id) const
{
  auto value = txn_.get(origins_, record_id);
  if (!value) {
    return std::nullopt;
  }
  util::ByteReader r(*value, "record origin");
  Origin o;
  o.url = r.str();
  o.time = static_cast<std::int64_t>(r.varint());
  return o;
}

void DbTxn::put_origin(std::string_view record_id, const Origin& origin)
{
  util::ByteWriter w;
  w.str(origin.url).varint(static_cast<std::uint64_t>(origin.time));
  txn_.put(origins_, record_id, std::move(w).bytes());
}

std::optional<Record> DbTxn::record(std::string_view id) const
{
  auto value = txn_.get(records_, id);
  if (!value) {
    return std::nullopt;
  }
  return Record::decode(*value);
}

std::optional<std::string_view> DbTxn::record_bytes(std::string_view id) const
{
  return txn_.get(records_, id);
}

std::uint64_t DbTxn::record_refcount(std::string_view id) const
{
  auto value = txn_.get(recordrefs_, id);
  if (!value) {
    return 0;
  }
  util::ByteReader r(*value, "record reference count");
  return r.varint();
}

void DbTxn::ref_record(const std::string& id, const Record* record, std::int64_t delta)
{
  // Counts live apart from the records so that referencing a record again
  // (a promote of thousands) rewrites a few bytes, not every stanza.
  const auto count = record_refcount(id);
  if (count == 0 && !txn_.get(records_, id)) {
    if (!record) {
      throw util::Error("database: record {} is missing", id);
    }
    txn_.put(records_, id, record->encode());
  }
  const auto next = static_cast<std::int64_t>(count) + delta;
  if (next <= 0) {
    txn_.del(records_, id);
    txn_.del(recordrefs_, id);
    txn_.del(origins_, id);
  } else {
    util::ByteWriter w;
    w.varint(static_cast<std::uint64_t>(next));
    txn_.put(recordrefs_, id, w.bytes());
  }
}

void DbTxn::store_records(const std::vector<std::pair<std::string_view, const Record*>>& by_id)
{
  // Ids are hashes: stored one by one they land at random places, and LMDB
  // splits a full page in half for each, leaving a bulk include's records
  // table about half empty (all of it dirty in memory until the commit).
  // Ids past the table's last key are appended, which fills pages.
  std::string last;
  if (util::lmdb::Cursor cursor(txn_, records_); cursor.last()) {
    last = cursor.key();
  }
  for (const auto& [id, record] : by_id) {
    if (id > last) {
      txn_.append(records_, id, record->encode());
      last = id;
    } else if (!txn_.get(records_, id)) {
      txn_.put(records_, id, record->encode());
    }
  }
}

std::optional<std::string> DbTxn::slot(std::string_view farm, std::string_view dist,
                                       std::string_view slot) const
{
  auto value = txn_.get(slots_, key3(farm, dist, slot));
  return value ? std::optional<std::string>(*value) : std::nullopt;
}

void DbTxn::set_slot(std::string_view farm, std::string_view dist, std::string_view slot,
                     std::string_view id)
{
  txn_.put(slots_, key3(farm, dist, slot), id);
}

void DbTxn::clear_slot(std::string_view farm, std::string_view dist, std::string_view slot)
{
  txn_.del(slots_, key3(farm, dist, slot));
}

void DbTxn::for_each_slot(std::string_view farm, std::string_view dist, std::string_view prefix,
                          const std::function<bool(std::string_view, std::string_view)>& fn) const
{
  const auto base = key2(farm, dist) + '\0';
  lmdb::for_each_prefix(txn_, slots_, base + std::string(prefix),
                        [&](std::string_view key, std::string_view value) {
                          return fn(key.substr(base.size()), value);
                        });
}

FarmState DbTxn::farm_state(std::string_view farm) const
{
  auto value = txn_.get(farms_, farm);
  return value ? decode_farm_state(*value) : FarmState{};
}

void DbTxn::put_farm_state(std::string_view farm, const FarmState& state)
{
  txn_.put(farms_, farm, encode(state));
}

std::optional<Generation> DbTxn::generation(std::string_view farm, std::uint64_t number) const
{
  auto value = txn_.get(generations_, key2(farm, util::be64(number)));
  return value ? std::optional<Generation>(decode_generation(*value)) : std::nullopt;
}

void DbTxn::put_generation(std::string_view farm, const Generation& generation)
{
  txn_.put(generations_, key2(farm, util::be64(generation.number)), encode(generation));
}

void DbTxn::delete_generation(std::string_view farm, std::uint64_t number)
{
  txn_.del(generations_, key2(farm, util::be64(number)));
}

std::optional<DbTxn::PoolRef> DbTxn::pool_ref(std::string_view farm, std::string_view path) const
{
  auto value = txn_.get(poolrefs_, key2(farm, path));
  if (!value) {
    return std::nullopt;
  }
  util::ByteReader r(*value, "pool reference");
  PoolRef ref;
  ref.sha256 = r.str();
  ref.refcount = r.varint();
  return ref;
}

void DbTxn::put_pool_ref(std::string_view farm, std::string_view path, const PoolRef& ref)
{
  util::ByteWriter w;
  w.str(ref.sha256).varint(ref.refcount);
  txn_.put(poolrefs_, key2(farm, path), w.bytes());
}

void DbTxn::delete_pool_ref(std::string_view farm, std::string_view path)
{
  txn_.del(poolrefs_, key2(farm, path));
}

void DbTxn::for_each_pool_ref(std::string_view farm,
                              const std::function<bool(std::string_view, const PoolRef&)>& fn) const
{
  const auto base = std::string(farm) + '\0';
  lmdb::for_each_prefix(txn_, poolrefs_, base, [&](std::string_view key, std::string_view value) {
    util::ByteReader r(value, "pool reference");
    PoolRef ref;
    ref.sha256 = r.str();
    ref.refcount = r.varint();
    return fn(key.substr(base.size()), ref);
  });
}

std::optional<DbTxn::PoolName> DbTxn::pool_name(std::string_view farm, std::string_view path) const
{
  if (auto ref = pool_ref(farm, path)) {
    return PoolName{std::move(ref->sha256), false};
  }
  if (auto sha256 = txn_.get(retired_, key2(farm, path))) {
    return PoolName{std::string(*sha256), true};
  }
  return std::nullopt;
}

void DbTxn::retire_pool_name(std::string_view farm, std::string_view path, std::string_view sha256)
{
  txn_.put(retired_, key2(farm, path), sha256);
}

void DbTxn::revive_pool_name(std::string_view farm, std::string_view path)
{
  txn_.del(retired_, key2(farm, path));
}

std::optional<ObjectInfo> DbTxn::object(std::string_view sha256) const
{
  auto value = txn_.get(objects_, sha256);
  if (!value) {
    return std::nullopt;
  }
  return decode_object(sha256, *value);
}

void DbTxn::put_object(const ObjectInfo& info)
{
  util::ByteWriter w;
  w.varint(info.refcount).varint(info.size);
  txn_.put(objects_, info.sha256, w.bytes());
}

void DbTxn::delete_object(std::string_view sha256)
{
  txn_.del(objects_, sha256);
  add_pending_unlink("store/" + pool::ContentStore::object_name(sha256));
}

void DbTxn::for_each_object(const std::function<bool(const ObjectInfo&)>& fn) const
{
  lmdb::for_each_prefix(txn_, objects_, "", [&](std::string_view key, std::string_view value) {
    return fn(decode_object(key, value));
  });
}

void DbTxn::add_pending_unlink(std::string_view root_relative_path)
{
  txn_.put(pending_, root_relative_path, "");
}

std::vector<std::string> DbTxn::pending_unlinks() const
{
  std::vector<std::string> out;
  lmdb::for_each_prefix(txn_, pending_, "", [&](std::string_view key, std::string_view) {
    out.emplace_back(key);
    return true;
  });
  return out;
}

void DbTxn::clear_pending_unlink(std::string_view root_relative_path)
{
  txn_.del(pending_, root_relative_path);
}

std::optional<PublishedDist> DbTxn::published(std::string_view farm, std::string_view dist) const
{
  auto value = txn_.get(published_, key2(farm, dist));
  return value ? std::optional<PublishedDist>(decode_published(*value)) : std::nullopt;
}

void DbTxn::put_published(std::string_view farm, std::string_view dist, const PublishedDist& info)
{
  txn_.put(published_, key2(farm, dist), encode(info));
}

std::optional<util::CompressedChunk> DbTxn::chunk(util::Compression c, std::string_view key) const
{
  auto value = txn_.get(chunks_, key2(util::extension(c), key));
  if (!value) {
    return std::nullopt;
  }
  return util::deserialize_chunk(decode_refcounted(*value, "chunk").second);
}

void DbTxn::ref_chunk(util::Compression c, std::string_view key, const util::CompressedChunk* chunk,
                      std::int64_t delta)
{
  const auto db_key = key2(util::extension(c), key);
  auto value = txn_.get(chunks_, db_key);
  std::uint64_t count = 0;
  std::string payload;
  if (value) {
    auto [n, p] = decode_refcounted(*value, "chunk");
    count = n;
    payload = p;
  } else if (chunk) {
    payload = util::serialize_chunk(*chunk);
  } else {
    return; // a chunk never stored (e.g. a cache emptied by hand): nothing to count
  }
  const auto next = static_cast<std::int64_t>(count) + delta;
  if (next <= 0) {
    txn_.del(chunks_, db_key);
  } else {
    txn_.put(chunks_, db_key, encode_refcounted(static_cast<std::uint64_t>(next), payload));
  }
}

void DbTxn::commit()
{
  txn_.commit();
}

} // namespace prepo::repo
