// RAII over LMDB. An Env owns MDB_env; a Txn aborts unless commit() is called;
// MDB_NOTFOUND is "no value" (std::nullopt / false), every other return code
// becomes an Error naming the database path and the operation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace prepo::util::lmdb {

using Dbi = unsigned int;

class Txn;

class Env {
public:
  struct Options {
    std::uint64_t map_size = std::uint64_t{64} << 30; // 64 GiB of address space, sparse
    unsigned max_dbs = 32;
    unsigned max_readers = 256;
    bool read_only = false;
  };
  // Opens (creating the directory's data.mdb if needed) the environment in `dir`.
  Env(const std::filesystem::path& dir, const Options& options);
  explicit Env(const std::filesystem::path& dir) : Env(dir, Options{}) {}
  ~Env();
  Env(Env&&) noexcept;
  Env& operator=(Env&&) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* handle() const { return env_; }
  const std::filesystem::path& path() const { return path_; }

  // Unmaps from this process the database pages it has read. They stay in
  // the page cache and come back on the next access (a minor fault), so
  // every view into the map stays valid; only the resident size shrinks.
  // Reading every record of a large farm maps most of the file (each fault
  // also maps the cached pages around it), and that would otherwise count
  // in the resident size of everything that follows.
  void release_mapped_pages() const;

private:
  MDB_env* env_ = nullptr;
  std::filesystem::path path_;
};

class Cursor;

class Txn {
public:
  enum class Mode { read, write };
  Txn(Env& env, Mode mode);
  ~Txn(); // aborts if neither committed nor aborted
  Txn(Txn&&) noexcept;
  Txn& operator=(Txn&&) = delete;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // Named database; created on first use in a write transaction.
  Dbi open_db(std::string_view name);

  // The view stays valid until the transaction ends or the key is written.
  std::optional<std::string_view> get(Dbi dbi, std::string_view key) const;
  void put(Dbi dbi, std::string_view key, std::string_view value);
  // A put of a key greater than every key in the table (MDB_APPEND): LMDB
  // then fills pages instead of splitting each in half.
  void append(Dbi dbi, std::string_view key, std::string_view value);
  bool del(Dbi dbi, std::string_view key); // false if absent

  void commit();
  void abort();
  MDB_txn* handle() const { return txn_; }
  Env& env() const { return *env_; }

private:
  void put_with(Dbi dbi, std::string_view key, std::string_view value, unsigned flags);

  Env* env_;
  MDB_txn* txn_ = nullptr;
};

// Iterates keys in order. Views stay valid until the cursor moves or the
// transaction ends.
class Cursor {
public:
  Cursor(const Txn& txn, Dbi dbi);
  ~Cursor();
  Cursor(Cursor&&) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  Cursor& operator=(Cursor&&) = delete;

  // Position at the first key >= `key`; false if none.
  bool seek(std::string_view key);
  bool first();
  bool next();
  bool last();
  std::string_view key() const;
  std::string_view value() const;

private:
  MDB_cursor* cursor_ = nullptr;
  std::string db_path_;
  std::string_view key_;
  std::string_view value_;
};

// Calls `fn(key, value)` for every key starting with `prefix`, in order;
// stops early when fn returns false.
void for_each_prefix(const Txn& txn, Dbi dbi, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn);

} // namespace prepo::util::lmdb
