// unbundled: the native program.
//
//   unbundled run [--compact] [--strict] [--log FILE] [--stream] SCENARIO
//   unbundled dump FILE
//   unbundled recover [--compact] [--recovery MODE] FILE
//   unbundled ops [--markdown]
//
// run prints {"results": [one result per step], "state": {...}} as JSON; with
// --stream it prints each step's result as one line as soon as the step is
// done (after its fsync), then the state. With --log the log's bytes go to
// FILE too, synced as the commit mode says.
// Exit status: 0 when it ran (even if steps failed on purpose), 1 when an
// "expect" step did not hold (or, with --strict, when any step was refused;
// for recover, when recovery refused to open the log), 2 for a usage error or
// an unreadable or malformed file, 3 when writing the log file failed.
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/file_log_sink.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "core/ops.h"
#include "core/scenario.h"
#include "core/simulator.h"

namespace {

using unbundled::Json;

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

int Usage() {
  std::cerr
      << "usage: unbundled run [--compact] [--strict] [--log FILE] [--stream] SCENARIO\n"
         "       unbundled dump FILE\n"
         "       unbundled recover [--compact] [--recovery MODE] FILE\n"
         "       unbundled ops [--markdown]\n"
         "  run      runs a scenario file and prints its results and final state as JSON\n"
         "    --compact  one line of JSON\n"
         "    --strict   any refused step fails the run (exit 1), as for lessons\n"
         "    --log FILE also write the log's bytes to FILE, fsyncing as the commit mode says\n"
         "    --stream   print each step's result as a line as soon as it is done\n"
         "  dump     prints every record of a log file: offset, size, LSN, checksum, entry;\n"
         "           and every problem the reader found (torn tail, corruption)\n"
         "  recover  reads a log file as the database's recovery does, replays it into\n"
         "           storage and prints {\"result\", \"state\"}; MODE is point_in_time\n"
         "           (default), absolute or skip. The file is not changed.\n"
         "  ops      prints the table of ops as JSON (or as the README's Markdown)\n";
  return kExitBadInput;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "unbundled: " << path << ": cannot read file\n";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

int Run(const std::vector<std::string>& args) {
  bool compact = false, strict = false, stream = false;
  std::string path, log_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--compact") {
      compact = true;
    } else if (arg == "--strict") {
      strict = true;
    } else if (arg == "--stream") {
      stream = true;
    } else if (arg == "--log" && i + 1 < args.size()) {
      log_path = args[++i];
    } else if (path.empty() && arg.rfind("--", 0) != 0) {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();
  std::string text;
  if (!ReadFile(path, &text)) return kExitBadInput;
  Json scenario;
  try {
    scenario = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e999
    std::cerr << "unbundled: " << path << ": not valid JSON: " << e.what() << "\n";
    return kExitBadInput;
  }
  // Check the file before creating the log file, so a malformed scenario
  // leaves no file behind.
  unbundled::Status s = unbundled::ValidateScenario(scenario);
  if (!s.ok()) {
    std::cerr << "unbundled: " << path << ": malformed scenario: " << s.message() << "\n";
    return kExitBadInput;
  }
  unbundled::Simulator sim;
  std::unique_ptr<unbundled::FileLogSink> sink;
  Json reopened = nullptr;
  if (!log_path.empty()) {
    // An existing log is reopened: recovered (refusing corruption, cutting a
    // torn tail), then appended to.
    std::string existing;
    std::ifstream probe(log_path, std::ios::binary);
    if (probe) {
      std::stringstream bytes;
      bytes << probe.rdbuf();
      existing = bytes.str();
    }
    if (!existing.empty()) {
      sim.OpenLog(std::move(existing));
      reopened = sim.Apply(Json{{"op", "recover"}, {"recovery", "absolute"}});
      if (!reopened["ok"].get<bool>()) {
        std::cerr << "unbundled: " << log_path << ": cannot reopen the log: "
                  << reopened["error"].get<std::string>()
                  << "\n  (`unbundled recover --recovery point_in_time " << log_path
                  << "` shows what recovery would keep; the file was not changed)\n";
        return kExitBadInput;
      }
    }
    sink = std::make_unique<unbundled::FileLogSink>(log_path, reopened.is_null(),
                                                    sim.engine().wal().file().size());
    sim.mutable_engine()->mutable_wal()->mutable_file()->AttachSink(sink.get());
  }
  unbundled::ScenarioRun run;
  if (stream && !reopened.is_null()) std::cout << Json{{"reopened", reopened}}.dump() << std::endl;
  auto on_step = [stream](std::size_t, const Json& result) {
    if (!stream) return;
    std::cout << result.dump() << std::endl;  // flushed: a reader sees it at once
  };
  s = unbundled::RunScenario(scenario, &sim, &run, on_step);
  if (!s.ok()) {
    std::cerr << "unbundled: " << path << ": malformed scenario: " << s.message() << "\n";
    return kExitBadInput;
  }
  if (stream) {
    std::cout << Json{{"state", sim.State()}}.dump() << "\n";
  } else {
    Json out = {{"results", run.results}, {"state", sim.State()}};
    if (!reopened.is_null()) out["reopened"] = reopened;
    std::cout << (compact ? out.dump() : out.dump(2)) << "\n";
  }
  bool failed = !run.failed_expectations.empty();
  for (std::size_t i = 0; i < run.results.size(); ++i) {
    if (run.results[i]["ok"].get<bool>()) continue;
    const bool is_expect = scenario["steps"][i]["op"] == "expect";
    if (!is_expect && !strict) continue;
    failed = true;
    std::cerr << "unbundled: " << path << ": steps[" << i << "] ("
              << scenario["steps"][i]["op"].get<std::string>() << ") "
              << (is_expect ? "failed: " : "was refused: ")
              << run.results[i]["error"].get<std::string>() << "\n";
  }
  sim.mutable_engine()->mutable_wal()->mutable_file()->AttachSink(nullptr);
  return failed ? kExitFailed : 0;
}

std::string Hex32(std::uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

int Dump(const std::vector<std::string>& args) {
  if (args.size() != 1) return Usage();
  std::string bytes;
  if (!ReadFile(args[0], &bytes)) return kExitBadInput;
  std::size_t records = 0, problems = 0;
  unbundled::log::Reader reader(
      bytes,
      [&problems](const unbundled::log::Problem& p) {
        ++problems;
        std::cout << "@" << p.offset << " " << (p.torn_tail ? "TORN TAIL" : "CORRUPTION") << ": "
                  << p.reason << "; " << p.bytes << " bytes dropped"
                  << (p.lsn ? " (header claims LSN " + std::to_string(*p.lsn) + ")" : "") << "\n";
      },
      /*skip_corruption=*/true);
  unbundled::log::Record r;
  std::cout << "# " << args[0] << ": " << bytes.size() << " bytes\n";
  while (reader.ReadRecord(&r)) {
    ++records;
    std::cout << "@" << r.offset << " size " << r.size << " lsn " << r.entry.lsn << " checksum "
              << Hex32(r.checksum) << " " << (r.entry.op == unbundled::LogOp::kPut ? "put" : "delete")
              << " " << Json(r.entry.key).dump();
    if (r.entry.op == unbundled::LogOp::kPut) std::cout << " " << r.entry.value.dump();
    std::cout << "\n";
  }
  std::cout << "# " << records << " record" << (records == 1 ? "" : "s") << ", " << problems
            << " problem" << (problems == 1 ? "" : "s") << "\n";
  return 0;
}

int Recover(const std::vector<std::string>& args) {
  bool compact = false;
  std::string path, mode;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--compact") {
      compact = true;
    } else if (args[i] == "--recovery" && i + 1 < args.size()) {
      mode = args[++i];
    } else if (path.empty() && args[i].rfind("--", 0) != 0) {
      path = args[i];
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();
  std::string bytes;
  if (!ReadFile(path, &bytes)) return kExitBadInput;
  unbundled::Simulator sim;
  sim.OpenLog(std::move(bytes));
  Json step = {{"op", "recover"}};
  if (!mode.empty()) step["recovery"] = mode;
  Json result = sim.Apply(step);
  Json out = {{"result", result}, {"state", sim.State()}};
  std::cout << (compact ? out.dump() : out.dump(2)) << "\n";
  if (!result["ok"].get<bool>()) {
    std::cerr << "unbundled: " << path << ": " << result["error"].get<std::string>() << "\n";
    return mode.empty() || mode == "point_in_time" || mode == "absolute" || mode == "skip"
               ? kExitFailed
               : kExitBadInput;
  }
  return 0;
}

int Ops(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cout << unbundled::OpsJson().dump(2) << "\n";
  } else if (args.size() == 1 && args[0] == "--markdown") {
    std::cout << unbundled::OpsMarkdown();
  } else {
    return Usage();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "run") return Run(args);
  if (command == "dump") return Dump(args);
  if (command == "recover") return Recover(args);
  if (command == "ops") return Ops(args);
  return Usage();
}
