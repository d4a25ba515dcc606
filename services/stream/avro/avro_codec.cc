#include "services/stream/avro/avro_codec.h"

#include <avro.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pfopt::stream {

// Defined in the generated avro_schemas.cc (from schemas/avro/*.avsc), in RecordType order.
extern const char* const kAvroSchemaTexts[kNumRecordTypes];

std::string_view SchemaJson(RecordType type) { return kAvroSchemaTexts[static_cast<int>(type)]; }

namespace {

// ---- Shape check: walks the bytes against the schema before avro-c sees them. --------------

enum class Kind { kString, kBytes, kInt, kLong, kDouble, kMapDouble, kMapMapDouble };

constexpr Kind kBourseShape[28] = {
    Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString,
    Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString,
    Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString,
    Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString, Kind::kString,
    Kind::kString, Kind::kString, Kind::kString, Kind::kString};
constexpr Kind kStatsShape[] = {Kind::kLong, Kind::kString, Kind::kMapDouble, Kind::kMapMapDouble};
constexpr Kind kWeightsShape[] = {Kind::kLong, Kind::kString, Kind::kMapDouble};
constexpr Kind kMetricsShape[] = {Kind::kString, Kind::kDouble, Kind::kDouble, Kind::kDouble,
                                  Kind::kLong};
constexpr Kind kWindowShape[] = {Kind::kString, Kind::kInt,  Kind::kInt,
                                 Kind::kLong,   Kind::kLong, Kind::kMapDouble};
constexpr Kind kDeadLetterShape[] = {Kind::kString, Kind::kInt,   Kind::kLong, Kind::kString,
                                     Kind::kString, Kind::kBytes, Kind::kLong};

std::pair<const Kind*, int> ShapeOf(RecordType type) {
  switch (type) {
    case RecordType::kBourseData:
      return {kBourseShape, 28};
    case RecordType::kPortfolioStats:
      return {kStatsShape, 4};
    case RecordType::kPortfolioWeights:
      return {kWeightsShape, 3};
    case RecordType::kPortfolioMetrics:
      return {kMetricsShape, 5};
    case RecordType::kWindowReturns:
      return {kWindowShape, 6};
    case RecordType::kDeadLetter:
      break;
  }
  return {kDeadLetterShape, 7};
}

class ShapeReader {
 public:
  explicit ShapeReader(std::string_view bytes)
      : p_(reinterpret_cast<const unsigned char*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool Long(int64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return false;
      const unsigned char b = *p_++;
      if (shift == 63 && (b & 0x7e) != 0) return false;  // more than 64 bits
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
        return true;
      }
    }
    return false;
  }
  bool Int() {
    int64_t value;
    return Long(&value) && value >= INT32_MIN && value <= INT32_MAX;
  }
  bool Skip(int64_t n) {
    if (n < 0 || n > end_ - p_) return false;
    p_ += n;
    return true;
  }
  // A string or bytes: its length, then that many bytes (returned in *out).
  bool Bytes(std::string_view* out = nullptr) {
    int64_t length;
    if (!Long(&length) || !Skip(length)) return false;
    if (out != nullptr) {
      *out = std::string_view(reinterpret_cast<const char*>(p_ - length),
                              static_cast<std::size_t>(length));
    }
    return true;
  }
  bool Map(int depth) {
    for (;;) {
      int64_t count;
      if (!Long(&count)) return false;
      if (count == 0) return true;
      if (count < 0) {
        if (count == INT64_MIN) return false;
        count = -count;
        int64_t block_size;
        if (!Long(&block_size) || block_size < 0) return false;
      }
      for (int64_t i = 0; i < count; ++i) {
        if (!Bytes()) return false;
        if (!(depth == 1 ? Skip(8) : Map(depth - 1))) return false;
      }
    }
  }
  bool Field(Kind kind) {
    int64_t ignored;
    switch (kind) {
      case Kind::kString:
      case Kind::kBytes:
        return Bytes();
      case Kind::kInt:
        return Int();
      case Kind::kLong:
        return Long(&ignored);
      case Kind::kDouble:
        return Skip(8);
      case Kind::kMapDouble:
        return Map(1);
      case Kind::kMapMapDouble:
        return Map(2);
    }
    return false;
  }
  bool AtEnd() const { return p_ == end_; }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

bool HasShape(RecordType type, std::string_view bytes) {
  auto [kinds, count] = ShapeOf(type);
  ShapeReader reader(bytes);
  for (int i = 0; i < count; ++i) {
    if (!reader.Field(kinds[i])) return false;
  }
  return reader.AtEnd();
}

// ---- BourseData's flat path ------------------------------------------------------------------

// Appends Avro's long encoding of `value` (zig-zag, then 7 bits per byte, low first).
void PutLong(int64_t value, std::string* out) {
  uint64_t bits = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  while (bits >= 0x80) {
    out->push_back(static_cast<char>((bits & 0x7f) | 0x80));
    bits >>= 7;
  }
  out->push_back(static_cast<char>(bits));
}

void EncodeQuoteFlat(const BourseData& quote, std::string* out) {
  std::size_t size = 0;
  for (const BourseField& field : kBourseFields) size += (quote.*field.member).size() + 10;
  out->clear();
  out->reserve(size);
  for (const BourseField& field : kBourseFields) {
    const std::string& text = quote.*field.member;
    PutLong(static_cast<int64_t>(text.size()), out);
    out->append(text);
  }
}

// Reads the 28 strings; false when the bytes are not exactly a BourseData encoding.
bool DecodeQuoteFlat(std::string_view bytes, BourseData* quote) {
  ShapeReader reader(bytes);
  std::string_view text;
  for (const BourseField& field : kBourseFields) {
    if (!reader.Bytes(&text)) return false;
    (quote->*field.member).assign(text);
  }
  return reader.AtEnd();
}

tl::unexpected<Error> ParseError(std::string message) {
  return MakeError(ErrorCode::kParseError, std::move(message));
}

// ---- avro-c helpers -------------------------------------------------------------------------

avro_value_t Child(avro_value_t* parent, size_t index) {
  avro_value_t child;
  avro_value_get_by_index(parent, index, &child, nullptr);
  return child;
}

void SetString(avro_value_t* value, const std::string& text) {
  avro_value_set_string_len(value, text.c_str(), text.size() + 1);
}

std::string GetString(avro_value_t* value) {
  const char* text = nullptr;
  size_t size = 0;
  if (avro_value_get_string(value, &text, &size) != 0 || text == nullptr || size == 0) return {};
  return std::string(text, size - 1);  // size counts the NUL
}

// The same into an existing string (no temporary).
void AssignString(avro_value_t* value, std::string* out) {
  const char* text = nullptr;
  size_t size = 0;
  if (avro_value_get_string(value, &text, &size) != 0 || text == nullptr || size == 0) {
    out->clear();
    return;
  }
  out->assign(text, size - 1);  // size counts the NUL
}

double GetDouble(avro_value_t* value) {
  double x = 0.0;
  avro_value_get_double(value, &x);
  return x;
}

int64_t GetLong(avro_value_t* value) {
  int64_t x = 0;
  avro_value_get_long(value, &x);
  return x;
}

int32_t GetInt(avro_value_t* value) {
  int32_t x = 0;
  avro_value_get_int(value, &x);
  return x;
}

// Adds key -> child; false if the key is already there.
bool AddEntry(avro_value_t* map, const std::string& key, avro_value_t* child) {
  size_t index = 0;
  int is_new = 0;
  if (avro_value_add(map, key.c_str(), child, &index, &is_new) != 0) return false;
  return is_new != 0;
}

Status DoubleMap(avro_value_t* map, const std::vector<std::string>& keys, const VectorRef& values,
                 const char* field) {
  if (static_cast<Index>(keys.size()) != values.size()) {
    return DimensionMismatch(std::string(field) + ": " + std::to_string(keys.size()) +
                                 " names for " + std::to_string(values.size()) + " values",
                             field);
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    avro_value_t entry;
    if (!AddEntry(map, keys[i], &entry)) {
      return InvalidArgument(std::string(field) + ": the name '" + keys[i] + "' appears twice",
                             field);
    }
    avro_value_set_double(&entry, values[static_cast<Index>(i)]);
  }
  return Ok();
}

void ReadDoubleMap(avro_value_t* map, std::vector<std::string>* keys, Vector* values) {
  size_t size = 0;
  avro_value_get_size(map, &size);
  keys->resize(size);
  values->resize(static_cast<Index>(size));
  for (size_t i = 0; i < size; ++i) {
    avro_value_t entry;
    const char* key = nullptr;
    avro_value_get_by_index(map, i, &entry, &key);
    (*keys)[i] = key != nullptr ? key : "";
    (*values)[static_cast<Index>(i)] = GetDouble(&entry);
  }
}

}  // namespace

