#include "core/user_json.h"

#include <algorithm>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_reader.h"
#include "core/json_writer.h"

namespace unbundled {

std::string Grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

namespace {

// nlohmann's parse errors, reworded for a student. The parser's message is
// "[json.exception.parse_error.101] parse error at line 1, column 9: syntax
// error while parsing value - invalid string: ...; last read: '...'"; the
// bracketed id and the bytes it last read (which need not be UTF-8, and can
// be long) are left out.
std::string StudentParseError(const std::string& message) {
  std::string place, reason = message;
  auto at = message.find(" at line ");
  auto colon = at == std::string::npos ? std::string::npos : message.find(": ", at);
  if (colon != std::string::npos) {
    place = message.substr(at + 4, colon - at - 4);  // "line 1, column 9"
    reason = message.substr(colon + 2);
  } else if (auto close = message.find("] "); close != std::string::npos) {
    reason = message.substr(close + 2);
  }
  if (auto cut = reason.find("; last read:"); cut != std::string::npos) reason.resize(cut);
  if (auto dash = reason.find(" - "); dash != std::string::npos) reason = reason.substr(dash + 3);
  struct Rewording {
    const char* contains;
    const char* says;
  };
  static const Rewording kRewordings[] = {
      {"surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF",
       "a \\ud800-\\udbff escape must be followed by a \\udc00-\\udfff escape: a lone surrogate "
       "is not a character"},
      {"surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF",
       "a \\udc00-\\udfff escape must follow a \\ud800-\\udbff escape: a lone surrogate is not a "
       "character"},
      {"ill-formed UTF-8 byte", "a string holds bytes that are not UTF-8 text"},
      {"control character", "a string holds a control character: write it as an escape like \\n"},
      {"unexpected end of input", "the text ends too soon: is something missing at the end?"},
      {"number overflow parsing", "a number is too large to keep: the largest is about 1.8e308"},
      {"expected end of input", "there is more text after the end of the JSON value"},
      {"invalid literal", "unexpected text: names and strings need \"double quotes\""},
  };
  for (const auto& r : kRewordings) {
    if (reason.find(r.contains) != std::string::npos) {
      reason = r.says;
      break;
    }
  }
  return place.empty() ? reason : place + ": " + reason;
}

// Wraps nlohmann's DOM builder (plain, or with a callback) and refuses
// input past the limits as it is read. The builder itself does not recurse.
template <typename Base>
class LimitedSax : public Base {
 public:
  using string_t = typename Base::string_t;
  using number_float_t = typename Base::number_float_t;

  template <typename... Args>
  LimitedSax(std::string root, Args&&... args)
      : Base(std::forward<Args>(args)..., /*allow_exceptions=*/false), root_(std::move(root)) {}

  bool null() { return Value() && Base::null(); }
  bool boolean(bool v) { return Value() && Base::boolean(v); }
  bool number_integer(std::int64_t v) {
    if (v < -kMaxExactInteger || v > kMaxExactInteger) return TooBig(std::to_string(v));
    return Value() && Base::number_integer(v);
  }
  bool number_unsigned(std::uint64_t v) {
    if (v > static_cast<std::uint64_t>(kMaxExactInteger)) return TooBig(std::to_string(v));
    return Value() && Base::number_unsigned(v);
  }
  bool number_float(number_float_t v, const string_t& text) {
    // An integer too large for 64 bits arrives here as a double: refuse it
    // rather than keep a different number.
    if (text.find_first_of(".eE") == string_t::npos) return TooBig(text);
    return Value() && Base::number_float(v, text);
  }
  bool string(string_t& v) { return Value() && Base::string(v); }
  bool start_object(std::size_t n) { return Enter(false) && Base::start_object(n); }
  bool start_array(std::size_t n) { return Enter(true) && Base::start_array(n); }
  bool end_object() {
    frames_.pop_back();
    return Base::end_object();
  }
  bool end_array() {
    frames_.pop_back();
    return Base::end_array();
  }
  bool key(string_t& k) {
    frames_.back().key = k;
    if (k.size() > kMaxKeyBytes) {
      frames_.back().key = k.substr(0, 16) + "…";
      return Fail("has a field name of " + Grouped(k.size()) + " bytes; a name may have at most " +
                  std::to_string(kMaxKeyBytes));
    }
    return Base::key(k);
  }
  template <typename Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    if (error_.ok()) {
      error_ = Status::Invalid(root_, "not valid JSON (" + StudentParseError(e.what()) + ")");
    }
    return false;
  }

  const Status& error() const { return error_; }

 private:
  struct Frame {
    bool array = false;
    std::size_t next = 0;  // arrays: the index of the next element
    std::string key;       // objects: the key being read
  };

