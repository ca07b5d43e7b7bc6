// CRC-32C (Castagnoli), as used by iSCSI (RFC 3720), LevelDB and RocksDB.
//
// Records store a *masked* CRC: computing the CRC of a string that itself
// contains embedded CRCs is problematic, so the stored value is rotated and
// offset (LevelDB's crc32c::Mask).
#ifndef UNBUNDLED_CORE_CRC32C_H_
#define UNBUNDLED_CORE_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace unbundled {
namespace crc32c {

// The CRC-32C of concat(A, data[0, n-1]) where init_crc is the CRC-32C of A.
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n);

// The CRC-32C of data[0, n-1].
inline std::uint32_t Value(const char* data, std::size_t n) { return Extend(0, data, n); }

constexpr std::uint32_t kMaskDelta = 0xa282ead8u;

// Rotate right by 15 bits and add a constant.
inline std::uint32_t Mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

inline std::uint32_t Unmask(std::uint32_t masked) {
  std::uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace crc32c
}  // namespace unbundled

#endif  // UNBUNDLED_CORE_CRC32C_H_
