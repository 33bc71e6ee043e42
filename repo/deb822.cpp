#include "repo/deb822.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_set>

#include "util/error.hpp"

namespace prepo::repo {

namespace {

bool is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}
bool is_space(char c)
{
  return is_blank(c) || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim_right(std::string_view s)
{
  while (!s.empty() && is_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view trim(std::string_view s)
{
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
  }
  return trim_right(s);
}

bool is_whitespace_only(std::string_view line)
{
  return std::all_of(line.begin(), line.end(), is_blank);
}

char ascii_lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

std::string lowercase(std::string_view s)
{
  std::string out(s);
  for (char& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

// Splits `text` into lines without copying; a final line without "\n" counts.
class LineReader {
public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  bool next(std::string_view& line)
  {
    if (rest_.empty()) {
      return false;
    }
    const auto nl = rest_.find('\n');
    line = rest_.substr(0, nl);
    rest_ = nl == std::string_view::npos ? std::string_view{} : rest_.substr(nl + 1);
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

private:
  std::string_view rest_;
  std::size_t number_ = 0;
};

// Stanzas are small (a few dozen fields), so a linear scan finds duplicates
// fastest; a hash set takes over for hostile inputs with thousands of fields
// so parsing stays linear.
class DuplicateCheck {
public:
  bool insert(const std::vector<Field>& fields, std::string_view name)
  {
    constexpr std::size_t linear_limit = 32;
    if (fields.size() < linear_limit) {
      return std::none_of(fields.begin(), fields.end(),
                          [&](const Field& f) { return iequals(f.name, name); });
    }
    if (seen_.empty()) {
      for (const Field& f : fields) {
        seen_.insert(lowercase(f.name));
      }
    }
    return seen_.insert(lowercase(name)).second;
  }
  void clear() { seen_.clear(); }

private:
  std::unordered_set<std::string> seen_;
};

// Calls `done(stanza, first_line)` for each stanza as soon as it ends, so a
// caller that keeps little (an index of 60,000 packages) holds one at a time.
void parse(std::string_view text, std::string_view source, bool allow_comments,
           const std::function<void(Stanza&, std::size_t)>& done)
{
  std::vector<Field> fields;
  std::size_t first_line = 0;
  DuplicateCheck duplicates;
  LineReader lines(text);
  std::string_view line;

  auto fail = [&](std::string_view problem) -> util::Error {
    return util::Error("{}:{}: {}", source, lines.number(), problem);
  };
  auto finish_stanza = [&] {
    if (!fields.empty()) {
      Stanza stanza(std::move(fields));
      fields.clear();
      done(stanza, first_line);
      duplicates.clear();
    }
  };

  while (lines.next(line)) {
    if (allow_comments && !line.empty() && line.front() == '#') {
      continue;
    }
    if (is_whitespace_only(line)) {
      finish_stanza();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (fields.empty()) {
        throw fail("continuation line outside a field");
      }
      std::string& value = fields.back().value;
      value += '\n';
      value += trim_right(line);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      throw fail("expected 'Name: value' or a continuation line");
    }
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) {
      throw fail("empty field name");
    }
    for (char c : name) {
      if (c < 0x21 || c > 0x7e) {
        throw fail("field name contains a space or a non-printable character");
      }
    }
    if (name.front() == '#' || name.front() == '-') {
      throw fail(fmt::format("field name '{}' starts with '{}'", name, name.front()));
    }
    if (!duplicates.insert(fields, name)) {
      throw fail(fmt::format("duplicate field {}", name));
    }
    if (fields.empty()) {
      first_line = lines.number();
    }
    fields.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
  }
  finish_stanza();
}

bool starts_with_armor(std::string_view line, std::string_view armor)
{
  return trim_right(line) == armor;
}

} // namespace

bool iequals(std::string_view a, std::string_view b)
{
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> Stanza::get(std::string_view name) const
{
  for (const Field& f : fields_) {
    if (iequals(f.name, name)) {
      return std::string_view(f.value);
    }
  }
  return std::nullopt;
}

std::string_view Stanza::require(std::string_view name, std::string_view source) const
{
  if (auto value = get(name)) {
    return *value;
  }
  throw util::Error("{}: missing field {}", source, name);
}

void Stanza::set(std::string_view name, std::string value)
{
  for (Field& f : fields_) {
    if (iequals(f.name, name)) {
      f.value = std::move(value);
      return;
    }
  }
  fields_.push_back({std::string(name), std::move(value)});
}

bool Stanza::erase(std::string_view name)
{
  const auto it = std::find_if(fields_.begin(), fields_.end(),
                               [&](const Field& f) { return iequals(f.name, name); });
  if (it == fields_.end()) {
    return false;
  }
  fields_.erase(it);
  return true;
}

std::string Stanza::to_string() const
{
  std::size_t size = 0;
  for (const Field& f : fields_) {
    size += f.name.size() + f.value.size() + 3;
  }
  std::string out;
  out.reserve(size);
  for (const Field& f : fields_) {
    out += f.name;
    // A value that starts on the next line ("Files:") gets no trailing blank.
    out += (f.value.empty() || f.value.front() == '\n') ? ":" : ": ";
    out += f.value;
    out += '\n';
  }
  return out;
}

std::vector<Stanza> parse_deb822(std::string_view text, std::string_view source,
                                 bool allow_comments)
{
  std::vector<Stanza> out;
  parse(text, source, allow_comments, [&](Stanza& s, std::size_t) { out.push_back(std::move(s)); });
  return out;
}

void for_each_stanza(std::string_view text, std::string_view source,
                     const std::function<void(Stanza&)>& fn)
{
  parse(text, source, false, [&](Stanza& s, std::size_t) { fn(s); });
}

Stanza parse_single_stanza(std::string_view text, std::string_view source)
{
  std::optional<Stanza> first;
  parse(text, source, false, [&](Stanza& s, std::size_t first_line) {
    if (first) {
      throw util::Error("{}:{}: unexpected second stanza", source, first_line);
    }
    first = std::move(s);
  });
  if (!first) {
    throw util::Error("{}: no fields", source);
  }
  return std::move(*first);
}

Unwrapped strip_clearsign(std::string_view text, std::string_view source)
{
  constexpr std::string_view begin_message = "-----BEGIN PGP SIGNED MESSAGE-----";
  constexpr std::string_view begin_signature = "-----BEGIN PGP SIGNATURE-----";
  constexpr std::string_view end_signature = "-----END PGP SIGNATURE-----";
  auto malformed = [&](std::string_view why) {
    return util::Error("{}: malformed OpenPGP signature armor: {}", source, why);
  };

  std::size_t start = 0;
  while (start < text.size() && is_space(text[start])) {
    ++start;
  }
  if (!text.substr(start).starts_with(begin_message)) {
    // Unsigned text must not hide a signed document further down: whoever
    // checks the signature and whoever parses the text would disagree.
    if (text.find(begin_message) != std::string_view::npos ||
        text.find(begin_signature) != std::string_view::npos) {
      throw malformed("text before the armor header");
    }
    return {std::string(text), false};
  }

  LineReader lines(text.substr(start));
  std::string_view line;
  lines.next(line);
  if (!starts_with_armor(line, begin_message)) {
    throw malformed("bad armor header line");
  }
  // Armor headers ("Hash: SHA512") end at the first empty line.
  bool headers_ended = false;
  while (lines.next(line)) {
    if (is_whitespace_only(line)) {
      headers_ended = true;
      break;
    }
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) {
      throw malformed("bad armor header");
    }
  }
  if (!headers_ended) {
    throw malformed("no blank line after the armor headers");
  }

  // The body: dash-escaped lines lose their "- "; the newline before the
  // signature armor belongs to the signature (RFC 4880 7.1).
  std::string body;
  bool first = true;
  bool signature_found = false;
  while (lines.next(line)) {
    if (starts_with_armor(line, begin_signature)) {
      signature_found = true;
      break;
    }
    if (!line.empty() && line.front() == '-') {
      if (!line.starts_with("- ")) {
        throw malformed("line starting with '-' is not dash-escaped");
      }
      line.remove_prefix(2);
    }
    if (!first) {
      body += '\n';
    }
    body += line;
    first = false;
  }
  if (!signature_found) {
    throw malformed("missing BEGIN PGP SIGNATURE line");
  }
  bool end_found = false;
  while (lines.next(line)) {
    if (starts_with_armor(line, end_signature)) {
      end_found = true;
      break;
    }
    if (line.starts_with("-----")) {
      throw malformed("unexpected armor line inside the signature");
    }
  }
  if (!end_found) {
    throw malformed("missing END PGP SIGNATURE line");
  }
  while (lines.next(line)) {
    if (!is_whitespace_only(line)) {
      throw malformed("text after the signature");
    }
  }
  return {std::move(body), true};
}

std::vector<std::string_view> value_lines(std::string_view value)
{
  std::vector<std::string_view> out;
  const auto nl = value.find('\n');
  if (nl == std::string_view::npos) {
    return out;
  }
  LineReader lines(value.substr(nl + 1));
  std::string_view line;
  while (lines.next(line)) {
    line = trim(line);
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

std::vector<std::string_view> words(std::string_view value)
{
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && is_space(value[i])) {
      ++i;
    }
    const std::size_t begin = i;
    while (i < value.size() && !is_space(value[i])) {
      ++i;
    }
    if (i > begin) {
      out.push_back(value.substr(begin, i - begin));
    }
  }
  return out;
}

} // namespace prepo::repo
