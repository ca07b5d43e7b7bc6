// unbundled: runs scenario files through the engine.
//
//   unbundled run [--compact] [--strict] FILE
//
// Prints {"results": [one result per step], "state": {...}} as JSON.
// Exit status: 0 when the file ran (even if steps failed on purpose),
// 1 when an "expect" step did not hold (or, with --strict, when any step was
// refused), 2 for a usage error or an unreadable or malformed file.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "core/scenario.h"
#include "core/simulator.h"

namespace {

constexpr int kExitExpectationFailed = 1;
constexpr int kExitBadInput = 2;

int Usage() {
  std::cerr << "usage: unbundled run [--compact] [--strict] FILE\n"
               "  Runs a scenario file and prints its results and final state as JSON.\n"
               "  --compact  one line of JSON\n"
               "  --strict   any refused step fails the run (exit 1), as for lessons\n";
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) != "run") return Usage();
  bool compact = false;
  bool strict = false;
  std::string path;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--compact") {
      compact = true;
    } else if (arg == "--strict") {
      strict = true;
    } else if (path.empty()) {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "unbundled: " << path << ": cannot read file\n";
    return kExitBadInput;
  }
  std::stringstream text;
  text << in.rdbuf();
  unbundled::Json scenario;
  try {
    scenario = unbundled::Json::parse(text.str());
  } catch (const unbundled::Json::parse_error& e) {
    std::cerr << "unbundled: " << path << ": not valid JSON: " << e.what() << "\n";
    return kExitBadInput;
  }
  unbundled::Simulator sim;
  unbundled::ScenarioRun run;
  unbundled::Status s = unbundled::RunScenario(scenario, &sim, &run);
  if (!s.ok()) {
    std::cerr << "unbundled: " << path << ": malformed scenario: " << s.message() << "\n";
    return kExitBadInput;
  }
  unbundled::Json out = {{"results", run.results}, {"state", sim.State()}};
  std::cout << (compact ? out.dump() : out.dump(2)) << "\n";
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
  return failed ? kExitExpectationFailed : 0;
}