struct AvroCodec::Impl {
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;
  avro_value_t value{};
  avro_writer_t writer = nullptr;
  avro_reader_t reader = nullptr;
  std::vector<char> buffer = std::vector<char>(4096);

  ~Impl() {
    if (reader != nullptr) avro_reader_free(reader);
    if (writer != nullptr) avro_writer_free(writer);
    if (value.self != nullptr) avro_value_decref(&value);
    if (iface != nullptr) avro_value_iface_decref(iface);
    if (schema != nullptr) avro_schema_decref(schema);
  }

  Status Write(std::string* out) {
    for (;;) {
      avro_writer_memory_set_dest(writer, buffer.data(), static_cast<int64_t>(buffer.size()));
      const int rc = avro_value_write(writer, &value);
      if (rc == 0) break;
      if (rc != ENOSPC || buffer.size() > (std::size_t{1} << 31)) {
        return MakeError(ErrorCode::kInternal,
                         std::string("avro-c could not encode the record: ") + std::strerror(rc));
      }
      buffer.resize(buffer.size() * 2);
    }
    out->assign(buffer.data(), static_cast<std::size_t>(avro_writer_tell(writer)));
    return Ok();
  }
};

AvroCodec::AvroCodec(RecordType type, QuotePath quote_path, std::unique_ptr<Impl> impl)
    : type_(type), quote_path_(quote_path), impl_(std::move(impl)) {}
