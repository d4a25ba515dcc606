#include "pfopt/data/scenario_cube.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <system_error>

namespace pfopt {

namespace {

// Upper limit on the number of values of a cube (8 GB of doubles): a guard against a corrupt
// header or a CSV index that would make us allocate absurd amounts of memory.
constexpr std::int64_t kMaxValues = std::int64_t{1} << 30;

std::string Position(Index periods, Index trials, Index assets, std::int64_t flat) {
  const std::int64_t per_period = static_cast<std::int64_t>(trials) * assets;
  const std::int64_t t = flat / per_period;
  const std::int64_t i = (flat % per_period) / assets;
  const std::int64_t j = flat % assets;
  (void)periods;
  return "(period " + std::to_string(t) + ", trial " + std::to_string(i) + ", asset " +
         std::to_string(j) + ")";
}

Status CheckSizes(Index periods, Index trials, Index assets) {
  if (periods < 1 || trials < 1 || assets < 1) {
    return InvalidArgument("a scenario cube needs at least 1 period, 1 trial and 1 asset; got " +
                           std::to_string(periods) + " x " + std::to_string(trials) + " x " +
                           std::to_string(assets));
  }
  const double total =
      static_cast<double>(periods) * static_cast<double>(trials) * static_cast<double>(assets);
  if (total > static_cast<double>(kMaxValues)) {
    return InvalidArgument("a scenario cube of " + std::to_string(periods) + " x " +
                           std::to_string(trials) + " x " + std::to_string(assets) +
                           " values is larger than the supported 2^30 values");
  }
  return Ok();
}

Status CheckFinite(Index periods, Index trials, Index assets, const std::vector<double>& values) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k])) {
      return InvalidArgument("scenario cube value at " +
                             Position(periods, trials, assets, static_cast<std::int64_t>(k)) +
                             " is not finite (" + std::to_string(values[k]) + ")");
    }
  }
  return Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIoError, "cannot open '" + path + "'", path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return MakeError(ErrorCode::kIoError, "cannot read '" + path + "'", path);
  return text;
}

tl::unexpected<Error> NpyError(const std::string& message) {
  return MakeError(ErrorCode::kParseError, "not a readable .npy scenario cube: " + message);
}

// --- .npy header ---------------------------------------------------------------------------

struct NpyHeader {
  char byte_order = '<';  // '<' little, '>' big, '|' not applicable
  int item_size = 8;      // 4 or 8 (float32 / float64)
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;  // bytes from the start of the file
};

std::size_t SkipSpaces(std::string_view s, std::size_t pos) {
  while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
  return pos;
}

// Finds `'key':` in the header dict and returns the position just after the colon.
Result<std::size_t> FindKey(std::string_view dict, std::string_view key) {
  for (char quote : {'\'', '"'}) {
    const std::string pattern = std::string(1, quote) + std::string(key) + std::string(1, quote);
    const std::size_t at = dict.find(pattern);
    if (at == std::string_view::npos) continue;
    std::size_t pos = SkipSpaces(dict, at + pattern.size());
    if (pos < dict.size() && dict[pos] == ':') return pos + 1;
  }
  return NpyError("the header has no '" + std::string(key) + "' entry");
}

