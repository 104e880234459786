// tessera apply, diff, get, delete, export: declarative configuration through the hub's admin
// API (never the store directly). Documents are YAML or JSON files; API errors are shown at the
// file and line of the offending field.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "commands/commands.hpp"
#include "commands/hub_client.hpp"
#include "commands/hub_context.hpp"
#include "common/clock.hpp"
#include "common/time_format.hpp"
#include "model/field_errors.hpp"
#include "model/kind.hpp"
#include "model/yaml_documents.hpp"
#include "net/http_types.hpp"

namespace tessera::cli {

namespace {
using nlohmann::json;
using nlohmann::ordered_json;

// Exit codes of `tessera diff`.
constexpr int kDiffSame = 0;
constexpr int kDiffChanged = 1;
constexpr int kDiffError = 2;

// ---------------------------------------------------------------------------------------------
// Input documents

struct SourceFile {
  std::string name;
  std::vector<model::YamlDocument> documents;
};

// One object to apply: a document, or an element of a document holding several.
struct SourceObject {
  const SourceFile* file = nullptr;
  const model::YamlDocument* document = nullptr;
  std::string prefix;  // pointer of the object inside the document
  const json* value = nullptr;

  std::string where(std::string_view pointer) const {
    return file->name + ":" + std::to_string(document->lineOf(prefix + std::string(pointer)));
  }
};

Result<std::string> readInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument, path + ": cannot read: " + ec.message());
  }
  if (size > model::kMaxYamlFileBytes) {
    return fail(ErrorCode::kInvalidArgument, path + ": larger than 32 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    return fail(ErrorCode::kInvalidArgument, path + ": cannot read");
  }
  return text.str();
}

Result<std::vector<std::string>> expandPaths(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    std::error_code ec;
    if (arg != "-" && std::filesystem::is_directory(arg, ec)) {
      std::vector<std::string> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        const auto ext = entry.path().extension().string();
        if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
          files.push_back(entry.path().string());
        }
      }
      if (ec) {
        return fail(ErrorCode::kInvalidArgument, arg + ": cannot list: " + ec.message());
      }
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

struct Inputs {
  std::vector<std::unique_ptr<SourceFile>> files;
  std::vector<SourceObject> objects;
};

Result<Inputs> loadInputs(const std::vector<std::string>& args) {
  Inputs inputs;
  TESSERA_DECLARE_OR_RETURN(const auto paths, expandPaths(args));
  for (const auto& path : paths) {
    TESSERA_DECLARE_OR_RETURN(const auto text, readInput(path));
    auto file = std::make_unique<SourceFile>();
    file->name = path == "-" ? "<stdin>" : path;
    TESSERA_ASSIGN_OR_RETURN(file->documents, model::parseYamlDocuments(text, file->name));
    for (const auto& doc : file->documents) {
      const json& v = doc.value;
      // A list of objects: a JSON array, `tessera export -o json` or `tessera get -o json`.
      const json* list = nullptr;
      std::string listPointer;
      if (v.is_array()) {
        list = &v;
      } else if (v.is_object() && !v.contains("kind")) {
        for (const char* key : {"objects", "items"}) {
          if (v.contains(key) && v[key].is_array()) {
            list = &v[key];
            listPointer = std::string("/") + key;
          }
        }
      }
      if (list == nullptr) {
        inputs.objects.push_back(SourceObject{file.get(), &doc, "", &v});
        continue;
      }
      for (std::size_t i = 0; i < list->size(); ++i) {
        inputs.objects.push_back(
            SourceObject{file.get(), &doc, model::pointerAppend(listPointer, i), &(*list)[i]});
      }
    }
    inputs.files.push_back(std::move(file));
  }
  if (inputs.objects.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no documents in the given files");
  }
  return inputs;
}

// "/objects/3/spec/port" -> "app.yaml:12: spec.port"
std::string locate(const Inputs& inputs, const std::string& pointer) {
  constexpr std::string_view kObjects = "/objects/";
  if (pointer.starts_with(kObjects)) {
    const auto rest = std::string_view(pointer).substr(kObjects.size());
    const auto slash = rest.find('/');
    std::size_t index = 0;
    const auto digits = rest.substr(0, slash);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() &&
        index < inputs.objects.size()) {
      const std::string inner(slash == std::string_view::npos ? "" : rest.substr(slash));
      const auto& o = inputs.objects[index];
      return o.where(inner) + ": " + model::pointerToFieldPath(inner);
    }
  }
  return pointer.empty() ? std::string("(request)") : pointer;
}

