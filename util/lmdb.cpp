#include "util/lmdb.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <limits>
#include <system_error>
#include <utility>

#include <lmdb.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/error.hpp"

namespace prepo::util::lmdb {

namespace {

// A read transaction cannot create a named database. Rather than failing with
// MDB_NOTFOUND deep inside a reader, open_db hands out this handle: get()
// finds nothing and cursors are empty, which is exactly what a missing
// database contains. Writing through it is refused.
constexpr Dbi missing_dbi = std::numeric_limits<Dbi>::max();

[[noreturn]] void fail(const std::filesystem::path& dir, std::string_view operation, int rc)
{
  throw Error("{}: lmdb {}: {}", dir.string(), operation, mdb_strerror(rc));
}

MDB_val to_val(std::string_view s)
{
  // LMDB never writes through mv_data of a key or of a value passed to put.
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view to_view(const MDB_val& v)
{
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

} // namespace

Env::Env(const std::filesystem::path& dir, const Options& options) : path_(dir)
{
  if (!options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      throw Error("{}: create database directory: {}", dir.string(), ec.message());
    }
  }
  if (int rc = mdb_env_create(&env_); rc != 0) {
    fail(path_, "env_create", rc);
  }
  // From here on the handle must be closed if anything throws.
  auto close_on_error = [this](std::string_view operation, int rc) {
    mdb_env_close(env_);
    env_ = nullptr;
    fail(path_, operation, rc);
  };
  if (int rc = mdb_env_set_mapsize(env_, options.map_size); rc != 0) {
    close_on_error("set_mapsize", rc);
  }
  if (int rc = mdb_env_set_maxdbs(env_, options.max_dbs); rc != 0) {
    close_on_error("set_maxdbs", rc);
  }
  if (int rc = mdb_env_set_maxreaders(env_, options.max_readers); rc != 0) {
    close_on_error("set_maxreaders", rc);
  }
  // MDB_NOTLS: reader slots belong to the transaction, not the thread, so a
  // read transaction may be handed to a worker thread. No MDB_NOSYNC: a
  // committed write transaction is on disk.
  unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0u);
  if (int rc = mdb_env_open(env_, dir.c_str(), flags, 0644); rc != 0) {
    close_on_error("env_open", rc);
  }
}

Env::~Env()
{
  if (env_ != nullptr) {
    mdb_env_close(env_);
  }
}

Env::Env(Env&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)), path_(std::move(other.path_))
{
}

Env& Env::operator=(Env&& other) noexcept
{
  if (this != &other) {
    if (env_ != nullptr) {
      mdb_env_close(env_);
    }
    env_ = std::exchange(other.env_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

void Env::release_mapped_pages() const
{
  // LMDB does not say where its map is (mdb_env_info's address is only set
  // for MDB_FIXEDMAP): it is the shared mapping of the data file.
  mdb_filehandle_t fd = -1;
  struct stat data {};
  if (mdb_env_get_fd(env_, &fd) != 0 || ::fstat(fd, &data) != 0) {
    return;
  }
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long start = 0, end = 0, inode = 0;
    unsigned long long offset = 0;
    unsigned major = 0, minor = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s %llx %x:%x %lu", &start, &end, perms, &offset,
                    &major, &minor, &inode) != 7) {
      continue;
    }
    // Some file systems (btrfs subvolumes, overlayfs) show another device
    // here than fstat does: the file's name then tells. Only a shared
    // mapping qualifies, and dropping its pages never loses data.
    const bool same_file = inode == data.st_ino &&
                           (makedev(major, minor) == data.st_dev || line.ends_with("/data.mdb"));
    if (perms[3] == 's' && same_file) {
      ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
    }
  }
}

Txn::Txn(Env& env, Mode mode) : env_(&env)
{
  unsigned flags = mode == Mode::read ? MDB_RDONLY : 0u;
  if (int rc = mdb_txn_begin(env.handle(), nullptr, flags, &txn_); rc != 0) {
    txn_ = nullptr;
    fail(env.path(), mode == Mode::read ? "begin read transaction" : "begin write transaction", rc);
  }
}

Txn::~Txn()
{
  abort();
}

Txn::Txn(Txn&& other) noexcept : env_(other.env_), txn_(std::exchange(other.txn_, nullptr)) {}

Dbi Txn::open_db(std::string_view name)
{
  std::string name_z(name);
  MDB_dbi dbi = 0;
  // LMDB has no query for a transaction's mode, but it answers MDB_CREATE in a
  // read transaction with EACCES exactly when the database does not exist
  // (an existing one is opened normally), so asking for creation always is
  // the same as asking for it only in write transactions.
  int rc = mdb_dbi_open(txn_, name_z.c_str(), MDB_CREATE, &dbi);
  if (rc == EACCES) {
    return missing_dbi;
  }
  if (rc != 0) {
    fail(env_->path(), "open database '" + name_z + "'", rc);
  }
  return dbi;
}

