// Avro binary encoding of the stream records with avro-c (libavro-dev).
//
// The bytes are Avro's schemaless binary encoding, the same as Java's SpecificDatumWriter +
// BinaryEncoder and Python's fastavro.schemaless_writer / avro.io.DatumWriter (a test decodes
// ours with Debian's python3-avro and decodes its bytes with ours). Maps are written in the
// order of the record's asset list, so for equal key order the bytes are equal; decoded values
// are equal whatever the order.
//
// BourseData, the one record at tick rate, is a flat record of 28 strings; by default its codec
// writes and reads those strings directly (each is Avro's zig-zag varint length and the UTF-8
// bytes), about 20x faster than going through avro-c's generic values. `QuotePath::kAvroC` makes
// it go through avro-c like every other record. The two give the same bytes and the same
// decoded quotes and errors: a test checks them against each other over random quotes and
// corruptions, and the interop test checks the default path against python3-avro.
//
// Decoding never trusts the input: the bytes are first walked against the schema's shape
// (lengths within the buffer, no trailing bytes, block counts sane), so malformed messages are
// an Error (for the dead-letter topic), never an allocation of a forged length or a crash.
#ifndef PFOPT_SERVICES_STREAM_AVRO_AVRO_CODEC_H_
#define PFOPT_SERVICES_STREAM_AVRO_AVRO_CODEC_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "pfopt/core/error.h"
#include "services/stream/records.h"

namespace pfopt::stream {

// The schema JSON of each record type, as in schemas/avro/ (compiled in).
std::string_view SchemaJson(RecordType type);

// How BourseData is encoded and decoded (the other records always go through avro-c).
enum class QuotePath {
  kFlat,   // the 28 strings written and read directly (the default)
  kAvroC,  // avro-c's generic values
};

// One record type's encoder/decoder. Reuses its buffers: not thread-safe, use one per thread.
class AvroCodec {
 public:
  // Errors: the compiled-in schema does not parse (a bug).
  static Result<std::unique_ptr<AvroCodec>> Create(RecordType type,
                                                   QuotePath quote_path = QuotePath::kFlat);
  ~AvroCodec();
  AvroCodec(const AvroCodec&) = delete;
  AvroCodec& operator=(const AvroCodec&) = delete;

  RecordType type() const { return type_; }

  // Replaces *out with the encoding of `record`. Errors: a record of another type; sizes that do
  // not agree (e.g. 3 assets and 2 weights); a covariance that is not n x n.
  Status Encode(const Record& record, std::string* out);
  // Errors (kParseError): bytes that are not a valid encoding of this type's schema; for
  // PortfolioStats, a covariance map that does not cover exactly the mean's assets.
  Result<Record> Decode(std::string_view bytes);

 private:
  struct Impl;
  AvroCodec(RecordType type, QuotePath quote_path, std::unique_ptr<Impl> impl);
  RecordType type_;
  QuotePath quote_path_;
  std::unique_ptr<Impl> impl_;
};

// A codec per record type, created on first use. Not thread-safe.
class AvroCodecs {
 public:
  explicit AvroCodecs(QuotePath quote_path = QuotePath::kFlat) : quote_path_(quote_path) {}
  Status Encode(const Record& record, std::string* out);
  Result<Record> Decode(RecordType type, std::string_view bytes);

 private:
  Result<AvroCodec*> Get(RecordType type);
  QuotePath quote_path_;
  std::array<std::unique_ptr<AvroCodec>, kNumRecordTypes> codecs_;
};

// Optional Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), then the
// Avro bytes.
struct WireFormat {
  bool confluent = false;
  // Schema registry ids by RecordType (BourseData, PortfolioStatsSchema, WeightSchema,
  // PortfolioMetrics, WindowReturns, DeadLetter). Defaults 1..6; set them to the registry's ids.
  std::array<int32_t, kNumRecordTypes> schema_ids = {1, 2, 3, 4, 5, 6};
};

// Frames `avro` for the wire (prefixes the header when format.confluent).
std::string FrameForWire(const WireFormat& format, RecordType type, std::string_view avro);
// The Avro bytes inside a framed message. Errors: with format.confluent, a missing magic byte or
// a schema id other than the configured one.
Result<std::string_view> UnframeFromWire(const WireFormat& format, RecordType type,
                                         std::string_view bytes);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_AVRO_AVRO_CODEC_H_
