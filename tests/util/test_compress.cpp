#include "util/compress.hpp"

#include <chrono>
#include <cstdio>
#include <random>

#include <time.h>

#include <sys/wait.h>
#include <zlib.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/parallel.hpp"

namespace prepo::util {
namespace {

using CompressTest = test::TempDirTest;

constexpr std::size_t chunk_target = 128 * 1024;
constexpr std::array compressed_kinds{Compression::gzip, Compression::xz};

std::string name_of(Compression c)
{
  return c == Compression::gzip ? "gzip" : c == Compression::xz ? "xz" : "none";
}

// Deterministic text shaped like a Debian Packages file: repetitive field
// names, hex digests that do not compress, and free-form descriptions.
std::string packages_text(std::size_t target_size, unsigned seed)
{
  std::mt19937 engine(seed);
  const auto pick = [&](std::uint32_t n) { return engine() % n; };
  const auto hex = [&](std::size_t length) {
    std::string s;
    while (s.size() < length) {
      s += fmt::format("{:08x}", engine());
    }
    s.resize(length);
    return s;
  };
  static constexpr std::array words{"library", "tool",    "daemon",  "utility", "module",
                                    "binding", "python",  "network", "data",    "files",
                                    "support", "develop", "runtime", "debug",   "plugin"};
  std::string text;
  for (std::size_t n = 0; text.size() < target_size; ++n) {
    const std::string name = fmt::format("pkg-{}-{}", words[pick(words.size())], n);
    text += fmt::format("Package: {}\nVersion: {}.{}.{}-{}\nArchitecture: amd64\n", name, pick(10),
                        pick(30), pick(100), pick(5) + 1);
    text += fmt::format("Maintainer: Dev {} <dev{}@example.org>\nInstalled-Size: {}\n", pick(500),
                        pick(500), pick(100000));
    text += fmt::format("Depends: libc6 (>= 2.{}), lib{}{} (>= {}.0)\n", pick(36),
                        words[pick(words.size())], pick(10), pick(5));
    text += fmt::format("Filename: pool/main/{}/{}/{}_{}_amd64.deb\nSize: {}\n", name[4], name,
                        name, pick(100), pick(10000000));
    text += fmt::format("MD5sum: {}\nSHA256: {}\n", hex(32), hex(64));
    text += "Description: the " + std::string(words[pick(words.size())]) + " for " + name + "\n";
    for (std::uint32_t line = 0, lines = pick(4) + 1; line < lines; ++line) {
      text += " This " + std::string(words[pick(words.size())]) + " provides " +
              words[pick(words.size())] + " and " + words[pick(words.size())] + " support.\n";
    }
    text += "\n";
  }
  return text;
}

// Chunks end at stanza boundaries, as the index writer cuts them.
std::vector<std::string_view> split_stanzas(std::string_view text, std::size_t target)
{
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    std::size_t end = text.find("\n\n", std::min(target, text.size()));
    end = end == std::string_view::npos ? text.size() : end + 2;
    pieces.push_back(text.substr(0, end));
    text.remove_prefix(end);
  }
  return pieces;
}

std::vector<CompressedChunk>
compress_pieces(Compression c, const std::vector<std::string_view>& pieces, unsigned threads)
{
  std::vector<CompressedChunk> chunks(pieces.size());
  parallel_for(pieces.size(), threads,
               [&](std::size_t i) { chunks[i] = compress_chunk(c, pieces[i]); });
  return chunks;
}

std::string join(Compression c, const std::vector<CompressedChunk>& chunks)
{
  std::vector<const CompressedChunk*> pointers;
  for (const CompressedChunk& chunk : chunks) {
    pointers.push_back(&chunk);
  }
  return join_chunks(c, pointers);
}

std::string shell_quote(const fs::path& path)
{
  std::string quoted = "'";
  for (const char ch : path.string()) {
    quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  }
  return quoted + "'";
}

int run(const std::string& command)
{
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have_tool(std::string_view tool)
{
  return run(fmt::format("command -v {} >/dev/null 2>&1", tool)) == 0;
}

// What zlib's own gzip file reader (gzread, used by many tools) makes of it.
std::string read_with_gzread(const fs::path& path)
{
  gzFile file = ::gzopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr);
  if (file == nullptr) {
    return {};
  }
  std::string out;
  std::array<char, 65536> buffer{};
  int n = 0;
  while ((n = ::gzread(file, buffer.data(), buffer.size())) > 0) {
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  EXPECT_EQ(n, 0) << "gzread error";
  EXPECT_EQ(::gzclose(file), Z_OK);
  return out;
}

// Checks a compressed file with the standard tools, which are the readers
// apt clients and mirror scripts actually use.
void expect_tools_accept(const fs::path& dir, Compression c, const std::string& compressed,
                         const std::string& plain)
{
  const fs::path file = dir / ("index" + std::string(extension(c)));
  const fs::path out = dir / "decoded";
  write_file_atomic(file, compressed, Durability::no_flush);
  const std::string tool = name_of(c);
  if (!have_tool(tool)) {
    ADD_FAILURE() << tool << " is not installed";
    return;
  }
  EXPECT_EQ(run(fmt::format("{} -t {}", tool, shell_quote(file))), 0) << tool << " -t";
  ASSERT_EQ(run(fmt::format("{} -dc {} > {}", tool, shell_quote(file), shell_quote(out))), 0);
  EXPECT_TRUE(read_file(out) == plain) << tool << " -dc output differs";
  if (c == Compression::gzip) {
    EXPECT_TRUE(read_with_gzread(file) == plain) << "gzread output differs";
  }
  if (have_tool("python3")) {
    const std::string module = c == Compression::gzip ? "gzip" : "lzma";
    ASSERT_EQ(run(fmt::format("python3 -c 'import {0},sys; "
                              "sys.stdout.buffer.write({0}.open(sys.argv[1]).read())' {1} > {2}",
                              module, shell_quote(file), shell_quote(out))),
              0);
    EXPECT_TRUE(read_file(out) == plain) << "python " << module << " output differs";
  }
}

double thread_cpu_seconds()
{
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

template <typename Fn> std::string error_of(Fn&& fn)
{
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Compress, Extensions)
{
  EXPECT_EQ(extension(Compression::none), "");
  EXPECT_EQ(extension(Compression::gzip), ".gz");
  EXPECT_EQ(extension(Compression::xz), ".xz");
}

TEST(Compress, RoundTripSmall)
{
  const std::string text = packages_text(10000, 1);
  for (const Compression c : {Compression::none, Compression::gzip, Compression::xz}) {
    const std::string packed = compress(c, text);
    EXPECT_EQ(decompress(c, packed, text.size(), "Packages"), text) << name_of(c);
    if (c != Compression::none) {
      EXPECT_LT(packed.size(), text.size() / 2) << name_of(c);
    }
  }
}

TEST(Compress, GzipHeaderIsFixed)
{
  const std::string packed = compress(Compression::gzip, "hello\n");
  ASSERT_GE(packed.size(), 18U);
  EXPECT_EQ(packed.substr(0, 10), std::string("\x1f\x8b\x08\0\0\0\0\0\x02\x03", 10));
}

TEST(Compress, ChunkRecordsSizesAndCrc)
{
  const std::string text = "Package: a\n\n";
  const CompressedChunk gz = compress_chunk(Compression::gzip, text);
  EXPECT_EQ(gz.uncompressed_size, text.size());
  EXPECT_EQ(gz.crc32, ::crc32(0, reinterpret_cast<const Bytef*>(text.data()), text.size()));
  const CompressedChunk xz = compress_chunk(Compression::xz, text);
  EXPECT_EQ(xz.uncompressed_size, text.size());
  EXPECT_GT(xz.unpadded_size, 0U);
  EXPECT_EQ(xz.data.size(), (xz.unpadded_size + 3) / 4 * 4);
}

TEST(Compress, ManyChunksIncludingEmptyOnes)
{
  const std::string text = packages_text(300000, 2);
  // Irregular sizes, including empty and one-byte chunks.
  std::vector<std::string_view> pieces;
  std::string_view rest = text;
  for (std::size_t size = 0; !rest.empty(); size = (size * 7 + 13) % 9000) {
    const std::size_t n = std::min(size, rest.size());
    pieces.push_back(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  pieces.push_back("");
  ASSERT_GT(pieces.size(), 50U);
  for (const Compression c : compressed_kinds) {
    const std::string joined = join(c, compress_pieces(c, pieces, 1));
    EXPECT_TRUE(decompress(c, joined, text.size(), "Packages") == text) << name_of(c);
  }
}

TEST_F(CompressTest, EmptyOutputIsValid)
{
  for (const Compression c : compressed_kinds) {
    const std::string zero_chunks = join_chunks(c, {});
    EXPECT_EQ(decompress(c, zero_chunks, 0, "Packages"), "") << name_of(c);
    expect_tools_accept(dir(), c, zero_chunks, "");
    const std::string empty_input = compress(c, "");
    EXPECT_EQ(empty_input, zero_chunks) << name_of(c);
  }
}

TEST_F(CompressTest, ToolsAcceptChunkedOutput)
{
  const std::string text = packages_text(600000, 3);
  const auto pieces = split_stanzas(text, 50000);
  ASSERT_GT(pieces.size(), 5U);
  for (const Compression c : compressed_kinds) {
    expect_tools_accept(dir(), c, join(c, compress_pieces(c, pieces, 2)), text);
  }
}

TEST_F(CompressTest, DecodesOutputOfStandardTools)
{
  const std::string text = packages_text(200000, 4);
  const fs::path plain = dir() / "plain";
  write_file_atomic(plain, text, Durability::no_flush);
  for (const Compression c : compressed_kinds) {
    const fs::path packed = dir() / ("packed" + std::string(extension(c)));
    ASSERT_EQ(
        run(fmt::format("{} -9 -c {} > {}", name_of(c), shell_quote(plain), shell_quote(packed))),
        0);
    EXPECT_TRUE(decompress(c, read_file(packed), text.size(), "packed") == text) << name_of(c);
  }
}

TEST(Compress, Deterministic)
{
  const std::string text = packages_text(400000, 5);
  const auto pieces = split_stanzas(text, 64 * 1024);
  for (const Compression c : compressed_kinds) {
    EXPECT_EQ(compress(c, text), compress(c, text)) << name_of(c);
    EXPECT_EQ(join(c, compress_pieces(c, pieces, 1)), join(c, compress_pieces(c, pieces, 4)))
        << name_of(c);
  }
}

TEST(Compress, ReusedChunksGiveTheSameFile)
{
  // The point of chunking: a chunk compressed earlier (e.g. from the cache)
  // is interchangeable with a fresh one.
  const std::string text = packages_text(200000, 6);
  const auto pieces = split_stanzas(text, 32 * 1024);
  for (const Compression c : compressed_kinds) {
    auto chunks = compress_pieces(c, pieces, 1);
    const std::string first = join(c, chunks);
    std::vector<CompressedChunk> cached;
    for (const CompressedChunk& chunk : chunks) {
      cached.push_back(deserialize_chunk(serialize_chunk(chunk)).value());
    }
    EXPECT_EQ(join(c, cached), first) << name_of(c);
  }
}

TEST(Compress, ConcatenatedStreamsAreReadEntirely)
{
  for (const Compression c : compressed_kinds) {
    const std::string both = compress(c, "first\n") + compress(c, "") + compress(c, "second\n");
    EXPECT_EQ(decompress(c, both, 100, "cat"), "first\nsecond\n") << name_of(c);
  }
}

TEST(Compress, OutputCapIsEnforced)
{
  const std::string text(1'000'000, 'a'); // compresses extremely well
  for (const Compression c : {Compression::none, Compression::gzip, Compression::xz}) {
    const std::string packed = compress(c, text);
    EXPECT_EQ(decompress(c, packed, text.size(), "bomb").size(), text.size()) << name_of(c);
    EXPECT_EQ(error_of([&] { (void)decompress(c, packed, text.size() - 1, "bomb"); }),
              "bomb: decompressed size exceeds 999999 bytes")
        << name_of(c);
    EXPECT_EQ(error_of([&] { (void)decompress(c, packed, 10, "bomb"); }),
              "bomb: decompressed size exceeds 10 bytes")
        << name_of(c);
  }
}

TEST(Compress, TruncatedInputIsAnError)
{
  const std::string text = packages_text(50000, 7);
  for (const Compression c : compressed_kinds) {
    const std::string packed = compress(c, text);
    const std::string expected = fmt::format("Packages.{}: truncated or corrupt {} data",
                                             extension(c).substr(1), name_of(c));
    const std::string what = fmt::format("Packages{}", extension(c));
    for (const std::size_t keep :
         {packed.size() - 1, packed.size() - 4, packed.size() / 2, std::size_t{20}}) {
      EXPECT_EQ(error_of([&] { (void)decompress(c, packed.substr(0, keep), 1 << 20, what); }),
                expected)
          << name_of(c) << " keeping " << keep;
    }
    EXPECT_THROW((void)decompress(c, "", 100, what), Error) << name_of(c);
  }
}

TEST(Compress, CorruptInputIsAnError)
{
  const std::string text = packages_text(50000, 8);
  for (const Compression c : compressed_kinds) {
    std::string packed = compress(c, text);
    packed[packed.size() / 2] ^= 0x55;
    EXPECT_THROW((void)decompress(c, packed, 1 << 20, "x"), Error) << name_of(c);
    EXPECT_THROW((void)decompress(c, "definitely not compressed", 1 << 20, "x"), Error);
    EXPECT_THROW((void)decompress(c, compress(c, "ok") + "trailing garbage", 1 << 20, "x"), Error)
        << name_of(c);
  }
  EXPECT_EQ(error_of([] { (void)decompress(Compression::xz, "plain text here", 100, "f"); }),
            "f: not xz data");
}

TEST(Compress, JoinRejectsChunkOfTheWrongFormat)
{
  const CompressedChunk gz = compress_chunk(Compression::gzip, packages_text(5000, 9));
  EXPECT_THROW((void)join_chunks(Compression::xz, {&gz}), Error);
}

TEST(Compress, SerializeRoundTrip)
{
  for (const Compression c : {Compression::none, Compression::gzip, Compression::xz}) {
    for (const std::string& text : {std::string(), packages_text(20000, 10)}) {
      const CompressedChunk chunk = compress_chunk(c, text);
      const auto back = deserialize_chunk(serialize_chunk(chunk));
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(back->data, chunk.data);
      EXPECT_EQ(back->uncompressed_size, chunk.uncompressed_size);
      EXPECT_EQ(back->crc32, chunk.crc32);
      EXPECT_EQ(back->unpadded_size, chunk.unpadded_size);
    }
  }
}

TEST(Compress, DeserializeRejectsMalformedInput)
{
  const std::string good = serialize_chunk(compress_chunk(Compression::xz, "Package: x\n\n"));
  EXPECT_EQ(deserialize_chunk(""), std::nullopt);
  EXPECT_EQ(deserialize_chunk("PRPOCHK1"), std::nullopt);
  for (std::size_t keep = 0; keep < good.size(); ++keep) {
    EXPECT_EQ(deserialize_chunk(good.substr(0, keep)), std::nullopt) << keep;
  }
  EXPECT_EQ(deserialize_chunk(good + "x"), std::nullopt);
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] ^= 0x01;
    EXPECT_EQ(deserialize_chunk(flipped), std::nullopt) << "bit flip at " << i;
  }
}

// The realistic case: a 6 MB Packages file (about 10k packages) in 128 KiB
// chunks. Also reports single-thread timings, the cost of a full rebuild.
TEST_F(CompressTest, LargePackagesFileInChunks)
{
  const std::string text = packages_text(6 * 1024 * 1024, 11);
  const auto pieces = split_stanzas(text, chunk_target);
  ASSERT_GE(pieces.size(), 45U);
  for (const Compression c : compressed_kinds) {
    // CPU time of this thread (parallel_for with one thread runs inline) is
    // what a loaded build machine does not distort; wall time is shown too.
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    const auto chunks = compress_pieces(c, pieces, 1);
    const std::string joined = join(c, chunks);
    const double cpu = thread_cpu_seconds() - cpu_start;
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    const std::string report = fmt::format(
        "{}: {} bytes in {} chunks -> {} bytes ({:.1f}%), 1 thread: {:.3f} s CPU, {:.3f} s wall",
        name_of(c), text.size(), pieces.size(), joined.size(),
        100.0 * static_cast<double>(joined.size()) / static_cast<double>(text.size()), cpu,
        wall.count());
    std::printf("[ timing   ] %s\n", report.c_str());
    RecordProperty(name_of(c) + "_cpu_seconds_1_thread", fmt::format("{:.3f}", cpu));
    EXPECT_TRUE(decompress(c, joined, text.size(), "Packages") == text) << name_of(c);
    expect_tools_accept(dir(), c, joined, text);
    EXPECT_EQ(join(c, compress_pieces(c, pieces, default_threads())), joined) << name_of(c);
  }
}

} // namespace
} // namespace prepo::util
