// unbundled import and export: wal2json and Debezium files to scenarios and
// back (the conversions are core/interop, shared with the page).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/interop.h"
#include "core/simulator.h"

namespace unbundled {
namespace cli {
namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitWriteFailed = 3;

int ImportUsage() {
  std::cerr << "usage: unbundled import --from wal2json|debezium [--consumers SPEC.json]\n"
               "                        [--key FIELD[,FIELD...]] [--out FILE] FILE\n"
               "  writes a scenario (to FILE or stdout); see README, \"Real change streams\"\n";
  return kExitBadInput;
}

int ExportUsage() {
  std::cerr << "usage: unbundled export --to debezium [--out FILE] SCENARIO\n"
               "  runs SCENARIO and writes its change events as Debezium envelopes, one a line\n";
  return kExitBadInput;
}

// Writes the output whole, or nothing: to stdout, or atomically to a file.
int Emit(const std::string& out_path, const std::string& text) {
  if (out_path.empty()) {
    std::cout << text << std::flush;
    return std::cout ? 0 : kExitWriteFailed;
  }
  std::string error;
  if (!WriteFileAtomically(out_path, text, &error)) {
    std::cerr << "unbundled: " << out_path << ": " << error << "\n";
    return kExitWriteFailed;
  }
  return 0;
}

}  // namespace

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& text, std::string* error) {
  const std::string temp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    *error = std::string("cannot write: ") + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("cannot write: ") + std::strerror(errno);
      close(fd);
      unlink(temp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    *error = std::string("cannot sync: ") + std::strerror(errno);
    unlink(temp.c_str());
    return false;
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    *error = std::string("cannot rename into place: ") + std::strerror(errno);
    unlink(temp.c_str());
    return false;
  }
  return true;
}

bool ReadConsumers(const std::string& path, Json* consumers, std::string* error) {
  std::string text;
  if (!ReadWholeFile(path, &text)) {
    *error = "cannot read file";
    return false;
  }
  Json spec;
  try {
    spec = Json::parse(text);
  } catch (const Json::exception& e) {
    *error = std::string("not valid JSON: ") + e.what();
    return false;
  }
  if (spec.is_object() && spec.contains("consumers")) spec = spec["consumers"];
  if (!spec.is_array()) {
    *error = "must be an array of consumer specs, or an object with \"consumers\"";
    return false;
  }
  Simulator sim;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const Json r = sim.Apply(Json{{"op", "add_consumer"}, {"consumer", spec[i]}, {"mode", "replay"}});
    if (!r["ok"].get<bool>()) {
      *error = "consumers[" + std::to_string(i) + "]: " + r["error"].get<std::string>();
      return false;
    }
  }
  *consumers = std::move(spec);
  return true;
}

int Import(const std::vector<std::string>& args) {
  std::string from, path, out_path, consumers_path, keys;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--from" && i + 1 < args.size()) {
      from = args[++i];
    } else if (a == "--out" && i + 1 < args.size()) {
      out_path = args[++i];
    } else if (a == "--consumers" && i + 1 < args.size()) {
      consumers_path = args[++i];
    } else if (a == "--key" && i + 1 < args.size()) {
      keys = args[++i];
    } else if (path.empty() && a.rfind("--", 0) != 0) {
      path = a;
    } else {
      return ImportUsage();
    }
  }
  if (path.empty() || (from != "wal2json" && from != "debezium")) return ImportUsage();
  interop::ImportOptions options;
  options.source_name = path;
  if (!keys.empty()) {
    options.key_fields.clear();
    std::stringstream parts(keys);
    for (std::string k; std::getline(parts, k, ',');) {
      if (k.empty()) return ImportUsage();
      options.key_fields.push_back(k);
    }
  }
  std::string error;
  if (!consumers_path.empty() && !ReadConsumers(consumers_path, &options.consumers, &error)) {
    std::cerr << "unbundled: " << consumers_path << ": " << error << "\n";
    return kExitBadInput;
  }
  std::string text;
  if (!ReadWholeFile(path, &text)) {
    std::cerr << "unbundled: " << path << ": cannot read file\n";
    return kExitBadInput;
  }
  Json scenario;
  interop::ImportReport report;
  const Status s = from == "wal2json" ? interop::ImportWal2Json(text, options, &scenario, &report)
                                      : interop::ImportDebezium(text, options, &scenario, &report);
  if (!s.ok()) {
    std::cerr << "unbundled: " << path << ": " << s.message() << " (nothing was written)\n";
    return kExitBadInput;
  }
  const int rc = Emit(out_path, scenario.dump(2) + "\n");
  if (rc != 0) return rc;
  std::cerr << "unbundled: " << path << ": " << report.changes << " change"
            << (report.changes == 1 ? "" : "s") << " in " << report.transactions << " transaction"
            << (report.transactions == 1 ? "" : "s") << "\n";
  for (const auto& n : report.notices) std::cerr << "unbundled: " << path << ": " << n << "\n";
  return 0;
}

int Export(const std::vector<std::string>& args) {
  std::string to, path, out_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--to" && i + 1 < args.size()) {
      to = args[++i];
    } else if (a == "--out" && i + 1 < args.size()) {
      out_path = args[++i];
    } else if (path.empty() && a.rfind("--", 0) != 0) {
      path = a;
    } else {
      return ExportUsage();
    }
  }
  if (path.empty() || to != "debezium") return ExportUsage();
  std::string text;
  if (!ReadWholeFile(path, &text)) {
    std::cerr << "unbundled: " << path << ": cannot read file\n";
    return kExitBadInput;
  }
  std::string ndjson;
  const Status s = interop::ExportDebezium(text, &ndjson);
  if (!s.ok()) {
    std::cerr << "unbundled: " << path << ": " << s.message() << " (nothing was written)\n";
    return kExitBadInput;
  }
  return Emit(out_path, ndjson);
}

}  // namespace cli
}  // namespace unbundled