AvroCodec::~AvroCodec() = default;

Result<std::unique_ptr<AvroCodec>> AvroCodec::Create(RecordType type, QuotePath quote_path) {
  auto impl = std::make_unique<Impl>();
  const std::string_view json = SchemaJson(type);
  if (avro_schema_from_json_length(json.data(), json.size(), &impl->schema) != 0) {
    return MakeError(ErrorCode::kInternal, "the compiled-in schema of " +
                                               std::string(EnumToString(type)) +
                                               " does not parse: " + avro_strerror());
  }
  impl->iface = avro_generic_class_from_schema(impl->schema);
  if (impl->iface == nullptr || avro_generic_value_new(impl->iface, &impl->value) != 0) {
    return MakeError(ErrorCode::kInternal,
                     "avro-c could not make a value of " + std::string(EnumToString(type)));
  }
  impl->writer = avro_writer_memory(impl->buffer.data(), static_cast<int64_t>(impl->buffer.size()));
  impl->reader = avro_reader_memory(impl->buffer.data(), 0);
  return std::unique_ptr<AvroCodec>(new AvroCodec(type, quote_path, std::move(impl)));
}

Status AvroCodec::Encode(const Record& record, std::string* out) {
  if (TypeOf(record) != type_) {
    return InvalidArgument("a " + std::string(EnumToString(TypeOf(record))) +
                           " record given to the " + std::string(EnumToString(type_)) + " codec");
  }
  if (type_ == RecordType::kBourseData && quote_path_ == QuotePath::kFlat) {
    EncodeQuoteFlat(std::get<BourseData>(record), out);
    return Ok();
  }
  avro_value_t* value = &impl_->value;
  avro_value_reset(value);
  switch (type_) {
    case RecordType::kBourseData: {
      const auto& quote = std::get<BourseData>(record);
      for (std::size_t i = 0; i < kBourseFields.size(); ++i) {
        avro_value_t field = Child(value, i);
        SetString(&field, quote.*kBourseFields[i].member);
      }
      break;
    }
    case RecordType::kPortfolioStats: {
      const auto& stats = std::get<PortfolioStats>(record);
      const Index n = static_cast<Index>(stats.assets.size());
      if (stats.covariance.rows() != n || stats.covariance.cols() != n) {
        return DimensionMismatch("covarianceMatrix is " + std::to_string(stats.covariance.rows()) +
                                     "x" + std::to_string(stats.covariance.cols()) + " for " +
                                     std::to_string(n) + " assets",
                                 "covarianceMatrix");
      }
      avro_value_t field = Child(value, 0);
      avro_value_set_long(&field, stats.timestamp_ms);
      field = Child(value, 1);
      SetString(&field, stats.portfolio_id);
      field = Child(value, 2);
      PFOPT_RETURN_IF_ERROR(DoubleMap(&field, stats.assets, stats.mean, "meanReturns"));
      avro_value_t rows = Child(value, 3);
      for (Index i = 0; i < n; ++i) {
        avro_value_t row;
        AddEntry(&rows, stats.assets[static_cast<std::size_t>(i)], &row);
        PFOPT_RETURN_IF_ERROR(
            DoubleMap(&row, stats.assets, stats.covariance.row(i).transpose(), "covarianceMatrix"));
      }
      break;
    }
    case RecordType::kPortfolioWeights: {
      const auto& weights = std::get<PortfolioWeights>(record);
      avro_value_t field = Child(value, 0);
      avro_value_set_long(&field, weights.timestamp_ms);
      field = Child(value, 1);
      SetString(&field, weights.portfolio_id);
      field = Child(value, 2);
      PFOPT_RETURN_IF_ERROR(DoubleMap(&field, weights.assets, weights.weights, "weights"));
      break;
    }
    case RecordType::kPortfolioMetrics: {
      const auto& metrics = std::get<PortfolioMetrics>(record);
      avro_value_t field = Child(value, 0);
      SetString(&field, metrics.portfolio_id);
      field = Child(value, 1);
      avro_value_set_double(&field, metrics.risk);
      field = Child(value, 2);
      avro_value_set_double(&field, metrics.expected_return);
      field = Child(value, 3);
      avro_value_set_double(&field, metrics.sharpe_ratio);
      field = Child(value, 4);
      avro_value_set_long(&field, metrics.timestamp_ms);
      break;
    }
    case RecordType::kWindowReturns: {
      const auto& window = std::get<WindowReturns>(record);
      avro_value_t field = Child(value, 0);
      SetString(&field, window.portfolio_id);
      field = Child(value, 1);
      avro_value_set_int(&field, window.source_partition);
      field = Child(value, 2);
      avro_value_set_int(&field, window.source_partitions);
      field = Child(value, 3);
      avro_value_set_long(&field, window.window_end_ms);
      field = Child(value, 4);
      avro_value_set_long(&field, window.watermark_ms);
      field = Child(value, 5);
      const Eigen::Map<const Vector> returns(window.returns.data(),
                                             static_cast<Index>(window.returns.size()));
      PFOPT_RETURN_IF_ERROR(DoubleMap(&field, window.tickers, returns, "returns"));
      break;
    }
    case RecordType::kDeadLetter: {
      const auto& dead = std::get<DeadLetter>(record);
      avro_value_t field = Child(value, 0);
      SetString(&field, dead.source_topic);
      field = Child(value, 1);
      avro_value_set_int(&field, dead.partition);
      field = Child(value, 2);
      avro_value_set_long(&field, dead.offset);
      field = Child(value, 3);
      SetString(&field, dead.key);
      field = Child(value, 4);
      SetString(&field, dead.reason);
      field = Child(value, 5);
      avro_value_set_bytes(&field, const_cast<char*>(dead.payload.data()), dead.payload.size());
      field = Child(value, 6);
      avro_value_set_long(&field, dead.timestamp_ms);
      break;
    }
  }
  return impl_->Write(out);
}

