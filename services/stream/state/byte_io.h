// Little binary writer/reader for checkpoints: fixed-width little-endian integers, doubles bit
// for bit (so a restored state continues exactly), length-prefixed strings, Eigen vectors and
// matrices. The reader never reads past its buffer: every getter fails (and the reader stays
// failed) on truncated or inconsistent input.
#ifndef PFOPT_SERVICES_STREAM_STATE_BYTE_IO_H_
#define PFOPT_SERVICES_STREAM_STATE_BYTE_IO_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "pfopt/core/types.h"

namespace pfopt::stream {

class ByteWriter {
 public:
  void U8(uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void I32(int32_t value) { Fixed(static_cast<uint64_t>(static_cast<uint32_t>(value)), 4); }
  void I64(int64_t value) { Fixed(static_cast<uint64_t>(value), 8); }
  void F64(double value);
  void Str(std::string_view value);
  void Vec(const VectorRef& value);
  void Mat(const MatrixRef& value);

  const std::string& bytes() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  void Fixed(uint64_t value, int width);
  std::string bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool U8(uint8_t* out);
  bool I32(int32_t* out);
  bool I64(int64_t* out);
  bool F64(double* out);
  bool Str(std::string* out);
  bool Vec(Vector* out);
  bool Mat(Matrix* out);
  // A count that must be small enough for the remaining bytes (each element >= min_bytes).
  bool Count(int64_t min_bytes, int64_t* out);

  bool ok() const { return ok_; }
  bool AtEnd() const { return ok_ && position_ == bytes_.size(); }

 private:
  bool Fixed(int width, uint64_t* out);
  std::string_view bytes_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

// CRC-32 (IEEE 802.3, as zlib's crc32) of `bytes`.
uint32_t Crc32(std::string_view bytes);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STATE_BYTE_IO_H_
