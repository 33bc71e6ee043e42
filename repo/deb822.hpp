// deb822 control data: stanzas of "Name: value" fields, continuation lines
// starting with a space or tab, stanzas separated by blank lines. Field
// order is kept as read; names compare case-insensitively.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prepo::repo {

struct Field {
  std::string name;
  std::string value; // as written after "Name:", leading blanks of the first line removed,
                     // continuation lines kept verbatim with their "\n " prefix
};

class Stanza {
public:
  Stanza() = default;
  explicit Stanza(std::vector<Field> fields) : fields_(std::move(fields)) {}

  std::optional<std::string_view> get(std::string_view name) const;
  // The value or Error "<source>: missing field <name>".
  std::string_view require(std::string_view name, std::string_view source) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Replace the value in place, or append the field at the end.
  void set(std::string_view name, std::string value);
  bool erase(std::string_view name);
  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>& fields() { return fields_; }
  bool empty() const { return fields_.empty(); }

  // "Name: value\n" per field (no trailing blank line).
  std::string to_string() const;

private:
  std::vector<Field> fields_;
};

// Parse deb822 text. Errors name `source` and the line number. Comment lines
// (starting with '#') are skipped when allow_comments (conf/ files).
std::vector<Stanza> parse_deb822(std::string_view text, std::string_view source,
                                 bool allow_comments = false);
// The same, one stanza at a time: `fn` sees each as soon as it is read, and
// may move from it. For large indexes, where keeping every stanza would
// cost several times the text.
void for_each_stanza(std::string_view text, std::string_view source,
                     const std::function<void(Stanza&)>& fn);
// Exactly one stanza (a .dsc, .changes, Release, or DEBIAN/control).
Stanza parse_single_stanza(std::string_view text, std::string_view source);

// An OpenPGP clear-signed document's signed body (dash-escaping removed);
// unsigned text is returned unchanged with was_signed = false. Malformed
// armor is an Error naming `source`.
struct Unwrapped {
  std::string body;
  bool was_signed = false;
};
Unwrapped strip_clearsign(std::string_view text, std::string_view source);

// Lines of a multi-line field value ("Files", "Checksums-Sha256", ...): the
// non-empty continuation lines, each trimmed.
std::vector<std::string_view> value_lines(std::string_view value);
// Whitespace-separated words of a value.
std::vector<std::string_view> words(std::string_view value);

bool iequals(std::string_view a, std::string_view b);

} // namespace prepo::repo