// Replaces every "/objects/N..." pointer inside a server message ("... is already given at
// /objects/0", "(at /objects/3)") by the file and line of that document.
std::string locateInMessage(const Inputs& inputs, std::string message) {
  constexpr std::string_view kObjects = "/objects/";
  for (auto pos = message.find(kObjects); pos != std::string::npos;
       pos = message.find(kObjects, pos + 1)) {
    if (pos > 0 && message[pos - 1] != ' ' && message[pos - 1] != '(') {
      continue;
    }
    const auto end = message.find_first_of(" );,'", pos);
    const std::string pointer =
        message.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    std::string place = locate(inputs, pointer);
    if (place == pointer) {
      continue;
    }
    place = place.substr(0, place.rfind(": "));
    message.replace(pos, pointer.size(), place);
  }
  return message;
}

int reportApplyError(const Inputs& inputs, const Error& error, int exitCode) {
  if (error.fields.empty()) {
    std::cerr << "error: " << locateInMessage(inputs, error.message) << " ["
              << errorCodeName(error.code) << "]\n";
    return exitCode;
  }
  std::cerr << "error: the hub refused the configuration; nothing was changed ["
            << errorCodeName(error.code) << "]\n";
  for (const auto& f : error.fields) {
    std::cerr << "  " << locate(inputs, f.pointer) << ": " << locateInMessage(inputs, f.reason)
              << "\n";
  }
  return exitCode;
}

Result<json> postApply(const HubClient& hub, const Inputs& inputs, bool dryRun) {
  json objects = json::array();
  for (const auto& o : inputs.objects) {
    objects.push_back(*o.value);
  }
  return hub.post("/v1/apply", json{{"objects", std::move(objects)}, {"dryRun", dryRun}});
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "serverworkload/s3"
std::string displayId(std::string_view kind, std::string_view name) {
  return lower(kind) + "/" + std::string(name);
}

// ---------------------------------------------------------------------------------------------
// Rendering

// The document with its keys in reading order: apiVersion, kind, metadata (name, labels,
// description, then server fields), spec (type first); everything else sorted.
ordered_json displayOrder(const json& doc) {
  if (!doc.is_object()) {
    return ordered_json::parse(doc.dump());
  }
  const auto ordered = [](const json& obj, std::initializer_list<const char*> first) {
    ordered_json out = ordered_json::object();
    for (const char* key : first) {
      if (obj.contains(key)) {
        out[key] = ordered_json::parse(obj[key].dump());
      }
    }
    for (const auto& [key, value] : obj.items()) {
      if (!out.contains(key)) {
        out[key] = ordered_json::parse(value.dump());
      }
    }
    return out;
  };
  ordered_json out = ordered(doc, {"apiVersion", "kind", "metadata", "spec"});
  if (doc.contains("metadata") && doc["metadata"].is_object()) {
    out["metadata"] = ordered(
        doc["metadata"], {"name", "labels", "description", "createdAt", "updatedAt", "version"});
  }
  if (doc.contains("spec") && doc["spec"].is_object()) {
    out["spec"] = ordered(doc["spec"], {"type"});
  }
  return out;
}

std::string renderYaml(const json& doc) {
  return model::toYaml(displayOrder(doc));
}

std::string renderYamlDocuments(const std::vector<json>& docs) {
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) {
      out += "---\n";
    }
    out += renderYaml(docs[i]);
  }
  return out;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// A unified diff (3 lines of context) of two line lists, by longest common subsequence.
std::string unifiedDiff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Op {
    char tag;
    std::size_t ai, bi;
  };
  std::vector<Op> ops;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back(Op{' ', i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back(Op{'-', i++, j});  // removals first, as diff -u shows them
    } else {
      ops.push_back(Op{'+', i, j++});
    }
  }
  constexpr std::size_t kContext = 3;
  std::string out;
  std::size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].tag == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext before this change to kContext after the last change within reach.
    std::size_t start = k >= kContext ? k - kContext : 0;
    std::size_t end = k;
    while (end < ops.size()) {
      if (ops[end].tag != ' ') {
        ++end;
        continue;
      }
      std::size_t run = end;
      while (run < ops.size() && ops[run].tag == ' ') {
        ++run;
      }
      if (run == ops.size() || run - end > 2 * kContext) {
        end = std::min(run, end + kContext);
        break;
      }
      end = run;
    }
    std::size_t aCount = 0;
    std::size_t bCount = 0;
    for (std::size_t x = start; x < end; ++x) {
      aCount += ops[x].tag != '+' ? 1 : 0;
      bCount += ops[x].tag != '-' ? 1 : 0;
    }
    out += "@@ -" + std::to_string(aCount == 0 ? ops[start].ai : ops[start].ai + 1) + "," +
           std::to_string(aCount) + " +" +
           std::to_string(bCount == 0 ? ops[start].bi : ops[start].bi + 1) + "," +
           std::to_string(bCount) + " @@\n";
    for (std::size_t x = start; x < end; ++x) {
      out += ops[x].tag;
      out += ops[x].tag == '+' ? b[ops[x].bi] : a[ops[x].ai];
      out += '\n';
    }
    k = end;
  }
  return out;
}

