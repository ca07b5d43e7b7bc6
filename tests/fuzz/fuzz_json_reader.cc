// libFuzzer, differential: whatever ReadPlainJson (core/json_reader.h)
// reads, nlohmann's parser reads as the very same value, types included;
// and when it gives up it leaves its output alone. And whatever
// IsStoredForm accepts is a valid document whose compact text is the input,
// byte for byte (a put logs such text as it is).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/json_reader.h"
#include "core/status.h"

namespace {

bool Same(const unbundled::Json& a, const unbundled::Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end() || !Same(*it, *jt)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_number_float()) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  unbundled::Json fast = "untouched";
  const bool took = unbundled::ReadPlainJson(text, &fast);
  const unbundled::Json slow = unbundled::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (took && (slow.is_discarded() || !Same(fast, slow))) std::abort();
  if (!took && fast != unbundled::Json("untouched")) std::abort();
  if (unbundled::IsStoredForm(text)) {
    std::string compact;
    if (slow.is_discarded() || !unbundled::ValidateValue(slow, "value", &compact).ok() ||
        compact != text) {
      std::abort();
    }
  }
  return 0;
}