// Parses the prefix of a .npy file (magic, version, header). `bytes` must hold at least the
// whole header; the data may follow or not.
Result<NpyHeader> ParseNpyHeader(std::string_view bytes) {
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view(kMagic, 6)) {
    return NpyError("it does not start with the NumPy magic string \\x93NUMPY");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_length = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(bytes[8]) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return NpyError("the file ends inside its header");
    for (int b = 3; b >= 0; --b) {
      header_length = (header_length << 8) | static_cast<unsigned char>(bytes[8 + b]);
    }
    header_start = 12;
  } else {
    return NpyError("format version " + std::to_string(major) + " is not supported (1, 2, 3)");
  }
  if (bytes.size() < header_start + header_length) {
    return NpyError("the file ends inside its header");
  }
  const std::string_view dict = bytes.substr(header_start, header_length);
  NpyHeader header;
  header.data_offset = header_start + header_length;

  // descr
  auto descr_at = FindKey(dict, "descr");
  if (!descr_at) return tl::unexpected(descr_at.error());
  std::size_t pos = SkipSpaces(dict, *descr_at);
  if (pos >= dict.size() || (dict[pos] != '\'' && dict[pos] != '"')) {
    return NpyError("the 'descr' entry is not a string (structured arrays are not supported)");
  }
  const char quote = dict[pos];
  const std::size_t end = dict.find(quote, pos + 1);
  if (end == std::string_view::npos) return NpyError("the 'descr' string is not closed");
  const std::string descr(dict.substr(pos + 1, end - pos - 1));
  if (descr == "<f8" || descr == ">f8" || descr == "<f4" || descr == ">f4" || descr == "=f8" ||
      descr == "=f4") {
    header.byte_order = descr[0] == '=' ? '<' : descr[0];
    header.item_size = descr[2] - '0';
  } else {
    return NpyError("the data type is '" + descr +
                    "'; a scenario cube must be float64 ('<f8') or float32 ('<f4')");
  }

  // fortran_order
  auto order_at = FindKey(dict, "fortran_order");
  if (!order_at) return tl::unexpected(order_at.error());
  pos = SkipSpaces(dict, *order_at);
  if (dict.substr(pos, 4) == "True") {
    header.fortran_order = true;
  } else if (dict.substr(pos, 5) == "False") {
    header.fortran_order = false;
  } else {
    return NpyError("the 'fortran_order' entry is neither True nor False");
  }

  // shape
  auto shape_at = FindKey(dict, "shape");
  if (!shape_at) return tl::unexpected(shape_at.error());
  pos = SkipSpaces(dict, *shape_at);
  if (pos >= dict.size() || dict[pos] != '(') return NpyError("the 'shape' entry is not a tuple");
  const std::size_t close = dict.find(')', pos);
  if (close == std::string_view::npos) return NpyError("the 'shape' tuple is not closed");
  std::string_view tuple = dict.substr(pos + 1, close - pos - 1);
  while (true) {
    std::size_t p = SkipSpaces(tuple, 0);
    tuple.remove_prefix(p);
    if (tuple.empty()) break;
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(tuple.data(), tuple.data() + tuple.size(), value);
    if (ec != std::errc() || value < 0) {
      return NpyError("the 'shape' tuple holds '" + std::string(tuple) +
                      "', not non-negative integers");
    }
    header.shape.push_back(value);
    tuple.remove_prefix(static_cast<std::size_t>(ptr - tuple.data()));
    p = SkipSpaces(tuple, 0);
    tuple.remove_prefix(p);
    if (!tuple.empty() && tuple.front() == ',') tuple.remove_prefix(1);
    if (tuple.size() > 0 && !std::isspace(static_cast<unsigned char>(tuple.front())) &&
        !std::isdigit(static_cast<unsigned char>(tuple.front()))) {
      return NpyError("the 'shape' tuple is malformed");
    }
  }
  if (header.shape.size() != 3) {
    return NpyError("the array has " + std::to_string(header.shape.size()) +
                    " dimension(s); a scenario cube has 3 (periods, trials, assets)");
  }
  return header;
}

double DecodeItem(const unsigned char* p, const NpyHeader& header) {
  const bool swap = header.byte_order == '>';
  if (header.item_size == 8) {
    std::uint64_t bits = 0;
    for (int b = 0; b < 8; ++b) {
      const std::uint64_t byte = p[swap ? 7 - b : b];
      bits |= byte << (8 * b);
    }
    double value = 0.0;
    std::memcpy(&value, &bits, 8);
    return value;
  }
  std::uint32_t bits = 0;
  for (int b = 0; b < 4; ++b) {
    const std::uint32_t byte = p[swap ? 3 - b : b];
    bits |= byte << (8 * b);
  }
  float value = 0.0f;
  std::memcpy(&value, &bits, 4);
  return static_cast<double>(value);
}

