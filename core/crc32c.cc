#include "core/crc32c.h"

#include <array>

namespace unbundled {
namespace crc32c {

namespace {

// Reflected polynomial 0x1EDC6F41. Slicing-by-4 tables, built once: the log
// checksums every record it writes and reads, so this sits on the write path.
struct Tables {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  Tables() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 4; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

const Tables& T() {
  static const Tables tables;
  return tables;
}

}  // namespace

std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n) {
  const auto& t = T().t;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  std::uint32_t c = ~init_crc;
  while (n >= 4) {
    c ^= static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    c = t[3][c & 0xFF] ^ t[2][(c >> 8) & 0xFF] ^ t[1][(c >> 16) & 0xFF] ^ t[0][c >> 24];
    p += 4;
    n -= 4;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

}  // namespace crc32c
}  // namespace unbundled
