// unbundled: the native program.
//
//   unbundled run [--compact] [--strict] [--log FILE] [--stream] SCENARIO
//   unbundled dump FILE
//   unbundled recover [--compact] [--recovery MODE] FILE
//   unbundled ops [--markdown]
//   unbundled import --from wal2json|debezium [--consumers SPEC.json] [--key F,...] [--out FILE] FILE
//   unbundled export --to debezium [--out FILE] SCENARIO
//   unbundled follow --dsn DSN --slot NAME --consumers SPEC.json [--record FILE] ...
//
// run prints {"results": [one result per step], "state": {...}} as JSON; with
// --stream it prints each step's result as one line as soon as the step is
// done (after its fsync), then the state. With --log the log's bytes go to
// FILE too, synced as the commit mode says.
// Exit status: 0 when it ran (even if steps failed on purpose), 1 when an
// "expect" or "predict" step did not hold, when a step marked "refused" was not refused
// for that reason (or, with --strict, when any other step was refused; for recover, when recovery refused to open the log), 2 for a usage error or
// an unreadable or malformed file, 3 when writing the log file failed.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
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
         "       unbundled import --from wal2json|debezium [--consumers SPEC.json] [--key F,...] [--out FILE] FILE\n"
         "       unbundled export --to debezium [--out FILE] SCENARIO\n"
         "       unbundled follow --dsn DSN --slot NAME --consumers SPEC.json [--record FILE]\n"
         "                        [--create-slot] [--until-idle SECONDS] [--max-changes N] [--json]\n"
         "  run      runs a scenario file and prints its results and final state as JSON\n"
         "    --compact  one line of JSON\n"
         "    --strict   any refused step fails the run (exit 1), as for lessons, except a\n"
         "               step marked \"refused\": TEXT, which must be refused with TEXT\n"
         "    --log FILE also write the log's bytes to FILE, fsyncing as the commit mode says\n"
         "    --stream   print each step's result as a line as soon as it is done\n"
         "  dump     prints every record of a log file: offset, size, LSN, checksum, entry\n"
         "           (and its request id, if it has one); and every problem the reader\n"
         "           found (torn tail, corruption)\n"
         "  recover  reads a log file as the database's recovery does, replays it into\n"
         "           storage and prints {\"result\", \"state\"}; MODE is point_in_time\n"
         "           (default), absolute or skip. The file is not changed.\n"
         "  ops      prints the table of ops as JSON (or as the README's Markdown)\n"
         "  import   turns PostgreSQL's logical decoding (wal2json, format-version 2) or\n"
         "           Debezium change events (one a line) into a scenario; nothing is written\n"
         "           if the input is bad\n"
         "  export   runs a scenario and writes its change events as Debezium envelopes\n"
         "  follow   streams a PostgreSQL wal2json replication slot into the engine live,\n"
         "           confirming to the slot what every consumer has processed\n";
  return kExitBadInput;
}

// Writes JSON as nlohmann's dump() would (compact, or indented by 2), one
// piece at a time, so that a large document need never be built whole.
class JsonWriter {
 public:
  JsonWriter(std::ostream& os, bool compact) : os_(os), compact_(compact) {}
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // The key of the next member of the current object.
  void Key(const std::string& key) {
    Separate();
    os_ << Json(key).dump() << (compact_ ? ":" : ": ");
    after_key_ = true;
  }
  void Member(const std::string& key, const Json& value) {
    Key(key);
    Element(value);
  }
  // A whole value: an array element, or the value after Key().
  void Element(const Json& value) {
    if (!after_key_) Separate();
    after_key_ = false;
    const std::string text = value.dump(compact_ ? -1 : 2, ' ', false, Json::error_handler_t::replace);
    if (compact_) {
      os_ << text;
      return;
    }
    // Every line after the first is indented by the nesting level.
    const std::string indent(2 * levels_.size(), ' ');
    std::size_t from = 0;
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', from)) {
      os_.write(text.data() + from, static_cast<std::streamsize>(at + 1 - from));
      os_ << indent;
      from = at + 1;
    }
    os_.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
  }

 private:
  void Open(char c) {
    if (!after_key_) Separate();
    after_key_ = false;
    os_ << c;
    levels_.push_back(0);
  }
  void Close(char c) {
    const bool empty = levels_.back() == 0;
    levels_.pop_back();
    if (!compact_ && !empty) os_ << "\n" << std::string(2 * levels_.size(), ' ');
    os_ << c;
  }
  // Before a member or element: a comma after the previous one, and a new
  // indented line.
  void Separate() {
    if (levels_.empty()) return;
    if (levels_.back()++ > 0) os_ << ",";
    if (!compact_) os_ << "\n" << std::string(2 * levels_.size(), ' ');
  }

  std::ostream& os_;
  bool compact_;
  std::vector<int> levels_;  // members written so far, per open object or array
  bool after_key_ = false;
};

// Calls each(item) for every item of one of the view's lists ("wal",
// "events" or "storage"), asking the view for a window at a time.
void EachItem(const unbundled::Simulator& sim, const Json& whole, const char* list,
              const char* items, const std::function<void(const Json&)>& each) {
  constexpr std::size_t kWindow = unbundled::Simulator::kMaxViewWindow;
  const std::size_t total = whole[list]["total"].get<std::size_t>();
  for (std::size_t start = 0; start < total; start += kWindow) {
    Json request = {{"wal", {{"count", 0}}}, {"events", {{"count", 0}}}, {"storage", {{"count", 0}}}};
    request[list] = {{"start", start}, {"count", kWindow}};
    const Json part = sim.View(request);
    for (const auto& item : part[list][items]) each(item);
  }
}