// Turns the raw data bytes into a C-order vector of doubles.
Result<ScenarioCube> DecodeNpyData(const NpyHeader& header, const unsigned char* data,
                                   std::size_t data_bytes, std::vector<double>* scratch) {
  const Index periods = header.shape[0], trials = header.shape[1], assets = header.shape[2];
  PFOPT_RETURN_IF_ERROR(CheckSizes(periods, trials, assets));
  const std::size_t count = static_cast<std::size_t>(periods * trials * assets);
  const std::size_t expected = count * static_cast<std::size_t>(header.item_size);
  if (data_bytes != expected) {
    return NpyError("the header announces " + std::to_string(periods) + " x " +
                    std::to_string(trials) + " x " + std::to_string(assets) + " values (" +
                    std::to_string(expected) + " bytes) but the file holds " +
                    std::to_string(data_bytes) + " data bytes");
  }
  std::vector<double> values;
  const bool direct = header.byte_order == '<' && header.item_size == 8 && !header.fortran_order;
  if (direct && scratch != nullptr) {
    values = std::move(*scratch);  // already in place
  } else if (direct) {
    values.resize(count);
    std::memcpy(values.data(), data, expected);
  } else {
    values.resize(count);
    const std::size_t item = static_cast<std::size_t>(header.item_size);
    if (!header.fortran_order) {
      for (std::size_t k = 0; k < count; ++k) values[k] = DecodeItem(data + k * item, header);
    } else {
      // Fortran order: element (t, i, j) is at t + T (i + N j).
      std::size_t k = 0;
      for (Index j = 0; j < assets; ++j) {
        for (Index i = 0; i < trials; ++i) {
          for (Index t = 0; t < periods; ++t, ++k) {
            values[static_cast<std::size_t>((t * trials + i) * assets + j)] =
                DecodeItem(data + k * item, header);
          }
        }
      }
    }
  }
  return ScenarioCube::Create(periods, trials, assets, std::move(values));
}

// --- CSV -----------------------------------------------------------------------------------

std::string_view TrimCell(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(a[k])) !=
        std::tolower(static_cast<unsigned char>(b[k]))) {
      return false;
    }
  }
  return true;
}

tl::unexpected<Error> CsvError(std::size_t line, const std::string& message) {
  return MakeError(ErrorCode::kParseError, "line " + std::to_string(line) + ": " + message);
}

}  // namespace

Result<ScenarioCube> ScenarioCube::Create(Index periods, Index trials, Index assets,
                                          std::vector<double> values) {
  PFOPT_RETURN_IF_ERROR(CheckSizes(periods, trials, assets));
  if (static_cast<std::int64_t>(values.size()) !=
      static_cast<std::int64_t>(periods) * trials * assets) {
    return DimensionMismatch("a " + std::to_string(periods) + " x " + std::to_string(trials) +
                             " x " + std::to_string(assets) + " scenario cube needs " +
                             std::to_string(periods * trials * assets) + " values, got " +
                             std::to_string(values.size()));
  }
  PFOPT_RETURN_IF_ERROR(CheckFinite(periods, trials, assets, values));
  ScenarioCube cube;
  cube.periods_ = periods;
  cube.trials_ = trials;
  cube.assets_ = assets;
  cube.values_ = std::move(values);
  return cube;
}

Result<ScenarioCube> ScenarioCube::FirstPeriods(Index periods) const {
  if (periods < 1 || periods > periods_) {
    return InvalidArgument("cannot take the first " + std::to_string(periods) +
                           " periods of a cube of " + std::to_string(periods_));
  }
  const std::size_t count = static_cast<std::size_t>(periods * trials_ * assets_);
  std::vector<double> values(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(count));
  return Create(periods, trials_, assets_, std::move(values));
}

Result<ScenarioCube> ParseScenarioCubeNpy(std::string_view bytes) {
  auto header = ParseNpyHeader(bytes);
  if (!header) return tl::unexpected(header.error());
  return DecodeNpyData(*header,
                       reinterpret_cast<const unsigned char*>(bytes.data()) + header->data_offset,
                       bytes.size() - header->data_offset, nullptr);
}