Result<Record> AvroCodec::Decode(std::string_view bytes) {
  const std::string_view type_name = EnumToString(type_);  // for the messages
  const auto not_this_schema = [&] {
    const std::string name(type_name);
    return ParseError("the " + std::to_string(bytes.size()) + " bytes are not a " + name +
                      " record (Avro binary, schemas/avro/" + name + ".avsc)");
  };
  if (type_ == RecordType::kBourseData && quote_path_ == QuotePath::kFlat) {
    Record record{std::in_place_type<BourseData>};
    if (!DecodeQuoteFlat(bytes, &std::get<BourseData>(record))) return not_this_schema();
    return record;
  }
  if (!HasShape(type_, bytes)) return not_this_schema();
  avro_value_t* value = &impl_->value;
  avro_value_reset(value);
  avro_reader_memory_set_source(impl_->reader, bytes.data(), static_cast<int64_t>(bytes.size()));
  if (avro_value_read(impl_->reader, value) != 0) {
    return ParseError("avro-c could not decode the " + std::string(type_name) + " record");
  }
  switch (type_) {
    case RecordType::kBourseData: {
      Record record{std::in_place_type<BourseData>};
      BourseData& quote = std::get<BourseData>(record);
      for (std::size_t i = 0; i < kBourseFields.size(); ++i) {
        avro_value_t field = Child(value, i);
        AssignString(&field, &(quote.*kBourseFields[i].member));
      }
      return record;
    }
    case RecordType::kPortfolioStats: {
      PortfolioStats stats;
      avro_value_t field = Child(value, 0);
      stats.timestamp_ms = GetLong(&field);
      field = Child(value, 1);
      stats.portfolio_id = GetString(&field);
      field = Child(value, 2);
      ReadDoubleMap(&field, &stats.assets, &stats.mean);
      const Index n = stats.mean.size();
      avro_value_t rows = Child(value, 3);
      size_t row_count = 0;
      avro_value_get_size(&rows, &row_count);
      if (static_cast<Index>(row_count) != n) {
        return ParseError("covarianceMatrix has " + std::to_string(row_count) + " rows for the " +
                          std::to_string(n) + " assets of meanReturns");
      }
      stats.covariance.resize(n, n);
      for (Index i = 0; i < n; ++i) {
        const std::string& a = stats.assets[static_cast<std::size_t>(i)];
        avro_value_t row{};
        if (avro_value_get_by_name(&rows, a.c_str(), &row, nullptr) != 0 || row.self == nullptr) {
          return ParseError("covarianceMatrix has no row for asset '" + a + "'");
        }
        size_t columns = 0;
        avro_value_get_size(&row, &columns);
        if (static_cast<Index>(columns) != n) {
          return ParseError("covarianceMatrix row '" + a + "' has " + std::to_string(columns) +
                            " entries for " + std::to_string(n) + " assets");
        }
        for (Index j = 0; j < n; ++j) {
          const std::string& b = stats.assets[static_cast<std::size_t>(j)];
          avro_value_t entry{};
          if (avro_value_get_by_name(&row, b.c_str(), &entry, nullptr) != 0 ||
              entry.self == nullptr) {
            return ParseError("covarianceMatrix has no entry for (" + a + ", " + b + ")");
          }
          stats.covariance(i, j) = GetDouble(&entry);
        }
      }
      return Record(std::move(stats));
    }
    case RecordType::kPortfolioWeights: {
      PortfolioWeights weights;
      avro_value_t field = Child(value, 0);
      weights.timestamp_ms = GetLong(&field);
      field = Child(value, 1);
      weights.portfolio_id = GetString(&field);
      field = Child(value, 2);
      ReadDoubleMap(&field, &weights.assets, &weights.weights);
      return Record(std::move(weights));
    }
    case RecordType::kPortfolioMetrics: {
      PortfolioMetrics metrics;
      avro_value_t field = Child(value, 0);
      metrics.portfolio_id = GetString(&field);
      field = Child(value, 1);
      metrics.risk = GetDouble(&field);
      field = Child(value, 2);
      metrics.expected_return = GetDouble(&field);
      field = Child(value, 3);
      metrics.sharpe_ratio = GetDouble(&field);
      field = Child(value, 4);
      metrics.timestamp_ms = GetLong(&field);
      return Record(std::move(metrics));
    }
    case RecordType::kWindowReturns: {
      WindowReturns window;
      avro_value_t field = Child(value, 0);
      window.portfolio_id = GetString(&field);
      field = Child(value, 1);
      window.source_partition = GetInt(&field);
      field = Child(value, 2);
      window.source_partitions = GetInt(&field);
      field = Child(value, 3);
      window.window_end_ms = GetLong(&field);
      field = Child(value, 4);
      window.watermark_ms = GetLong(&field);
      field = Child(value, 5);
      Vector returns;
      ReadDoubleMap(&field, &window.tickers, &returns);
      window.returns.assign(returns.data(), returns.data() + returns.size());
      return Record(std::move(window));
    }
    case RecordType::kDeadLetter: {
      DeadLetter dead;
      avro_value_t field = Child(value, 0);
      dead.source_topic = GetString(&field);
      field = Child(value, 1);
      dead.partition = GetInt(&field);
      field = Child(value, 2);
      dead.offset = GetLong(&field);
      field = Child(value, 3);
      dead.key = GetString(&field);
      field = Child(value, 4);
      dead.reason = GetString(&field);
      field = Child(value, 5);
      const void* data = nullptr;
      size_t size = 0;
      avro_value_get_bytes(&field, &data, &size);
      if (data != nullptr) dead.payload.assign(static_cast<const char*>(data), size);
      field = Child(value, 6);
      dead.timestamp_ms = GetLong(&field);
      return Record(std::move(dead));
    }
  }
  return MakeError(ErrorCode::kInternal, "unknown record type");
}