std::string age(const json& metadata, std::int64_t now) {
  if (!metadata.contains("updatedAt") || !metadata["updatedAt"].is_string()) {
    return "-";
  }
  const auto t = parseRfc3339(metadata["updatedAt"].get<std::string>());
  if (!t) {
    return "-";
  }
  const std::int64_t s = std::max<std::int64_t>(0, now - toUnixSeconds(*t));
  if (s < 120) {
    return std::to_string(s) + "s";
  }
  if (s < 7200) {
    return std::to_string(s / 60) + "m";
  }
  if (s < 2 * 86400) {
    return std::to_string(s / 3600) + "h";
  }
  return std::to_string(s / 86400) + "d";
}

std::string labelsText(const json& metadata) {
  if (!metadata.contains("labels") || !metadata["labels"].is_object() ||
      metadata["labels"].empty()) {
    return "<none>";
  }
  std::string out;
  for (const auto& [k, v] : metadata["labels"].items()) {
    out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

std::string specText(const json& spec, const char* key) {
  if (!spec.is_object() || !spec.contains(key)) {
    return "-";
  }
  const auto& v = spec[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void printTable(model::Kind kind, const std::vector<json>& items) {
  std::vector<std::string> header = {"NAME"};
  const bool typed = kind == model::Kind::kTrustProvider || kind == model::Kind::kAccessCondition ||
                     kind == model::Kind::kCredentialProvider;
  if (typed) {
    header.push_back("TYPE");
  } else if (kind == model::Kind::kServerWorkload) {
    header.push_back("HOST:PORT");
  } else if (kind == model::Kind::kAccessPolicy) {
    header.push_back("SERVER WORKLOAD");
  }
  header.insert(header.end(), {"LABELS", "VERSION", "UPDATED"});
  const std::int64_t now = toUnixSeconds(SystemClock::instance().now());
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& item : items) {
    const json meta = item.value("metadata", json::object());
    const json spec = item.value("spec", json::object());
    std::vector<std::string> row = {meta.value("name", "")};
    if (typed) {
      row.push_back(specText(spec, "type"));
    } else if (kind == model::Kind::kServerWorkload) {
      row.push_back(specText(spec, "host") + ":" + specText(spec, "port"));
    } else if (kind == model::Kind::kAccessPolicy) {
      row.push_back(specText(spec, "serverWorkload"));
    }
    row.push_back(labelsText(meta));
    row.push_back(meta.contains("version") ? meta["version"].dump() : "-");
    row.push_back(age(meta, now));
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) {
        line.append(widths[c] - row[c].size() + 3, ' ');
      }
    }
    std::cout << line << "\n";
  }
}

Result<model::Kind> kindArgument(const std::string& text) {
  if (auto kind = model::parseKindLoose(text)) {
    return *kind;
  }
  std::string known;
  for (auto k : model::kAllKinds) {
    known += (known.empty() ? "" : ", ") + std::string(model::collectionName(k));
  }
  return fail(ErrorCode::kInvalidArgument, "unknown kind '" + text + "'; known: " + known);
}

Result<void> checkOutput(const std::string& output, bool table) {
  if (output == "yaml" || output == "json" || (table && output == "table")) {
    return {};
  }
  return fail(ErrorCode::kInvalidArgument,
              "-o " + output + ": must be " + (table ? "table, yaml or json" : "yaml or json"));
}

std::string collectionPath(model::Kind kind) {
  return "/v1/" + std::string(model::collectionName(kind));
}

// ---------------------------------------------------------------------------------------------
// Commands

struct FileArgs {
  HubOptions hub;
  std::vector<std::string> files;
  bool dryRun = false;
};

int runApply(const FileArgs& args) {
  auto inputs = loadInputs(args.files);
  if (!inputs) {
    return reportError(inputs.error());
  }
  auto hub = HubClient::connect(args.hub);
  if (!hub) {
    return reportError(hub.error());
  }
  auto result = postApply(*hub, *inputs, args.dryRun);
  if (!result) {
    return reportApplyError(*inputs, result.error(), 1);
  }
  std::map<std::string, int> counts;
  for (const auto& r : (*result)["results"]) {
    const std::string action = r.value("action", "");
    ++counts[action];
    std::cout << displayId(r.value("kind", ""), r.value("name", "")) << " " << action
              << (args.dryRun ? " (dry run)" : "") << "\n";
  }
  std::cerr << (*result)["results"].size() << " objects: " << counts["created"] << " created, "
            << counts["updated"] << " updated, " << counts["unchanged"] << " unchanged"
            << (args.dryRun ? "; dry run, nothing was written"
                            : "; revision " + (*result)["revision"].dump())
            << "\n";
  return 0;
}

int runDiff(const FileArgs& args) {
  auto inputs = loadInputs(args.files);
  if (!inputs) {
    reportError(inputs.error());
    return kDiffError;
  }
  auto hub = HubClient::connect(args.hub);
  if (!hub) {
    reportError(hub.error());
    return kDiffError;
  }
  auto result = postApply(*hub, *inputs, true);
  if (!result) {
    return reportApplyError(*inputs, result.error(), kDiffError);
  }
  int code = kDiffSame;
  for (const auto& r : (*result)["results"]) {
    const std::string action = r.value("action", "");
    if (action == "unchanged") {
      continue;
    }
    code = kDiffChanged;
    const std::string id = displayId(r.value("kind", ""), r.value("name", ""));
    const auto before =
        r.contains("before") ? splitLines(renderYaml(r["before"])) : std::vector<std::string>{};
    const auto after =
        r.contains("after") ? splitLines(renderYaml(r["after"])) : std::vector<std::string>{};
    std::cout << "--- " << (before.empty() ? "/dev/null" : id + " (live)") << "\n"
              << "+++ " << id << " (" << action << ")\n";
    if (before == after) {
      std::cout << "# only write-only (secret) fields change; they are never shown\n";
    } else {
      std::cout << unifiedDiff(before, after);
    }
  }
  return code;
}

struct GetArgs {
  HubOptions hub;
  std::string kind, name, output = "table", selector;
};

int runGet(const GetArgs& args) {
  auto kind = kindArgument(args.kind);
  if (!kind) {
    return reportError(kind.error());
  }
  if (auto ok = checkOutput(args.output, true); !ok) {
    return reportError(ok.error());
  }
  auto hub = HubClient::connect(args.hub);
  if (!hub) {
    return reportError(hub.error());
  }
  const std::string base = collectionPath(*kind);
  std::vector<json> items;
  if (!args.name.empty()) {
    auto one = hub->get(base + "/" + net::percentEncode(args.name));
    if (!one) {
      return reportError(one.error());
    }
    items.push_back(std::move(*one));
  } else {
    std::string pageToken;
    do {
      std::string path = base + "?limit=1000";
      if (!args.selector.empty()) {
        path += "&labelSelector=" + net::percentEncode(args.selector);
      }
      if (!pageToken.empty()) {
        path += "&pageToken=" + net::percentEncode(pageToken);
      }
      auto page = hub->get(path);
      if (!page) {
        return reportError(page.error());
      }
      for (auto& item : (*page)["items"]) {
        items.push_back(std::move(item));
      }
      pageToken = page->value("nextPageToken", "");
    } while (!pageToken.empty());
  }
  if (args.output == "yaml") {
    std::cout << renderYamlDocuments(items);
  } else if (args.output == "json") {
    ordered_json out;
    if (!args.name.empty()) {
      out = displayOrder(items.front());
    } else {
      out = ordered_json{{"items", ordered_json::array()}};
      for (const auto& item : items) {
        out["items"].push_back(displayOrder(item));
      }
    }
    std::cout << out.dump(2) << "\n";
  } else if (items.empty()) {
    std::cerr << "no " << model::kindName(*kind) << " objects"
              << (args.selector.empty() ? "" : " match " + args.selector) << "\n";
  } else {
    printTable(*kind, items);
  }
  return 0;
}

struct DeleteArgs {
  HubOptions hub;
  std::string kind, name;
};

int runDelete(const DeleteArgs& args) {
  auto kind = kindArgument(args.kind);
  if (!kind) {
    return reportError(kind.error());
  }
  auto hub = HubClient::connect(args.hub);
  if (!hub) {
    return reportError(hub.error());
  }
  if (auto done = hub->remove(collectionPath(*kind) + "/" + net::percentEncode(args.name)); !done) {
    return reportError(done.error());
  }
  std::cout << displayId(model::kindName(*kind), args.name) << " deleted\n";
  return 0;
}

struct ExportArgs {
  HubOptions hub;
  std::string output = "yaml";
};

int runExport(const ExportArgs& args) {
  if (auto ok = checkOutput(args.output, false); !ok) {
    return reportError(ok.error());
  }
  auto hub = HubClient::connect(args.hub);
  if (!hub) {
    return reportError(hub.error());
  }
  auto exported = hub->get("/v1/export");
  if (!exported) {
    return reportError(exported.error());
  }
  std::vector<json> objects;
  for (auto& o : (*exported)["objects"]) {
    objects.push_back(std::move(o));
  }
  // Referenced kinds first (the order of model::kAllKinds), then by name: applies cleanly.
  const auto rank = [](const json& o) {
    const auto kind = model::parseKindName(o.value("kind", ""));
    const auto it = kind ? std::find(model::kAllKinds.begin(), model::kAllKinds.end(), *kind)
                         : model::kAllKinds.end();
    return std::make_pair(it - model::kAllKinds.begin(),
                          o.value("metadata", json::object()).value("name", ""));
  };
  std::stable_sort(objects.begin(), objects.end(),
                   [&](const json& a, const json& b) { return rank(a) < rank(b); });
  if (args.output == "json") {
    ordered_json out = {{"objects", ordered_json::array()}};
    for (const auto& o : objects) {
      out["objects"].push_back(displayOrder(o));
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << renderYamlDocuments(objects);
  }
  return 0;
}
}  // namespace

void registerConfigCommands(CLI::App& app, int& exitCode) {
  const std::string kinds =
      "KIND: clientWorkloads, serverWorkloads, trustProviders, accessConditions, "
      "credentialProviders or accessPolicies (any case; singular; dashes allowed, e.g. "
      "server-workload)";

  auto a = std::make_shared<FileArgs>();
  auto* apply = app.add_subcommand(
      "apply", "Create or update configuration objects from YAML/JSON files (one transaction)");
  apply->footer(
      "Every object of every file is applied in one transaction: all or nothing. Errors are "
      "shown at file:line.\nExit codes: 0 applied (or nothing to do), 1 any error.");
  a->hub.addOptions(apply);
  apply
      ->add_option("-f,--filename", a->files,
                   "File, directory (its *.yaml, *.yml and *.json files) or - for stdin; repeat "
                   "for more")
      ->required();
  apply->add_flag("--dry-run", a->dryRun, "Check and report what would change; write nothing");
  apply->callback([a, &exitCode] { exitCode = runApply(*a); });

  auto d = std::make_shared<FileArgs>();
  auto* diff = app.add_subcommand(
      "diff", "Show what `tessera apply` would change (exit 0: nothing, 1: something, 2: error)");
  diff->footer(
      "A dry-run apply; prints a unified diff per object that would change (write-only secrets "
      "are never shown).\nExit codes: 0 nothing would change, 1 something would change, 2 an "
      "error (invalid files, refused by the hub, hub unreachable).");
  d->hub.addOptions(diff);
  diff->add_option("-f,--filename", d->files, "File, directory or - for stdin; repeat for more")
      ->required();
  diff->callback([d, &exitCode] { exitCode = runDiff(*d); });

  auto g = std::make_shared<GetArgs>();
  auto* get = app.add_subcommand("get", "List configuration objects of a kind, or show one");
  g->hub.addOptions(get);
  get->add_option("KIND", g->kind, kinds)->required();
  get->add_option("NAME", g->name, "One object's name (default: all)");
  get->add_option("-o,--output", g->output, "table, yaml or json")->capture_default_str();
  get->add_option("-l,--selector", g->selector,
                  "Label selector: key=value, key!=value, key, !key; comma-separated (AND)");
  get->callback([g, &exitCode] { exitCode = runGet(*g); });

  auto r = std::make_shared<DeleteArgs>();
  auto* del = app.add_subcommand(
      "delete", "Delete one configuration object (refused while others reference it)");
  r->hub.addOptions(del);
  del->add_option("KIND", r->kind, kinds)->required();
  del->add_option("NAME", r->name, "The object's name")->required();
  del->callback([r, &exitCode] { exitCode = runDelete(*r); });

  auto e = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand(
      "export", "Print every configuration object as documents `tessera apply` accepts");
  exp->footer(
      "Without server-managed fields and without write-only secrets (provision those on a new "
      "hub before applying an export there), referenced kinds first.");
  e->hub.addOptions(exp);
  exp->add_option("-o,--output", e->output, "yaml or json")->capture_default_str();
  exp->callback([e, &exitCode] { exitCode = runExport(*e); });
}

}  // namespace tessera::cli