Result<ScenarioCube> ReadScenarioCubeNpy(const std::string& path) {
  // Read the header, then the data straight into the cube's storage (one copy of 8 bytes per
  // value instead of three for the common '<f8' C-order case).
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return MakeError(ErrorCode::kIoError, "cannot open '" + path + "'", path);
  std::string prefix(12, '\0');
  const std::size_t got = std::fread(prefix.data(), 1, prefix.size(), file.get());
  prefix.resize(got);
  if (got < 10) {
    return MakeError(ErrorCode::kParseError,
                     "'" + path + "' is not a readable .npy scenario cube: it is too short", path);
  }
  std::size_t header_end = 0;
  if (static_cast<unsigned char>(prefix[6]) == 1) {
    header_end = 10 + (static_cast<unsigned char>(prefix[8]) |
                       (static_cast<std::size_t>(static_cast<unsigned char>(prefix[9])) << 8));
  } else if (got == 12) {
    std::size_t length = 0;
    for (int b = 3; b >= 0; --b) length = (length << 8) | static_cast<unsigned char>(prefix[8 + b]);
    header_end = 12 + length;
  }
  if (header_end > prefix.size() && header_end < (std::size_t{1} << 24)) {
    const std::size_t old = prefix.size();
    prefix.resize(header_end);
    prefix.resize(old + std::fread(prefix.data() + old, 1, header_end - old, file.get()));
  }
  auto header = ParseNpyHeader(prefix);
  if (!header) {
    return MakeError(ErrorCode::kParseError, "'" + path + "': " + header.error().message(), path);
  }
  // Size of the data.
  std::fseek(file.get(), 0, SEEK_END);
  const long file_size = std::ftell(file.get());
  if (file_size < 0) return MakeError(ErrorCode::kIoError, "cannot read '" + path + "'", path);
  const std::size_t data_bytes = static_cast<std::size_t>(file_size) - header->data_offset;
  std::fseek(file.get(), static_cast<long>(header->data_offset), SEEK_SET);

  std::vector<double> direct;
  std::vector<unsigned char> raw;
  const bool in_place =
      header->byte_order == '<' && header->item_size == 8 && !header->fortran_order;
  const unsigned char* data = nullptr;
  const double max_bytes = static_cast<double>(kMaxValues) * 8.0;
  if (static_cast<double>(data_bytes) > max_bytes) {
    return MakeError(ErrorCode::kParseError,
                     "'" + path + "' holds more data than the supported 2^30 values", path);
  }
  if (in_place && data_bytes % 8 == 0) {
    direct.resize(data_bytes / 8);
    if (std::fread(direct.data(), 1, data_bytes, file.get()) != data_bytes) {
      return MakeError(ErrorCode::kIoError, "cannot read '" + path + "'", path);
    }
    data = reinterpret_cast<const unsigned char*>(direct.data());
  } else {
    raw.resize(data_bytes);
    if (std::fread(raw.data(), 1, data_bytes, file.get()) != data_bytes) {
      return MakeError(ErrorCode::kIoError, "cannot read '" + path + "'", path);
    }
    data = raw.data();
  }
  auto cube = DecodeNpyData(*header, data, data_bytes, in_place ? &direct : nullptr);
  if (!cube) {
    return MakeError(cube.error().code(), "'" + path + "': " + cube.error().message(), path);
  }
  return cube;
}

