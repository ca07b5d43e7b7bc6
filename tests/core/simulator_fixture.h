// A test fixture over one Simulator, as the JSON entry point is used: apply
// steps as text, expect them to succeed, or expect them to be refused with an
// exact message while the whole state stays byte-for-byte what it was.
#ifndef UNBUNDLED_TESTS_CORE_SIMULATOR_FIXTURE_H_
#define UNBUNDLED_TESTS_CORE_SIMULATOR_FIXTURE_H_

#include <gtest/gtest.h>

#include <string>

#include "core/simulator.h"

namespace unbundled {

class SimulatorFixture : public ::testing::Test {
 protected:
  Json Do(const std::string& step) { return Json::parse(sim_.Apply(step)); }
  // Applies a step that must succeed; returns its result.
  Json Ok(const std::string& step) {
    Json r = Do(step);
    EXPECT_EQ(r["ok"], true) << step << " -> " << r.dump();
    return r;
  }
  // Applies a step that must fail, checks its error message, and checks that
  // the whole state is byte-for-byte what it was before.
  void Fails(const std::string& step, const std::string& error) {
    const std::string before = sim_.StateJson();
    Json r = Do(step);
    EXPECT_EQ(r["ok"], false) << step;
    EXPECT_EQ(r["error"], error) << step;
    EXPECT_EQ(sim_.StateJson(), before) << step << " changed the state";
  }
  // One consumer's entry in the whole state (null when there is none).
  Json Consumer(const std::string& name) {
    const Json state = sim_.State();
    for (const auto& c : state["consumers"]) {
      if (c["name"] == name) return c;
    }
    return nullptr;
  }

  Simulator sim_;
};

}  // namespace unbundled

#endif  // UNBUNDLED_TESTS_CORE_SIMULATOR_FIXTURE_H_
