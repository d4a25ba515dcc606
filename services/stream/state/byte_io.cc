#include "services/stream/state/byte_io.h"

#include <array>
#include <cstring>

namespace pfopt::stream {

void ByteWriter::Fixed(uint64_t value, int width) {
  for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<char>(value >> (8 * i)));
}

void ByteWriter::F64(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  Fixed(bits, 8);
}

void ByteWriter::Str(std::string_view value) {
  I64(static_cast<int64_t>(value.size()));
  bytes_.append(value);
}

void ByteWriter::Vec(const VectorRef& value) {
  I64(value.size());
  for (Index i = 0; i < value.size(); ++i) F64(value[i]);
}

void ByteWriter::Mat(const MatrixRef& value) {
  I64(value.rows());
  I64(value.cols());
  for (Index j = 0; j < value.cols(); ++j) {
    for (Index i = 0; i < value.rows(); ++i) F64(value(i, j));
  }
}

bool ByteReader::Fixed(int width, uint64_t* out) {
  if (!ok_ || bytes_.size() - position_ < static_cast<std::size_t>(width)) return ok_ = false;
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[position_ + i])) << (8 * i);
  }
  position_ += static_cast<std::size_t>(width);
  *out = value;
  return true;
}

bool ByteReader::U8(uint8_t* out) {
  uint64_t value;
  if (!Fixed(1, &value)) return false;
  *out = static_cast<uint8_t>(value);
  return true;
}

bool ByteReader::I32(int32_t* out) {
  uint64_t value;
  if (!Fixed(4, &value)) return false;
  *out = static_cast<int32_t>(static_cast<uint32_t>(value));
  return true;
}

bool ByteReader::I64(int64_t* out) {
  uint64_t value;
  if (!Fixed(8, &value)) return false;
  *out = static_cast<int64_t>(value);
  return true;
}

bool ByteReader::F64(double* out) {
  uint64_t bits;
  if (!Fixed(8, &bits)) return false;
  std::memcpy(out, &bits, sizeof(bits));
  return true;
}

bool ByteReader::Count(int64_t min_bytes, int64_t* out) {
  int64_t count;
  if (!I64(&count)) return false;
  const auto remaining = static_cast<int64_t>(bytes_.size() - position_);
  if (count < 0 || (min_bytes > 0 && count > remaining / min_bytes)) return ok_ = false;
  *out = count;
  return true;
}

bool ByteReader::Str(std::string* out) {
  int64_t size;
  if (!Count(1, &size)) return false;
  out->assign(bytes_.substr(position_, static_cast<std::size_t>(size)));
  position_ += static_cast<std::size_t>(size);
  return true;
}

bool ByteReader::Vec(Vector* out) {
  int64_t size;
  if (!Count(8, &size)) return false;
  out->resize(size);
  for (Index i = 0; i < size; ++i) {
    if (!F64(&(*out)[i])) return false;
  }
  return true;
}

bool ByteReader::Mat(Matrix* out) {
  int64_t rows, cols;
  if (!I64(&rows) || !I64(&cols) || rows < 0 || cols < 0) return ok_ = false;
  const auto remaining = static_cast<int64_t>(bytes_.size() - position_);
  if (rows != 0 && cols > remaining / 8 / rows) return ok_ = false;
  out->resize(rows, cols);
  for (Index j = 0; j < cols; ++j) {
    for (Index i = 0; i < rows; ++i) {
      if (!F64(&(*out)(i, j))) return false;
    }
  }
  return true;
}

uint32_t Crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xedb88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffU;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffU;
}

}  // namespace pfopt::stream