Result<ScenarioCube> ParseScenarioCubeCsv(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::size_t pos = 0;
  std::size_t line_number = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    *line = text.substr(pos, end - pos);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos = end + 1;
    ++line_number;
    return true;
  };
  std::string_view line;
  // Header: the first non-blank line.
  bool have_header = false;
  while (next_line(&line)) {
    if (TrimCell(line).empty()) continue;
    have_header = true;
    break;
  }
  if (!have_header) {
    return MakeError(ErrorCode::kParseError, "the scenario CSV is empty (no header)");
  }
  {
    static constexpr std::string_view kColumns[] = {"period", "trial", "asset", "return"};
    std::string_view rest = line;
    for (int c = 0; c < 4; ++c) {
      const std::size_t comma = rest.find(',');
      const std::string_view cell = TrimCell(rest.substr(0, comma));
      if (!EqualsIgnoreCase(cell, kColumns[c]) || (c < 3 && comma == std::string_view::npos) ||
          (c == 3 && comma != std::string_view::npos)) {
        return CsvError(line_number, "the header must be 'period,trial,asset,return', got '" +
                                         std::string(line) + "'");
      }
      if (comma != std::string_view::npos) rest.remove_prefix(comma + 1);
    }
  }
  std::vector<std::int32_t> index[3];
  std::vector<double> values;
  std::vector<std::uint32_t> lines;
  static constexpr const char* kNames[] = {"period", "trial", "asset"};
  std::int64_t max_index[3] = {-1, -1, -1};
  while (next_line(&line)) {
    if (TrimCell(line).empty()) continue;
    std::string_view rest = line;
    for (int c = 0; c < 4; ++c) {
      const std::size_t comma = rest.find(',');
      if ((c < 3) != (comma != std::string_view::npos)) {
        return CsvError(line_number, "expected 4 cells 'period,trial,asset,return', got '" +
                                         std::string(line) + "'");
      }
      std::string_view cell = TrimCell(rest.substr(0, comma));
      if (c < 3) {
        std::int64_t value = -1;
        auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
        if (cell.empty() || ec != std::errc() || ptr != cell.data() + cell.size() || value < 0 ||
            value > std::numeric_limits<std::int32_t>::max()) {
          return CsvError(line_number, std::string(kNames[c]) + " '" + std::string(cell) +
                                           "' is not a non-negative integer index");
        }
        index[c].push_back(static_cast<std::int32_t>(value));
        max_index[c] = std::max(max_index[c], value);
        rest.remove_prefix(comma + 1);
      } else {
        if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
        double value = 0.0;
        auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
        if (cell.empty() || ec != std::errc() || ptr != cell.data() + cell.size()) {
          return CsvError(line_number,
                          "return '" + std::string(cell) + "' is not a decimal number");
        }
        if (!std::isfinite(value)) {
          return MakeError(ErrorCode::kInvalidArgument, "line " + std::to_string(line_number) +
                                                            ": return '" + std::string(cell) +
                                                            "' is not finite");
        }
        values.push_back(value);
      }
    }
    lines.push_back(static_cast<std::uint32_t>(line_number));
    if (static_cast<std::int64_t>(values.size()) > kMaxValues) {
      return CsvError(line_number, "the file holds more than the supported 2^30 values");
    }
  }
  if (values.empty()) {
    return MakeError(ErrorCode::kParseError, "the scenario CSV has a header but no data rows");
  }
  const Index periods = max_index[0] + 1, trials = max_index[1] + 1, assets = max_index[2] + 1;
  PFOPT_RETURN_IF_ERROR(CheckSizes(periods, trials, assets));
  const std::size_t count = static_cast<std::size_t>(periods * trials * assets);
  std::vector<double> cube_values(count, 0.0);
  std::vector<std::uint32_t> seen_at(count, 0);  // line of the row that set the value, 0 = none
  for (std::size_t r = 0; r < values.size(); ++r) {
    const std::size_t flat = static_cast<std::size_t>(
        (static_cast<Index>(index[0][r]) * trials + index[1][r]) * assets + index[2][r]);
    if (seen_at[flat] != 0) {
      return CsvError(lines[r], "(period " + std::to_string(index[0][r]) + ", trial " +
                                    std::to_string(index[1][r]) + ", asset " +
                                    std::to_string(index[2][r]) + ") already appeared on line " +
                                    std::to_string(seen_at[flat]));
    }
    seen_at[flat] = lines[r];
    cube_values[flat] = values[r];
  }
  if (values.size() != count) {
    for (std::size_t flat = 0; flat < count; ++flat) {
      if (seen_at[flat] == 0) {
        return MakeError(ErrorCode::kParseError,
                         "the scenario CSV has no row for " +
                             Position(periods, trials, assets, static_cast<std::int64_t>(flat)) +
                             " (sizes from the largest indices: " + std::to_string(periods) +
                             " periods x " + std::to_string(trials) + " trials x " +
                             std::to_string(assets) + " assets)");
      }
    }
  }
  return ScenarioCube::Create(periods, trials, assets, std::move(cube_values));
}