  // Every value (scalar or container) takes the next index of its array.
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().next;
    return true;
  }
  bool Enter(bool array) {
    Value();
    if (frames_.size() >= kMaxJsonDepth) {
      return Fail("is nested more than " + std::to_string(kMaxJsonDepth) +
                  " levels deep (the limit for JSON input; a value may nest " +
                  std::to_string(kMaxValueDepth) + ")");
    }
    frames_.push_back(Frame{array, 0, {}});
    return true;
  }
  bool TooBig(const std::string& text) {
    Value();
    return Fail("holds the integer " + (text.size() > 40 ? text.substr(0, 40) + "…" : text) +
                ", beyond 9007199254740991 (2^53 - 1) in magnitude, the largest a web page "
                "keeps exactly: write it as a string");
  }
  // The place being read, as "steps[3].value.a": the first few levels.
  std::string Path() const {
    std::string path;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.array && f.next == 0) break;
      if (!f.array && f.key.empty() && i + 1 == frames_.size()) break;
      if (++shown > 6) {
        path += "…";
        break;
      }
      if (f.array) {
        path += "[" + std::to_string(f.next - 1) + "]";
      } else {
        if (!path.empty()) path += '.';
        path += f.key;
      }
    }
    if (path.empty()) return root_;
    if (path[0] == '[') return root_ + path;
    // A step's or a file's fields are named on their own ("value.a",
    // "steps[3]"), as the engine's other errors name them; a value read on
    // its own (the page's live check) names its fields under "value".
    return root_ == "value" ? root_ + "." + path : path;
  }
  bool Fail(const std::string& what) {
    if (error_.ok()) error_ = Status::Invalid(Path(), what);
    return false;
  }

  std::string root_;
  std::vector<Frame> frames_;
  Status error_ = Status::OK();
};

Status TooLong(const std::string& text, const std::string& what) {
  return Status::Invalid(what, "is " + Grouped(text.size()) + " bytes of JSON; the limit is " +
                                   Grouped(kMaxJsonBytes) + " bytes (16 MiB)");
}

}  // namespace

Status ParseUserJson(const std::string& text, const std::string& what, Json* out) {
  if (text.size() > kMaxJsonBytes) return TooLong(text, what);
  // Plain JSON, the common case, is read fast; anything else (an error to
  // explain included) by nlohmann's parser under the limits.
  if (ReadPlainJson(text, out)) return Status::OK();
  Json parsed;
  LimitedSax<nlohmann::detail::json_sax_dom_parser<Json>> sax(what, parsed);
  if (!Json::sax_parse(text, &sax)) {
    if (!sax.error().ok()) return sax.error();
    return Status::Invalid(what, "not valid JSON");
  }
  *out = std::move(parsed);
  return Status::OK();
}

Status ParseUserJsonEach(const std::string& text, const std::string& field,
                         const std::function<void(const Json&)>& each, Json* out) {
  if (text.size() > kMaxJsonBytes) return TooLong(text, "file");
  std::string top_key;
  Json parsed;
  Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& value) {
    if (depth == 1 && event == Json::parse_event_t::key) top_key = value.get<std::string>();
    const bool element = depth == 2 && (event == Json::parse_event_t::object_end ||
                                        event == Json::parse_event_t::array_end ||
                                        event == Json::parse_event_t::value);
    if (element && top_key == field) {
      each(value);
      return false;  // not kept
    }
    return true;
  };
  LimitedSax<nlohmann::detail::json_sax_dom_callback_parser<Json>> sax("scenario", parsed, callback);
  if (!Json::sax_parse(text, &sax)) {
    if (!sax.error().ok()) return sax.error();
    return Status::Invalid("scenario", "not valid JSON");
  }
  *out = std::move(parsed);
  return Status::OK();
}

// ---------------------------------------------------------------- the meter

namespace {

// A step's op, or "" when it has none (compared as string_views: sizes
// first, with no strlen; the meter runs at every step of an import).
std::string_view OpOf(const Json& step) {
  if (!step.is_object()) return {};
  auto op_it = step.find("op");
  if (op_it == step.end() || !op_it->is_string()) return {};
  return op_it->get_ref<const std::string&>();
}

}  // namespace

// The ops whose steps copy every row written so far; and query, which does
// when it reads as of storage. A checkpoint is not one: storage is a
// copy-on-write tree, so its image is O(1) (0.4 ms at 300,000 entries).
constexpr std::string_view kCopyingOps[] = {"add_consumer",   "rebuild",  "replay_storage",
                                            "recover",        "crash_consumer", "truncate",
                                            "compact",        "verify"};

const std::vector<std::string>& SessionMeter::MeteredOps() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v(std::begin(kCopyingOps), std::end(kCopyingOps));
    v.emplace_back("query");
    return v;
  }();
  return ops;
}

std::uint64_t SessionMeter::Cost(const Json& step) const {
  using namespace std::literals;
  const std::string_view op = OpOf(step);
  if (op.empty() || op == "put"sv || op == "flush"sv) return 0;
  // Every row written so far, each 1 + its bytes / 1 KiB.
  const std::uint64_t all_rows = rows_ + row_bytes_ / 1024;
  if (std::find(std::begin(kCopyingOps), std::end(kCopyingOps), op) != std::end(kCopyingOps)) {
    return all_rows;
  }
  if (op == "query"sv) {
    auto as_of = step.find("as_of");
    auto fallback = step.find("fallback");
    if ((as_of != step.end() && *as_of == "storage") ||
        (fallback != step.end() && *fallback == "storage")) {
      return all_rows;
    }
    return 0;
  }
  return 0;
}

