// libFuzzer target for the Avro decoding of everything the stream reads from Kafka. The first
// byte picks the record type, the rest is the message value. Built by the `fuzz` preset (clang,
// ASan + UBSan), run by scripts/fuzz.sh. A crash, a sanitizer report, a leak or a hang is a
// failure, and so is any of these (they trap):
//   - for quotes, the flat path and avro-c's generic values disagree on acceptance, on the error
//     code, or on a decoded field;
//   - a decoded record does not encode again, or its encoding does not decode to a record that
//     encodes to the same bytes. (The input itself need not come back: a varint may be written
//     with redundant bytes, which decoders accept and encoders never write.)
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "services/stream/avro/avro_codec.h"

namespace {

using pfopt::stream::AvroCodec;
using pfopt::stream::BourseData;
using pfopt::stream::kBourseFields;
using pfopt::stream::QuotePath;
using pfopt::stream::RecordType;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

AvroCodec& Codec(RecordType type, QuotePath path) {
  static std::unique_ptr<AvroCodec> codecs[pfopt::stream::kNumRecordTypes][2];
  auto& slot = codecs[static_cast<int>(type)][path == QuotePath::kFlat ? 0 : 1];
  if (!slot) slot = std::move(*AvroCodec::Create(type, path));
  return *slot;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto type = static_cast<RecordType>(data[0] % pfopt::stream::kNumRecordTypes);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  AvroCodec& codec = Codec(type, QuotePath::kFlat);
  auto decoded = codec.Decode(bytes);
  if (type == RecordType::kBourseData) {
    auto reference = Codec(type, QuotePath::kAvroC).Decode(bytes);
    Check(decoded.has_value() == reference.has_value());
    if (!decoded) {
      Check(decoded.error().code() == reference.error().code());
    } else {
      const auto& a = std::get<BourseData>(*decoded);
      const auto& b = std::get<BourseData>(*reference);
      for (const auto& field : kBourseFields) Check(a.*field.member == b.*field.member);
    }
  }
  if (!decoded) return 0;
  std::string encoded, encoded_again;
  Check(codec.Encode(*decoded, &encoded).has_value());
  auto again = codec.Decode(encoded);
  Check(again.has_value());
  Check(codec.Encode(*again, &encoded_again).has_value());
  Check(encoded == encoded_again);
  return 0;
}
