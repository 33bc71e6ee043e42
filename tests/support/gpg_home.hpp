// A throwaway GNUPGHOME for tests that sign or verify: one passphrase-less
// ed25519 key per user id, its public keys exported armored (pub.asc) and
// binary (pub.gpg). The directory must have a short path: gpg-agent's
// socket name has to fit in sun_path.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/shell.hpp"
#include "util/gpg.hpp"

namespace prepo::test {

struct GpgHome {
  std::filesystem::path dir;
  std::string fingerprint; // of the first key

  GpgHome(const std::filesystem::path& parent, const std::string& name,
          const std::vector<std::string>& uids)
      : dir(parent / name)
  {
    namespace fs = std::filesystem;
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    for (const std::string& uid : uids) {
      gpg("--quick-gen-key '" + uid + "' ed25519 sign never");
    }
    gpg("--armor --export > " + shell_quote(pub_asc()));
    gpg("--export > " + shell_quote(pub_gpg()));
    fingerprint =
        gpg("--with-colons --list-secret-keys | awk -F: '/^fpr/ {printf \"%s\", $10; exit}'");
  }
  ~GpgHome()
  {
    run_command("gpgconf --homedir " + shell_quote(dir.string()) + " --kill all >/dev/null 2>&1");
  }
  GpgHome(const GpgHome&) = delete;
  GpgHome& operator=(const GpgHome&) = delete;

  // gpg with this home, quiet, without a passphrase; its standard output.
  std::string gpg(const std::string& args) const
  {
    const std::string command = "GNUPGHOME=" + shell_quote(dir.string()) +
                                " gpg --batch --quiet --passphrase '' " + args + " 2>/dev/null";
    auto result = run_command(command);
    if (result.status != 0) {
      throw std::runtime_error("failed: " + command);
    }
    return result.output;
  }
  std::string pub_asc() const { return (dir / "pub.asc").string(); }
  std::string pub_gpg() const { return (dir / "pub.gpg").string(); }
  util::gpg::SignOptions options(const std::string& key = "") const { return {key, dir.string()}; }
};

} // namespace prepo::test
