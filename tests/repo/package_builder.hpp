// Real Debian packages built at test time with dpkg-deb and dpkg-source, so
// the readers are tested against what the tools actually write.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "support/shell.hpp"

namespace prepo::test {

namespace fs = std::filesystem;

inline void run_or_throw(const std::string& command)
{
  const CommandResult result = run_command(command);
  if (result.status != 0) {
    throw std::runtime_error("command failed: " + command);
  }
}

// A binary package from a DEBIAN/control text, built by dpkg-deb with the
// given -Z compression into work/out_name.
inline fs::path build_deb(const fs::path& work, const std::string& control,
                          const std::string& compression, const std::string& out_name)
{
  const fs::path root = work / ("root-" + out_name);
  write_text(root / "DEBIAN" / "control", control);
  write_text(root / "usr" / "share" / "doc" / "example" / "README", "example file\n");
  const fs::path out = work / out_name;
  run_or_throw("dpkg-deb --root-owner-group -Z" + compression + " --build " +
               shell_quote(root.string()) + " " + shell_quote(out.string()) + " >/dev/null 2>&1");
  return out;
}

// A .deb assembled by hand with ar and tar, for contents dpkg-deb refuses to
// build (missing fields, other format versions, members out of order).
inline fs::path build_raw_deb(const fs::path& work, const std::string& control,
                              const std::string& out_name,
                              const std::string& debian_binary = "2.0\n",
                              bool data_before_control = false)
{
  const fs::path dir = work / ("raw-" + out_name);
  write_text(dir / "c" / "control", control);
  write_text(dir / "d" / "file", "data\n");
  write_text(dir / "debian-binary", debian_binary);
  const std::string q = shell_quote(dir.string());
  run_or_throw("cd " + q + "/c && tar czf ../control.tar.gz ./control");
  run_or_throw("cd " + q + "/d && tar czf ../data.tar.gz ./file");
  const fs::path out = work / out_name;
  fs::remove(out);
  run_or_throw("cd " + q + " && ar rc " + shell_quote(out.string()) +
               (data_before_control ? " debian-binary data.tar.gz control.tar.gz"
                                    : " debian-binary control.tar.gz data.tar.gz") +
               " 2>/dev/null");
  return out;
}

// A source package built by dpkg-source -b in `dir`: "3.0 (quilt)" with an
// orig tarball when `revision` is not empty, else "3.0 (native)". Returns
// the .dsc path. `source_fields` ("Name: value\n" lines) go into debian/control's source stanza.
inline fs::path build_source(const fs::path& dir, const std::string& name,
                             const std::string& upstream, const std::string& revision,
                             const std::string& source_fields = "", const std::string& epoch = "")
{
  const std::string tree_name = name + "-" + upstream;
  const fs::path tree = dir / tree_name;
  write_text(tree / "src" / "main.c", "int main(void) { return 0; }\n");
  const std::string q = shell_quote(dir.string());
  const bool native = revision.empty();
  if (!native) {
    run_or_throw("cd " + q + " && tar czf " + shell_quote(name + "_" + upstream + ".orig.tar.gz") +
                 " " + shell_quote(tree_name));
  }
  const std::string file_version = native ? upstream : upstream + "-" + revision;
  const std::string version = epoch.empty() ? file_version : epoch + ":" + file_version;
  write_text(tree / "debian" / "source" / "format", native ? "3.0 (native)\n" : "3.0 (quilt)\n");
  write_text(tree / "debian" / "control",
             "Source: " + name +
                 "\nSection: devel\nPriority: optional\n"
                 "Maintainer: Jane Doe <jane@example.com>\n" +
                 source_fields + "Standards-Version: 4.6.2\n\nPackage: " + name +
                 "\nArchitecture: any\nDescription: test package\n A test.\n\nPackage: " + name +
                 "-doc\nArchitecture: all\nSection: doc\nDescription: docs\n Docs.\n");
  write_text(tree / "debian" / "changelog",
             name + " (" + version +
                 ") unstable; urgency=medium\n\n  * Test.\n\n"
                 " -- Jane Doe <jane@example.com>  Mon, 01 Jan 2024 00:00:00 +0000\n");
  write_text(tree / "debian" / "rules", "#!/usr/bin/make -f\n%:\n\tdh $@\n");
  fs::permissions(tree / "debian" / "rules", fs::perms::owner_exec, fs::perm_options::add);
  run_or_throw("cd " + q + " && dpkg-source -b " + shell_quote(tree_name) + " >/dev/null 2>&1");
  fs::remove_all(tree);
  return dir / (name + "_" + file_version + ".dsc");
}

} // namespace prepo::test
