#include "core/types.h"

#include <utility>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"

namespace unbundled {

Json ToJson(const LogEntry& entry) {
  Json j = {{"lsn", entry.lsn},
            {"op", entry.op == LogOp::kPut ? "put" : "delete"},
            {"key", entry.key}};
  if (entry.op == LogOp::kPut) j["value"] = entry.value;
  if (!entry.request_id.empty()) j["request_id"] = entry.request_id;
  return j;
}

Json ToJson(const ChangeEvent& event) {
  return {{"lsn", event.lsn},
          {"op", std::string(1, static_cast<char>(event.op))},
          {"key", event.key},
          {"before", event.before ? event.before->ToJson() : Json(nullptr)},
          {"after", event.after ? event.after->ToJson() : Json(nullptr)}};
}

void WriteJson(const ChangeEvent& event, JsonText* out) {
  const auto doc = [out](const DocRef& d) {
    if (d) {
      out->Raw(d->text());
    } else {
      out->Null();
    }
  };
  out->BeginObject();
  out->Key("after");
  doc(event.after);
  out->Key("before");
  doc(event.before);
  out->Member("key", event.key.view());
  out->Member("lsn", event.lsn);
  out->Member("op", std::string_view(reinterpret_cast<const char*>(&event.op), 1));
  out->EndObject();
}

std::size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = *p;
  std::size_t extra;
  std::uint32_t cp;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    extra = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) <= extra) return 0;
  for (std::size_t i = 1; i <= extra; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  // Reject overlong forms, surrogates and code points past U+10FFFF.
  static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return extra + 1;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const std::size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

Status ValidateKey(std::string_view key, const std::string& field) {
  if (key.empty()) return Status::Invalid(field, "must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return Status::Invalid(field, "must be at most " + std::to_string(kMaxKeyBytes) +
                                      " bytes (got " + std::to_string(key.size()) + ")");
  }
  if (!IsValidUtf8(key)) return Status::Invalid(field, "must be valid UTF-8");
  return Status::OK();
}

namespace {

// Depth, field names and integers, recursing once per level and refusing a
// level past kMaxValueDepth before looking inside it (a document built in
// C++, not parsed from text, which ParseUserJson bounds, may be of any
// depth). An object's field names are checked before its fields, and
// fields and items are visited last first: the order in which the first
// error is found is that of the explicit stack this replaced, which
// allocated on every put.
Status CheckShape(const Document& doc, std::size_t depth, const std::string& field) {
  switch (doc.type()) {
    case Json::value_t::object:
    case Json::value_t::array:
      if (depth > kMaxValueDepth) {
        return Status::Invalid(field, "is nested more than " + std::to_string(kMaxValueDepth) +
                                          " levels deep (the limit for a value)");
      }
      break;
    case Json::value_t::number_integer:
      if (doc.get<std::int64_t>() >= -kMaxExactInteger &&
          doc.get<std::int64_t>() <= kMaxExactInteger) {
        return Status::OK();
      }
      break;
    case Json::value_t::number_unsigned:
      if (doc.get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxExactInteger)) {
        return Status::OK();
      }
      break;
    default:
      return Status::OK();
  }
  if (doc.is_number_integer()) {
    return Status::Invalid(field, "holds the integer " + doc.dump() +
                                      ", beyond 9007199254740991 (2^53 - 1) in magnitude, the "
                                      "largest a web page keeps exactly: write it as a string");
  }
  if (doc.is_object()) {
    const auto& fields = doc.get_ref<const Json::object_t&>();
    for (const auto& [name, item] : fields) {
      if (name.size() > kMaxFieldNameBytes) {
        return Status::Invalid(field, "has a field name of " + std::to_string(name.size()) +
                                          " bytes; a field name may have at most " +
                                          std::to_string(kMaxFieldNameBytes));
      }
    }
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      Status s = CheckShape(it->second, depth + 1, field);
      if (!s.ok()) return s;
    }
  } else {
    const auto& items = doc.get_ref<const Json::array_t&>();
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
      Status s = CheckShape(*it, depth + 1, field);
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

}  // namespace

Status ValidateValue(const Document& value, const std::string& field, std::string* out) {
  if (!value.is_object()) {
    return Status::Invalid(field, std::string("must be a JSON object (got ") +
                                      value.type_name() + ")");
  }
  Status s = CheckShape(value, 1, field);
  if (!s.ok()) return s;
  std::string compact;
  // Room for a small document at once, instead of growing three times.
  compact.reserve(128);
  if (!AppendCompactJson(value, &compact)) {
    return Status::Invalid(field, "contains a string that is not valid UTF-8");
  }
  if (compact.size() > kMaxValueBytes) {
    return Status::Invalid(field, "must serialize to at most " + std::to_string(kMaxValueBytes) +
                                      " bytes (got " + std::to_string(compact.size()) + ")");
  }
  if (out != nullptr) *out = std::move(compact);
  return Status::OK();
}

}  // namespace unbundled