Result<ScenarioCube> ReadScenarioCubeCsv(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text) return tl::unexpected(text.error());
  auto cube = ParseScenarioCubeCsv(*text);
  if (!cube) {
    return MakeError(cube.error().code(), "'" + path + "': " + cube.error().message(), path);
  }
  return cube;
}

Result<ScenarioCube> ReadScenarioCube(const std::string& path) {
  std::string lower = path;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto ends_with = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".npy")) return ReadScenarioCubeNpy(path);
  if (ends_with(".csv")) return ReadScenarioCubeCsv(path);
  return InvalidArgument("'" + path +
                             "' is neither a .npy nor a .csv file; scenario cubes are read from "
                             "NumPy .npy files or long CSV files (period,trial,asset,return)",
                         path);
}

std::string FormatScenarioCubeNpy(const ScenarioCube& cube) {
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" +
                     std::to_string(cube.num_periods()) + ", " + std::to_string(cube.num_trials()) +
                     ", " + std::to_string(cube.num_assets()) + "), }";
  // Pad with spaces and end with '\n' so that the data starts on a 64-byte boundary.
  std::size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>((dict.size() >> 8) & 0xff));
  out += dict;
  const std::size_t offset = out.size();
  out.resize(offset + cube.values().size() * 8);
  std::memcpy(out.data() + offset, cube.values().data(), cube.values().size() * 8);
  return out;
}

Status WriteScenarioCubeNpy(const ScenarioCube& cube, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return MakeError(ErrorCode::kIoError, "cannot create '" + path + "'", path);
  const std::string bytes = FormatScenarioCubeNpy(cube);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return MakeError(ErrorCode::kIoError, "cannot write '" + path + "'", path);
  return Ok();
}

std::string FormatScenarioCubeCsv(const ScenarioCube& cube) {
  std::string out = "period,trial,asset,return\n";
  out.reserve(out.size() + cube.values().size() * 32);
  char buffer[64];
  std::size_t k = 0;
  for (Index t = 0; t < cube.num_periods(); ++t) {
    for (Index i = 0; i < cube.num_trials(); ++i) {
      for (Index j = 0; j < cube.num_assets(); ++j, ++k) {
        out += std::to_string(t);
        out += ',';
        out += std::to_string(i);
        out += ',';
        out += std::to_string(j);
        out += ',';
        auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof(buffer), cube.values()[k]);
        out.append(buffer, ptr);
        out += '\n';
      }
    }
  }
  return out;
}

Result<int> ParseTimeUnit(std::string_view text) {
  std::string name;
  for (char c : text) {
    if (c == ' ' || c == '\t') continue;
    name.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  struct Entry {
    std::string_view name;
    int periods;
  };
  static constexpr Entry kNames[] = {{"monthly", 12},
                                     {"month", 12},
                                     {"m", 12},
                                     {"quarterly", 4},
                                     {"quarter", 4},
                                     {"q", 4},
                                     {"semi-annually", 2},
                                     {"semiannually", 2},
                                     {"semi-annual", 2},
                                     {"semiannual", 2},
                                     {"half-yearly", 2},
                                     {"s", 2},
                                     {"yearly", 1},
                                     {"annually", 1},
                                     {"annual", 1},
                                     {"year", 1},
                                     {"a", 1},
                                     {"y", 1}};
  for (const Entry& e : kNames) {
    if (name == e.name) return e.periods;
  }
  if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
    if (ec == std::errc() && value > 0) return value;
  }
  return InvalidArgument("time unit '" + std::string(text) +
                             "' is not understood; use monthly (12), quarterly (4), "
                             "semi-annually (2), yearly (1) or a positive number of periods per "
                             "year",
                         "time_unit");
}

}  // namespace pfopt