Result<AvroCodec*> AvroCodecs::Get(RecordType type) {
  auto& slot = codecs_[static_cast<std::size_t>(type)];
  if (!slot) {
    auto codec = AvroCodec::Create(type, quote_path_);
    if (!codec) return tl::unexpected(codec.error());
    slot = std::move(*codec);
  }
  return slot.get();
}

Status AvroCodecs::Encode(const Record& record, std::string* out) {
  auto codec = Get(TypeOf(record));
  if (!codec) return tl::unexpected(codec.error());
  return (*codec)->Encode(record, out);
}

Result<Record> AvroCodecs::Decode(RecordType type, std::string_view bytes) {
  auto codec = Get(type);
  if (!codec) return tl::unexpected(codec.error());
  return (*codec)->Decode(bytes);
}

std::string FrameForWire(const WireFormat& format, RecordType type, std::string_view avro) {
  if (!format.confluent) return std::string(avro);
  const auto id = static_cast<uint32_t>(format.schema_ids[static_cast<std::size_t>(type)]);
  std::string framed;
  framed.reserve(avro.size() + 5);
  framed.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) framed.push_back(static_cast<char>(id >> shift));
  framed.append(avro);
  return framed;
}

Result<std::string_view> UnframeFromWire(const WireFormat& format, RecordType type,
                                         std::string_view bytes) {
  if (!format.confluent) return bytes;
  if (bytes.size() < 5 || bytes[0] != '\0') {
    return ParseError("not in the Confluent wire format (magic byte 0 + 4-byte schema id)");
  }
  uint32_t id = 0;
  for (int i = 1; i <= 4; ++i) id = (id << 8) | static_cast<unsigned char>(bytes[i]);
  const auto expected = static_cast<uint32_t>(format.schema_ids[static_cast<std::size_t>(type)]);
  if (id != expected) {
    return ParseError("schema id " + std::to_string(id) + " where " +
                      std::string(EnumToString(type)) + " has id " + std::to_string(expected));
  }
  return bytes.substr(5);
}

}  // namespace pfopt::stream
