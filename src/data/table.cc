#include "pfopt/data/table.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace pfopt {

Index TimeSeriesTable::AssetIndex(std::string_view asset) const {
  for (std::size_t i = 0; i < assets.size(); ++i) {
    if (assets[i] == asset) return static_cast<Index>(i);
  }
  return -1;
}

namespace {

// Cells of one line. A cell is a view into the line, or into `unescaped` when it was quoted
// and contained doubled quotes ("") that had to be collapsed.
struct CsvLine {
  std::vector<std::string_view> cells;
  std::deque<std::string> unescaped;  // deque: growing it never moves the strings
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::string LineRef(Index row, Index line) {
  // `row` counts data rows (the header is not a row), `line` physical lines; both 1-based.
  return "row " + std::to_string(row) + " (line " + std::to_string(line) + ")";
}

// Splits one line on commas. A cell may be enclosed in double quotes, in which case it may
// contain commas and doubled quotes; spaces and tabs around a cell are ignored.
Status SplitLine(std::string_view line, Index line_number, CsvLine* out) {
  out->cells.clear();
  out->unescaped.clear();
  std::size_t pos = 0;
  while (true) {
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    if (pos < line.size() && line[pos] == '"') {
      const std::size_t open = pos++;
      bool has_escapes = false;
      std::size_t close = std::string_view::npos;
      while (pos < line.size()) {
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            has_escapes = true;
            pos += 2;
            continue;
          }
          close = pos;
          break;
        }
        ++pos;
      }
      if (close == std::string_view::npos) {
        return MakeError(ErrorCode::kParseError, "line " + std::to_string(line_number) +
                                                     ": unterminated quote in cell " +
                                                     std::to_string(out->cells.size() + 1) +
                                                     " (a quoted cell must end on the same line)");
      }
      std::string_view inner = line.substr(open + 1, close - open - 1);
      if (has_escapes) {
        std::string text;
        text.reserve(inner.size());
        for (std::size_t i = 0; i < inner.size(); ++i) {
          text += inner[i];
          if (inner[i] == '"') ++i;  // skip the second quote of a doubled pair
        }
        out->unescaped.push_back(std::move(text));
        inner = out->unescaped.back();
      }
      out->cells.push_back(inner);
      pos = close + 1;
      while (pos < line.size() && IsBlank(line[pos])) ++pos;
      if (pos == line.size()) return Ok();
      if (line[pos] != ',') {
        return MakeError(ErrorCode::kParseError,
                         "line " + std::to_string(line_number) + ": unexpected text after the " +
                             "closing quote of cell " + std::to_string(out->cells.size()));
      }
      ++pos;
      continue;
    }
    const std::size_t comma = line.find(',', pos);
    if (comma == std::string_view::npos) {
      out->cells.push_back(Trim(line.substr(pos)));
      return Ok();
    }
    out->cells.push_back(Trim(line.substr(pos, comma - pos)));
    pos = comma + 1;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool IsMissingToken(std::string_view cell) {
  if (cell.empty()) return true;
  static constexpr std::string_view kMissing[] = {"NA", "N/A", "NaN", "null", "None", "#N/A"};
  for (std::string_view token : kMissing) {
    if (EqualsIgnoreCase(cell, token)) return true;
  }
  return false;
}

enum class CellParse { kOk, kNotANumber, kNotFinite, kOutOfRange };

// A finite decimal number, the whole cell. std::from_chars accepts neither a leading '+' nor
// surrounding text, and it does accept "inf"/"nan", which we reject as not finite.
CellParse ParseNumber(std::string_view cell, double* value) {
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  if (first != last && *first == '+') {
    ++first;
    if (first == last || *first == '-' || *first == '+') return CellParse::kNotANumber;
  }
  const std::from_chars_result result = std::from_chars(first, last, *value);
  if (result.ec == std::errc::result_out_of_range) return CellParse::kOutOfRange;
  if (result.ec != std::errc() || result.ptr != last) return CellParse::kNotANumber;
  if (!std::isfinite(*value)) return CellParse::kNotFinite;
  return CellParse::kOk;
}

std::string Quoted(std::string_view s) {
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

}  // namespace

Result<TimeSeriesTable> ParseTableCsv(std::string_view text, const CsvReadOptions& options) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM

