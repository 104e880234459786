// tessera admin token {create, list, revoke}: admin API tokens, managed on the hub's host.
#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "commands/hub_context.hpp"
#include "common/time_format.hpp"
#include "hub/admin_tokens.hpp"

namespace tessera::cli {

void registerAdminCommands(CLI::App& app, int& exitCode) {
  auto* admin = app.add_subcommand("admin", "Administer the hub");
  admin->require_subcommand(1);
  auto* token = admin->add_subcommand("token", "Admin API tokens (stored hashed, revocable)");
  token->require_subcommand(1);

  struct CreateArgs {
    HubLocation location;
    std::string role, description;
  };
  auto c = std::make_shared<CreateArgs>();
  auto* create = token->add_subcommand(
      "create", "Create a token and print it once (it cannot be shown again)");
  c->location.addOptions(create);
  create->add_option("--role", c->role, "admin, editor, auditor or edge")->required();
  create->add_option("--description", c->description, "What the token is for");
  create->callback([c, &exitCode] {
    const auto role = hub::adminRoleFromName(c->role);
    if (!role) {
      exitCode =
          reportError(Error{ErrorCode::kInvalidArgument,
                            "--role " + c->role + ": not one of admin, editor, auditor, edge"});
      return;
    }
    auto opened = openStore(c->location);
    if (!opened) {
      exitCode = reportError(opened.error());
      return;
    }
    hub::AdminTokens tokens(opened->store.adminTokens, SystemClock::instance());
    auto issued = tokens.create(*role, c->description);
    if (!issued) {
      exitCode = reportError(issued.error());
      return;
    }
    std::cerr << "created " << c->role << " token " << issued->record.id
              << "; it is printed once, store it now\n";
    std::cout << issued->token << "\n";
  });

  auto listLocation = std::make_shared<HubLocation>();
  auto* list = token->add_subcommand("list", "List tokens (ids and roles, never secrets)");
  listLocation->addOptions(list);
  list->callback([listLocation, &exitCode] {
    auto opened = openStore(*listLocation);
    if (!opened) {
      exitCode = reportError(opened.error());
      return;
    }
    auto all = opened->store.adminTokens->list();
    if (!all) {
      exitCode = reportError(all.error());
      return;
    }
    std::cout << "ID                ROLE     CREATED               REVOKED               "
                 "DESCRIPTION\n";
    for (const auto& t : *all) {
      std::string role = t.role;
      role.resize(9, ' ');
      std::cout << t.id << "  " << role << formatUnixRfc3339(t.createdAt) << "  "
                << (t.revokedAt ? formatUnixRfc3339(*t.revokedAt)
                                : std::string("-").append(19, ' '))
                << "  " << t.description << "\n";
    }
  });

  struct RevokeArgs {
    HubLocation location;
    std::string id;
  };
  auto r = std::make_shared<RevokeArgs>();
  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id; it stops working at once");
  r->location.addOptions(revoke);
  revoke->add_option("ID", r->id, "Token id (from `tessera admin token list`)")->required();
  revoke->callback([r, &exitCode] {
    auto opened = openStore(r->location);
    if (!opened) {
      exitCode = reportError(opened.error());
      return;
    }
    hub::AdminTokens tokens(opened->store.adminTokens, SystemClock::instance());
    if (auto done = tokens.revoke(r->id); !done) {
      exitCode = reportError(done.error());
      return;
    }
    std::cout << "revoked " << r->id << "\n";
  });
}

}  // namespace tessera::cli