std::optional<std::string_view> Txn::get(Dbi dbi, std::string_view key) const
{
  if (dbi == missing_dbi) {
    return std::nullopt;
  }
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) {
    return std::nullopt;
  }
  if (rc != 0) {
    fail(env_->path(), "get", rc);
  }
  return to_view(v);
}

void Txn::put(Dbi dbi, std::string_view key, std::string_view value)
{
  put_with(dbi, key, value, 0);
}

void Txn::append(Dbi dbi, std::string_view key, std::string_view value)
{
  put_with(dbi, key, value, MDB_APPEND);
}

void Txn::put_with(Dbi dbi, std::string_view key, std::string_view value, unsigned flags)
{
  if (dbi == missing_dbi) {
    throw Error("{}: lmdb put: database does not exist (opened in a read transaction)",
                env_->path().string());
  }
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  if (int rc = mdb_put(txn_, dbi, &k, &v, flags); rc != 0) {
    fail(env_->path(), "put", rc);
  }
}

bool Txn::del(Dbi dbi, std::string_view key)
{
  if (dbi == missing_dbi) {
    throw Error("{}: lmdb del: database does not exist (opened in a read transaction)",
                env_->path().string());
  }
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  if (rc != 0) {
    fail(env_->path(), "del", rc);
  }
  return true;
}

void Txn::commit()
{
  // mdb_txn_commit frees the transaction whether or not it succeeds.
  MDB_txn* txn = std::exchange(txn_, nullptr);
  if (txn == nullptr) {
    throw Error("{}: lmdb commit: transaction already ended", env_->path().string());
  }
  if (int rc = mdb_txn_commit(txn); rc != 0) {
    fail(env_->path(), "commit", rc);
  }
}

void Txn::abort()
{
  if (MDB_txn* txn = std::exchange(txn_, nullptr); txn != nullptr) {
    mdb_txn_abort(txn);
  }
}

Cursor::Cursor(const Txn& txn, Dbi dbi) : db_path_(txn.env().path().string())
{
  if (dbi == missing_dbi) {
    return; // an empty database: every positioning call answers false
  }
  if (int rc = mdb_cursor_open(txn.handle(), dbi, &cursor_); rc != 0) {
    cursor_ = nullptr;
    fail(db_path_, "cursor_open", rc);
  }
}

Cursor::~Cursor()
{
  if (cursor_ != nullptr) {
    mdb_cursor_close(cursor_);
  }
}

Cursor::Cursor(Cursor&& other) noexcept
    : cursor_(std::exchange(other.cursor_, nullptr)), db_path_(std::move(other.db_path_)),
      key_(std::exchange(other.key_, {})), value_(std::exchange(other.value_, {}))
{
}

namespace {

bool move_cursor(MDB_cursor* cursor, const std::string& db_path, MDB_cursor_op op,
                 std::string_view seek_key, std::string_view& key, std::string_view& value)
{
  key = {};
  value = {};
  if (cursor == nullptr) {
    return false;
  }
  MDB_val k = to_val(seek_key);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor, &k, &v, op);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  if (rc != 0) {
    fail(db_path, "cursor_get", rc);
  }
  key = to_view(k);
  value = to_view(v);
  return true;
}

} // namespace

bool Cursor::seek(std::string_view key)
{
  return move_cursor(cursor_, db_path_, MDB_SET_RANGE, key, key_, value_);
}

bool Cursor::first()
{
  return move_cursor(cursor_, db_path_, MDB_FIRST, {}, key_, value_);
}

bool Cursor::next()
{
  return move_cursor(cursor_, db_path_, MDB_NEXT, {}, key_, value_);
}

bool Cursor::last()
{
  return move_cursor(cursor_, db_path_, MDB_LAST, {}, key_, value_);
}

std::string_view Cursor::key() const
{
  return key_;
}

std::string_view Cursor::value() const
{
  return value_;
}

void for_each_prefix(const Txn& txn, Dbi dbi, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn)
{
  Cursor cursor(txn, dbi);
  // An empty key cannot be passed to MDB_SET_RANGE (LMDB rejects zero-length
  // keys), so an empty prefix starts from the first key.
  bool found = prefix.empty() ? cursor.first() : cursor.seek(prefix);
  for (; found; found = cursor.next()) {
    if (!cursor.key().starts_with(prefix)) {
      return;
    }
    if (!fn(cursor.key(), cursor.value())) {
      return;
    }
  }
}

} // namespace prepo::util::lmdb