Status SessionMeter::Check(const Json& step, const std::string& at) const {
  if (steps_ + 1 > kMaxSessionSteps) {
    return Status::Invalid(at, "a session may have at most " + Grouped(kMaxSessionSteps) +
                                   " steps (the session-length limit): export it and start a "
                                   "new session");
  }
  const std::uint64_t cost = Cost(step);
  if (work_ + cost > kMaxSessionWork) {
    // What the step copies and what came before it, in numbers a student
    // can match with the page (the rows written, not the rows in storage:
    // the count comes from the steps alone).
    const std::string op(OpOf(step));
    const auto as_of = step.find("as_of");
    const std::string what = op != "query" ? (op.find_first_of("aeiou") == 0 ? "an " : "a ") + op
                             : as_of != step.end() && *as_of == "storage"
                                 ? "a query as of storage"
                                 : "a query that may ask storage (its fallback)";
    return Status::Invalid(
        at, "this step would bring the session's work to " + Grouped(work_ + cost) +
                " rows copied, over the limit of " + Grouped(kMaxSessionWork) + ": " + what +
                " copies every row written so far (" + Grouped(rows_) + " rows and " +
                Grouped(row_bytes_ / 1024) + " KiB of them, counted 1 a row plus 1 a KiB: " +
                Grouped(cost) + "), and the session's earlier steps copied " + Grouped(work_) +
                // A step taken now: the work is counted to the step on screen,
                // so an earlier one can go on. A file's step: the file asks
                // for too much.
                (at == "session" ? "; step back to an earlier step and go on from there (the work is "
                                   "counted to the step on screen), or start a new session"
                                 : ""));
  }
  return Status::OK();
}

void SessionMeter::Charge(const Json& step, std::optional<std::size_t> value_bytes) {
  const std::uint64_t cost = Cost(step);
  ++steps_;
  work_ += cost;
  using namespace std::literals;
  const std::string_view op = OpOf(step);
  if (op == "put"sv || op == "insert"sv) {
    ++rows_;
    auto value = step.find("value");
    if (value_bytes.has_value()) {
      row_bytes_ += *value_bytes;
    } else if (value != step.end()) {
      // Its compact JSON's bytes, written where the last value's were
      // (dump() with replacement characters if it is not UTF-8).
      thread_local std::string text;
      text.clear();
      if (!AppendCompactJson(*value, &text)) {
        text = value->dump(-1, ' ', false, Json::error_handler_t::replace);
      }
      row_bytes_ += text.size();
    }
  } else if (op == "put_random"sv) {
    auto count = step.find("count");
    if (count != step.end() && count->is_number_integer() && count->get<std::int64_t>() > 0) {
      const auto n = static_cast<std::uint64_t>(count->get<std::int64_t>());
      rows_ += n;
      row_bytes_ += n * 64;  // a generated user document
    }
  }
}

Status SessionMeter::CheckRecoveryAfter(const Json& step, const std::string& at) const {
  SessionMeter after = *this;
  after.Charge(step);
  const std::uint64_t cost = after.Cost(Json{{"op", "recover"}});
  if (after.work_ + cost <= kMaxSessionWork) return Status::OK();
  return Status::Invalid(
      at, "this crash would leave the database down for good: the recovery after it would bring "
          "the session's work to " + Grouped(after.work_ + cost) + " rows copied, over the limit of " +
          Grouped(kMaxSessionWork) + " (a recovery copies every row written so far: " +
          Grouped(after.rows_) + " rows and " + Grouped(after.row_bytes_ / 1024) +
          " KiB of them, counted 1 a row plus 1 a KiB: " + Grouped(cost) +
          "; the session's earlier steps copied " + Grouped(after.work_) +
          "); step back to an earlier step and go on from there (the work is counted to the step "
          "on screen), or start a new session");
}

Status SessionMeter::Add(const Json& step, const std::string& at) {
  Status s = Check(step, at);
  if (s.ok()) Charge(step);
  return s;
}

Json LimitsJson() {
  return Json{{"key_bytes", kMaxKeyBytes},
              {"request_id_bytes", kMaxRequestIdBytes},
              {"value_bytes", kMaxValueBytes},
              {"consumer_name_bytes", kMaxConsumerNameBytes},
              {"field_name_bytes", kMaxFieldNameBytes},
              {"value_depth", kMaxValueDepth},
              {"json_depth", kMaxJsonDepth},
              {"json_bytes", kMaxJsonBytes},
              {"link_bytes", kMaxLinkBytes},
              {"session_steps", kMaxSessionSteps},
              {"session_work", kMaxSessionWork},
              {"bulk_documents", kMaxBulkDocuments},
              {"bulk_keys", kMaxBulkKeys},
              {"bulk_from", kMaxBulkFrom},
              {"consumers", kMaxConsumers},
              {"title_bytes", kMaxTitleBytes},
              {"note_bytes", kMaxNoteBytes},
              {"exact_integer", kMaxExactInteger}};
}

}  // namespace unbundled
