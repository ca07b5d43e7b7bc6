// libFuzzer: arbitrary text as a scenario file, read as `unbundled run` and
// the page read one: StreamedScenario::Open parses it under the limits of
// core/limits.h (depth counted before anything recurses, keys, integers,
// size, steps and work) and validates it; when valid, its consumers are
// added and its steps run (at most 200, so one input stays quick). Nothing
// may crash, however deep or wide the input: the seeds include values
// nested far past the depth limit, very wide objects and arrays, and
// numbers past 2^53.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/scenario.h"
#include "core/simulator.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  unbundled::StreamedScenario scenario;
  if (!scenario.Open(text).ok()) return 0;
  if (scenario.step_count() > 200) return 0;
  unbundled::Simulator sim;
  if (scenario.header().contains("consumers")) {
    for (const unbundled::Json& spec : scenario.header()["consumers"]) {
      unbundled::Json result = sim.Apply(unbundled::Json{{"op", "add_consumer"}, {"consumer", spec}, {"mode", "replay"}});
      if (!result["ok"].get<bool>()) return 0;
    }
  }
  unbundled::Status ran = scenario.Run([&](std::size_t, const unbundled::Json& step) { sim.Apply(step); });
  (void)ran;
  sim.StateJson();
  return 0;
}
