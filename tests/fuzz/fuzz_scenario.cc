// libFuzzer: arbitrary text as a scenario file: parsed, validated and, when
// valid, run (at most 200 steps, so one input stays quick). Nothing may crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/scenario.h"
#include "core/simulator.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  unbundled::Json scenario = unbundled::Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (scenario.is_discarded()) return 0;
  if (!unbundled::ValidateScenario(scenario).ok()) return 0;
  if (scenario["steps"].size() > 200) return 0;
  unbundled::Simulator sim;
  unbundled::ScenarioRun run;
  unbundled::RunScenario(scenario, &sim, &run);
  sim.StateJson();
  return 0;
}