  TimeSeriesTable table;
  CsvLine cells;
  std::vector<double> values;  // row-major while reading
  std::vector<Index> present_per_asset;
  std::unordered_map<std::string, Index> line_of_period;  // only for unordered periods
  std::vector<Index> line_of_row;
  Index num_columns = 0;  // cells per line, the label included
  bool have_header = false;
  Index line_number = 0;
  std::size_t pos = 0;

  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;  // blank lines are skipped anywhere

    PFOPT_RETURN_IF_ERROR(SplitLine(line, line_number, &cells));

    if (!have_header) {
      have_header = true;
      num_columns = static_cast<Index>(cells.cells.size());
      if (num_columns < 2) {
        return MakeError(ErrorCode::kParseError,
                         "line " + std::to_string(line_number) +
                             ": the header has no asset columns; expected `date,<asset 1>,...`");
      }
      std::unordered_map<std::string_view, Index> column_of_asset;
      for (Index c = 1; c < num_columns; ++c) {
        const std::string_view name = cells.cells[static_cast<std::size_t>(c)];
        if (name.empty()) {
          return MakeError(ErrorCode::kParseError,
                           "line " + std::to_string(line_number) + ": header cell " +
                               std::to_string(c + 1) +
                               " is empty; every asset column needs a name");
        }
        const auto [it, inserted] = column_of_asset.emplace(name, c);
        if (!inserted) {
          return MakeError(ErrorCode::kParseError,
                           "line " + std::to_string(line_number) + ": asset " + Quoted(name) +
                               " appears twice in the header (cells " +
                               std::to_string(it->second + 1) + " and " + std::to_string(c + 1) +
                               "); asset names must be unique");
        }
        table.assets.emplace_back(name);
      }
      present_per_asset.assign(static_cast<std::size_t>(num_columns - 1), 0);
      const std::size_t expected_rows =
          static_cast<std::size_t>(
              std::count(text.begin() + static_cast<std::ptrdiff_t>(pos), text.end(), '\n')) +
          1;
      values.reserve(expected_rows * static_cast<std::size_t>(num_columns - 1));
      table.periods.reserve(expected_rows);
      line_of_row.reserve(expected_rows);
      continue;
    }

    const Index row = static_cast<Index>(table.periods.size()) + 1;  // 1-based data row
    if (static_cast<Index>(cells.cells.size()) != num_columns) {
      return MakeError(ErrorCode::kParseError,
                       LineRef(row, line_number) + ": expected " + std::to_string(num_columns) +
                           " cells like the header, found " + std::to_string(cells.cells.size()));
    }

    const std::string_view label = cells.cells[0];
    if (label.empty()) {
      return MakeError(ErrorCode::kParseError,
                       LineRef(row, line_number) + ": the period label (first cell) is empty");
    }
    if (options.require_increasing_periods) {
      if (!table.periods.empty()) {
        const std::string& previous = table.periods.back();
        const Index previous_line = line_of_row.back();
        if (label == previous) {
          return InvalidArgument(LineRef(row, line_number) + ": period " + Quoted(label) +
                                 " repeats line " + std::to_string(previous_line) +
                                 "; duplicate periods are not allowed");
        }
        if (label < std::string_view(previous)) {
          return InvalidArgument(LineRef(row, line_number) + ": period " + Quoted(label) +
                                 " comes before " + Quoted(previous) + " on line " +
                                 std::to_string(previous_line) +
                                 "; periods must be strictly increasing (oldest first), or set "
                                 "require_increasing_periods = false");
        }
      }
    } else {
      const auto [it, inserted] = line_of_period.emplace(std::string(label), line_number);
      if (!inserted) {
        return InvalidArgument(LineRef(row, line_number) + ": period " + Quoted(label) +
                               " repeats line " + std::to_string(it->second) +
                               "; duplicate periods are not allowed");
      }
    }

