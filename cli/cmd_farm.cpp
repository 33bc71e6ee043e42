#include <algorithm>
#include <fmt/format.h>

#include "cli/context.hpp"
#include "import/remote_child.hpp"
#include "import/source_url.hpp"
#include "repo/names.hpp"
#include "stack/farm_graph.hpp"
#include "util/error.hpp"

namespace prepo::cli {

namespace {

struct FarmAddArgs {
  std::string name;
  std::string description;
  bool is_private = false;
  unsigned keep = 10;
  std::vector<std::string> from;
  std::vector<std::string> keyrings; // for a remote child
  std::string child_name;            // local name of a remote child
};

bool is_url(const std::string& s)
{
  return s.find("://") != std::string::npos;
}

// The local copy of a remote child farm, added to the configuration if new.
std::string add_remote_child(repo::Config& config, const std::string& url, const FarmAddArgs& args)
{
  import::check_source_url(url, "--from");
  const auto name = args.child_name.empty() ? import::remote_farm_name(url) : args.child_name;
  if (const auto* existing = config.find_farm(name)) {
    if (existing->remote != url) {
      throw util::Error("--from {}: farm {} already exists and is not a copy of it; give "
                        "--child-name",
                        url, name);
    }
    return name;
  }
  if (args.keyrings.empty()) {
    throw util::Error("--from {}: a remote child needs --keyring (the key its Release is signed "
                      "with)",
                      url);
  }
  repo::Farm copy;
  copy.name = name;
  copy.description = "local copy of " + url;
  copy.remote = url;
  for (const auto& k : args.keyrings) {
    copy.keyrings.push_back(
        std::filesystem::weakly_canonical(std::filesystem::absolute(k)).string());
  }
  config.add_farm(copy);
  return name;
}

} // namespace

void add_farm_command(CLI::App& app, Context& ctx)
{
  auto* farm = app.add_subcommand("farm", "Manage farms (layered archives)");
  farm->require_subcommand(1);

  auto args = std::make_shared<FarmAddArgs>();
  auto* add = farm->add_subcommand("add", "Add a farm, published under public/NAME/");
  add->add_option("name", args->name, "Farm name (lowercase letters, digits, . _ -)")->required();
  add->add_option("--description", args->description, "What the farm is for");
  add->add_option("--from", args->from,
                  "A child farm this one may copy from with prepo promote (repeatable); a URL "
                  "names a farm published on another host");
  add->add_option("--keyring", args->keyrings,
                  "For a remote child (--from URL): the public key its Release is signed with")
      ->check(CLI::ExistingFile);
  add->add_option("--child-name", args->child_name,
                  "For a remote child: the name of its local copy (default: the URL's last "
                  "segment)");
  add->add_flag("--private", args->is_private, "Serve only to token holders (see prepo serve)");
  add->add_option("--keep-generations", args->keep, "Generations kept for rollback (at least 3)")
      ->check(CLI::Range(3u, 100000u));
  add->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (!repo::is_valid_simple_name(args->name)) {
        throw util::Error("invalid farm name '{}' (use lowercase letters, digits, '.', '_', '-')",
                          args->name);
      }
      auto session = ctx.open_session();
      repo::Farm farm;
      farm.name = args->name;
      farm.description = args->description;
      farm.is_private = args->is_private;
      farm.keep_generations = args->keep;
      for (const auto& child : args->from) {
        if (!is_url(child)) {
          session.config().farm(child); // unknown children are named before anything else
        }
      }
      session.config().add_farm(farm);
      for (auto child : args->from) {
        if (is_url(child)) {
          child = add_remote_child(session.config(), child, *args);
        }
        stack::check_new_child(session.config(), farm.name, child);
        auto children = session.config().farm(farm.name).children;
        children.push_back(child);
        session.config().set_children(farm.name, children);
      }
      session.config().save(session.root());
      ctx.progress().note(fmt::format("farm {} added; publishes to {}", farm.name,
                                      session.root().farm_dir(farm.name).string()));
      return 0;
    };
  });

  struct ChildArgs {
    std::string parent, child;
  };
  auto child_args = std::make_shared<ChildArgs>();
  auto* add_child = farm->add_subcommand("add-child", "Let PARENT copy from CHILD (prepo promote)");
  add_child->add_option("parent", child_args->parent, "Parent farm")->required();
  add_child->add_option("child", child_args->child, "Child farm")->required();
  add_child->callback([&ctx, child_args] {
    ctx.run = [&ctx, child_args] {
      auto session = ctx.open_session();
      stack::check_new_child(session.config(), child_args->parent, child_args->child);
      auto children = session.config().farm(child_args->parent).children;
      children.push_back(child_args->child);
      session.config().set_children(child_args->parent, children);
      session.config().save(session.root());
      ctx.progress().note(
          fmt::format("{} may now copy from {}", child_args->parent, child_args->child));
      return 0;
    };
  });
  auto* remove_child =
      farm->add_subcommand("remove-child", "Stop PARENT copying from CHILD (nothing else changes)");
  remove_child->add_option("parent", child_args->parent, "Parent farm")->required();
  remove_child->add_option("child", child_args->child, "Child farm")->required();
  remove_child->callback([&ctx, child_args] {
    ctx.run = [&ctx, child_args] {
      auto session = ctx.open_session();
      auto children = session.config().farm(child_args->parent).children;
      auto it = std::find(children.begin(), children.end(), child_args->child);
      if (it == children.end()) {
        throw util::Error("farm {} has no child {}", child_args->parent, child_args->child);
      }
      children.erase(it);
      session.config().set_children(child_args->parent, children);
      session.config().save(session.root());
      ctx.progress().note(
          fmt::format("{} no longer copies from {}", child_args->parent, child_args->child));
      return 0;
    };
  });

  auto* list = farm->add_subcommand("list", "List farms as a tree of parents and children");
  auto json = std::make_shared<bool>(false);
  list->add_flag("--json", *json, "Print JSON");
  list->callback([&ctx, json] {
    ctx.run = [&ctx, json] {
      auto reader = ctx.open_reader();
      repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
      std::string out = *json ? "[" : "";
      bool first = true;
      for (const auto& [name, depth] : stack::farm_tree(reader.config)) {
        const auto& f = reader.config.farm(name);
        auto state = txn.farm_state(f.name);
        std::vector<std::string> dists;
        for (const auto* d : reader.config.distributions_of(f.name)) {
          dists.push_back(d->codename);
        }
        if (*json) {
          std::string names;
          for (const auto& d : dists) {
            names += (names.empty() ? "" : ",") + json_quote(d);
          }
          std::string children;
          for (const auto& c : f.children) {
            children += (children.empty() ? "" : ",") + json_quote(c);
          }
          out +=
              fmt::format("{}{{\"name\":{},\"visibility\":\"{}\",\"distributions\":[{}],"
                          "\"children\":[{}],\"depth\":{},\"generation\":{},"
                          "\"published\":{}}}",
                          first ? "" : ",", json_quote(f.name), f.is_private ? "private" : "public",
                          names, children, depth, state.current, state.published);
        } else {
          out += fmt::format("{}{} ({}) generation {}, published {}: {}\n",
                             std::string(2 * static_cast<std::size_t>(depth), ' '), f.name,
                             f.is_private ? "private" : "public", state.current, state.published,
                             dists.empty() ? "no distributions"
                                           : fmt::format("{}", fmt::join(dists, " ")));
        }
        first = false;
      }
      fmt::print("{}{}", out, *json ? "]\n" : "");
      return 0;
    };
  });
}

} // namespace prepo::cli