// Writes Simulator::State() (the same JSON) a window at a time: the view's
// members in their (sorted) order, which are State()'s, each list written
// window by window and every other member as the view has it; the view's
// own members (ok, located) are left out.
void WriteState(const unbundled::Simulator& sim, JsonWriter* out) {
  const Json whole = sim.View(Json{{"wal", {{"count", 0}}}, {"events", {{"count", 0}}},
                                   {"storage", {{"count", 0}}}});
  out->BeginObject();
  for (const auto& [name, value] : whole.items()) {
    if (name == "ok" || name == "located") {
      continue;
    } else if (name == "consumers") {
      out->Key("consumers");
      out->BeginArray();
      const auto& consumers = sim.engine().consumers();
      for (std::size_t i = 0; i < consumers.size(); ++i) {
        Json c = value[i];
        c.erase("rows");
        c["state"] = consumers[i]->system().State();
        out->Element(c);
      }
      out->EndArray();
    } else if (name == "events" || name == "wal") {
      out->Key(name);
      out->BeginArray();
      EachItem(sim, whole, name.c_str(), "items", [out](const Json& e) { out->Element(e); });
      out->EndArray();
    } else if (name == "storage") {
      out->Key("storage");
      out->BeginObject();
      out->Key("data");
      out->BeginObject();
      EachItem(sim, whole, "storage", "rows",
               [out](const Json& row) { out->Member(row["key"].get<std::string>(), row["value"]); });
      out->EndObject();
      out->Member("lost", value["lost"]);
      out->Member("lsn", value["lsn"]);
      out->EndObject();
    } else {
      out->Member(name, value);
    }
  }
  out->EndObject();
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
  // Check the whole file before creating the log file, so a malformed
  // scenario leaves no file behind. The steps are read again, one at a time,
  // as they run: a long scenario is never all in memory as JSON.
  unbundled::StreamedScenario scenario;
  unbundled::Status s = scenario.Open(text);
  if (!s.ok()) {
    if (scenario.bad_json()) {
      std::cerr << "unbundled: " << path << ": " << s.message().substr(s.message().find(": ") + 2) << "\n";
    } else {
      std::cerr << "unbundled: " << path << ": malformed scenario: " << s.message() << "\n";
    }
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
  // The consumers the scenario starts with.
  if (scenario.header().contains("consumers")) {
    const Json& consumers = scenario.header()["consumers"];
    for (std::size_t i = 0; i < consumers.size(); ++i) {
      Json result = sim.Apply(Json{{"op", "add_consumer"}, {"consumer", consumers[i]}, {"mode", "replay"}});
      if (!result["ok"].get<bool>()) {
        std::cerr << "unbundled: " << path << ": malformed scenario: consumers[" << i
                  << "]: " << result["error"].get<std::string>() << "\n";
        return kExitBadInput;
      }
    }
  }
  // Results are written as each step is done and then forgotten, and the
  // state is written a window at a time: memory follows the engine, not the
  // length of the output.
  JsonWriter out(std::cout, compact || stream);
  if (stream) {
    if (!reopened.is_null()) std::cout << Json{{"reopened", reopened}}.dump() << std::endl;
  } else {
    out.BeginObject();
    if (!reopened.is_null()) out.Member("reopened", reopened);
    out.Key("results");
    out.BeginArray();
  }
  bool failed = false;
  std::vector<std::string> complaints;
  scenario.Run([&](std::size_t i, const Json& step) {
    const Json result = sim.Apply(step);
    if (stream) {
      std::cout << result.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
    } else {
      out.Element(result);
    }
    const std::string at = "unbundled: " + path + ": steps[" + std::to_string(i) + "] (" +
                           step["op"].get<std::string>() + ") ";
    // A step that shows a refusal ("refused": text) must be refused, with
    // an error that contains the text.
    if (step.contains("refused") && step["refused"].is_string()) {
      const std::string want = step["refused"].get<std::string>();
      if (result["ok"].get<bool>()) {
        failed = true;
        complaints.push_back(at + "was expected to be refused (\"" + want + "\") but succeeded");
      } else if (result["error"].get<std::string>().find(want) == std::string::npos) {
        failed = true;
        complaints.push_back(at + "was refused, but not for \"" + want +
                             "\": " + result["error"].get<std::string>());
      }
      return;
    }
    if (result["ok"].get<bool>()) return;
    // A predict step checks the lesson's answer as an expect checks a value.
    const bool is_expect = step["op"] == "expect" || step["op"] == "predict";
    if (!is_expect && !strict) return;
    failed = true;
    complaints.push_back(at + (is_expect ? "failed: " : "was refused: ") +
                         result["error"].get<std::string>());
  });
  if (stream) {
    std::cout << "{\"state\":";
    WriteState(sim, &out);
    std::cout << "}\n";
  } else {
    out.EndArray();
    out.Key("state");
    WriteState(sim, &out);
    out.EndObject();
    std::cout << "\n";
  }
  for (const auto& c : complaints) std::cerr << c << "\n";
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
    if (!r.entry.request_id.empty()) {
      std::cout << " request_id "
                << Json(r.entry.request_id).dump(-1, ' ', false, Json::error_handler_t::replace);
    }
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
  if (command == "import") return unbundled::cli::Import(args);
  if (command == "export") return unbundled::cli::Export(args);
  if (command == "follow") return unbundled::cli::Follow(args);
  return Usage();
}