    for (Index c = 1; c < num_columns; ++c) {
      const std::string_view cell = cells.cells[static_cast<std::size_t>(c)];
      double value = kNaN;
      if (!IsMissingToken(cell)) {
        const CellParse parsed = ParseNumber(cell, &value);
        if (parsed != CellParse::kOk) {
          const std::string where = LineRef(row, line_number) + ", column " +
                                    Quoted(table.assets[static_cast<std::size_t>(c - 1)]) + ": ";
          return MakeError(ErrorCode::kParseError,
                           where + Quoted(cell) +
                               (parsed == CellParse::kNotFinite ? " is not a finite number"
                                : parsed == CellParse::kOutOfRange
                                    ? " is out of the range of a double"
                                    : " is not a number (missing values are empty cells or NA)"));
        }
        if (options.kind == TableKind::kPrices && !(value > 0.0)) {
          return InvalidArgument(LineRef(row, line_number) + ", column " +
                                 Quoted(table.assets[static_cast<std::size_t>(c - 1)]) +
                                 ": price " + Quoted(cell) +
                                 " is not positive; prices must be > 0");
        }
        if (options.kind == TableKind::kReturns && !(value > -1.0)) {
          return InvalidArgument(LineRef(row, line_number) + ", column " +
                                 Quoted(table.assets[static_cast<std::size_t>(c - 1)]) +
                                 ": return " + Quoted(cell) +
                                 " is <= -1; a simple return cannot lose 100 % or more");
        }
        ++present_per_asset[static_cast<std::size_t>(c - 1)];
      }
      values.push_back(value);
    }
    table.periods.emplace_back(label);
    line_of_row.push_back(line_number);
  }

  if (!have_header) {
    return MakeError(ErrorCode::kParseError,
                     "the CSV input is empty; expected a header `date,<asset 1>,...` and one row "
                     "per period");
  }
  if (table.periods.empty()) {
    return MakeError(ErrorCode::kParseError, "the CSV has a header but no data rows");
  }
  for (std::size_t a = 0; a < present_per_asset.size(); ++a) {
    if (present_per_asset[a] == 0) {
      return InvalidArgument("column " + Quoted(table.assets[a]) +
                             " has no value at all (every row is missing)");
    }
  }

  const Index rows = static_cast<Index>(table.periods.size());
  const Index cols = num_columns - 1;
  table.values =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          values.data(), rows, cols);
  return table;
}

Result<TimeSeriesTable> ReadTableCsv(const std::string& path, const CsvReadOptions& options) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return MakeError(ErrorCode::kIoError,
                     "cannot open " + Quoted(path) + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, got);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) {
    return MakeError(ErrorCode::kIoError,
                     "cannot read " + Quoted(path) + ": " + std::strerror(read_errno));
  }
  Result<TimeSeriesTable> table = ParseTableCsv(text, options);
  if (!table) {
    const Error& error = table.error();
    return MakeError(error.code(), path + ": " + error.message(), error.field());
  }
  return table;
}

namespace {

void AppendCsvText(std::string_view text, std::string* out) {
  const bool needs_quotes = text.find_first_of(",\"\n\r") != std::string_view::npos ||
                            (!text.empty() && (IsBlank(text.front()) || IsBlank(text.back())));
  if (!needs_quotes) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string FormatTableCsv(const TimeSeriesTable& table) {
  std::string out;
  out.reserve(static_cast<std::size_t>(table.values.size()) * 12 + 64);
  out += "date";
  for (const std::string& asset : table.assets) {
    out.push_back(',');
    AppendCsvText(asset, &out);
  }
  out.push_back('\n');
  char number[64];
  for (Index row = 0; row < table.values.rows(); ++row) {
    if (static_cast<std::size_t>(row) < table.periods.size()) {
      AppendCsvText(table.periods[static_cast<std::size_t>(row)], &out);
    }
    for (Index col = 0; col < table.values.cols(); ++col) {
      out.push_back(',');
      const double value = table.values(row, col);
      if (std::isnan(value)) continue;
      // Shortest text that reads back as the same double (at most 17 significant digits).
      const std::to_chars_result result = std::to_chars(number, number + sizeof number, value);
      out.append(number, result.ptr);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace pfopt
