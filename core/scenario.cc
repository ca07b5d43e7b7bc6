#include "core/scenario.h"

#include "core/ops.h"
#include "core/user_json.h"

namespace unbundled {

Status ValidateScenario(const Json& scenario) {
  if (!scenario.is_object()) return Status::Invalid("scenario", "must be a JSON object");
  for (const auto& [name, value] : scenario.items()) {
    if (name != "title" && name != "description" && name != "sources" && name != "consumers" &&
        name != "steps") {
      return Status::Invalid(name,
                             "unknown field (expected title, description, sources, consumers, steps)");
    }
  }
  auto title = scenario.find("title");
  if (title == scenario.end() || !title->is_string() || title->get<std::string>().empty()) {
    return Status::Invalid("title", "must be a non-empty string");
  }
  if (title->get_ref<const std::string&>().size() > kMaxTitleBytes) {
    return Status::Invalid("title", "must be at most " + std::to_string(kMaxTitleBytes) +
                                        " bytes (got " + std::to_string(title->get_ref<const std::string&>().size()) + ")");
  }
  auto description = scenario.find("description");
  if (description != scenario.end() && !description->is_string()) {
    return Status::Invalid("description", "must be a string");
  }
  if (description != scenario.end() && description->get_ref<const std::string&>().size() > kMaxNoteBytes) {
    return Status::Invalid("description", "must be at most " + std::to_string(kMaxNoteBytes) + " bytes (got " +
                                              std::to_string(description->get_ref<const std::string&>().size()) + ")");
  }
  // The book sections a lesson teaches, as text the page shows.
  auto sources = scenario.find("sources");
  if (sources != scenario.end()) {
    if (!sources->is_array()) return Status::Invalid("sources", "must be an array of strings");
    for (std::size_t i = 0; i < sources->size(); ++i) {
      const Json& one = (*sources)[i];
      if (!one.is_string() || one.get<std::string>().empty()) {
        return Status::Invalid("sources[" + std::to_string(i) + "]", "must be a non-empty string");
      }
      if (one.get_ref<const std::string&>().size() > kMaxTitleBytes) {
        return Status::Invalid("sources[" + std::to_string(i) + "]",
                               "must be at most " + std::to_string(kMaxTitleBytes) + " bytes");
      }
    }
  }
  auto consumers = scenario.find("consumers");
  if (consumers != scenario.end()) {
    if (!consumers->is_array()) return Status::Invalid("consumers", "must be an array");
    if (consumers->size() > kMaxConsumers) {
      return Status::Invalid("consumers", "may list at most " + std::to_string(kMaxConsumers) +
                                              " consumers (got " + std::to_string(consumers->size()) + ")");
    }
    for (std::size_t i = 0; i < consumers->size(); ++i) {
      ConsumerSpec spec;
      Status s = ParseConsumerSpec((*consumers)[i], "consumers[" + std::to_string(i) + "]", &spec);
      if (!s.ok()) return s;
    }
  }
  auto steps = scenario.find("steps");
  if (steps == scenario.end() || !steps->is_array()) {
    return Status::Invalid("steps", "must be an array of steps");
  }
  // Each step's shape, then the session's length and work, counted from
  // the steps before any of them runs.
  SessionMeter meter;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const std::string at = "steps[" + std::to_string(i) + "]";
    Status s = ValidateStep((*steps)[i], at);
    if (!s.ok()) return s;
    if (!(s = meter.Add((*steps)[i], at)).ok()) return s;
  }
  return Status::OK();
}

Status ValidateStep(const Json& step, const std::string& at) {
  if (!step.is_object()) return Status::Invalid(at, "must be an object like {\"op\": ...}");
  auto op = step.find("op");
  if (op == step.end() || !op->is_string()) return Status::Invalid(at + ".op", "must be a string");
  if (FindOp(op->get<std::string>()) == nullptr) {
    return Status::Invalid(at + ".op", "unknown op '" + op->get<std::string>() + "'");
  }
  for (const char* text : {"note", "refused", "prompt", "why"}) {
    auto it = step.find(text);
    if (it == step.end() || !it->is_string()) continue;
    if (it->get_ref<const std::string&>().size() > kMaxNoteBytes) {
      return Status::Invalid(at + "." + text, "must be at most " + std::to_string(kMaxNoteBytes) +
                                                  " bytes (got " +
                                                  std::to_string(it->get_ref<const std::string&>().size()) + ")");
    }
  }
  auto note = step.find("note");
  if (note != step.end() && !note->is_string()) {
    return Status::Invalid(at + ".note", "must be a string");
  }
  auto refused = step.find("refused");
  if (refused != step.end() && !refused->is_string()) {
    return Status::Invalid(at + ".refused", "must be a string (text the step's error must contain)");
  }
  return Status::OK();
}

Status StreamedScenario::Open(const std::string& text) {
  Status first = Status::OK();
  std::size_t n = 0;
  SessionMeter meter;
  // Read under the limits (core/user_json.h): a value nested 100,000 deep
  // is refused here, naming its step, before anything recurses.
  Status parsed = ParseUserJsonEach(text, "steps", [&](const Json& step) {
    const std::string at = "steps[" + std::to_string(n) + "]";
    if (first.ok()) first = ValidateStep(step, at);
    if (first.ok()) first = meter.Add(step, at);
    ++n;
  }, &header_);
  if (!parsed.ok()) {
    bad_json_ = parsed.message().find("not valid JSON") != std::string::npos;
    return parsed;
  }
  // The rest of the file is checked as a whole (the steps are an empty array
  // now, whose elements were checked one by one above).
  Status s = ValidateScenario(header_);
  if (!s.ok()) return s;
  if (!first.ok()) return first;
  text_ = &text;
  steps_ = n;
  header_.erase("steps");
  return Status::OK();
}

Status StreamedScenario::Run(const std::function<void(std::size_t, const Json&)>& on_step) const {
  std::size_t i = 0;
  Json header;
  return ParseUserJsonEach(*text_, "steps", [&](const Json& step) { on_step(i++, step); }, &header);
}

Status RunScenario(const Json& scenario, Simulator* sim, ScenarioRun* run,
                   const std::function<void(std::size_t, const Json&)>& on_step) {
  Status s = ValidateScenario(scenario);
  if (!s.ok()) return s;
  if (scenario.contains("consumers")) {
    const Json& consumers = scenario["consumers"];
    for (std::size_t i = 0; i < consumers.size(); ++i) {
      Json result = sim->Apply(Json{{"op", "add_consumer"}, {"consumer", consumers[i]},
                                    {"mode", "replay"}});
      if (!result["ok"].get<bool>()) {
        return Status::Invalid("consumers[" + std::to_string(i) + "]",
                               result["error"].get<std::string>());
      }
    }
  }
  const Json& steps = scenario["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Json result = sim->Apply(steps[i]);
    if (steps[i]["op"] == "expect" && !result["ok"].get<bool>()) {
      run->failed_expectations.push_back(i);
    }
    if (on_step) on_step(i, result);
    run->results.push_back(std::move(result));
  }
  return Status::OK();
}

}  // namespace unbundled
