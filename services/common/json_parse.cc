#include "services/common/json_parse.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace pfopt::service {

namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(std::string_view text, const JsonParseOptions& options)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), options_(options) {}

  Result<json> Document() {
    json value;
    SkipSpace();
    if (p_ == end_) return Fail("the document is empty");
    if (!Value(&value, 0)) return Failure();
    SkipSpace();
    if (p_ != end_) return Fail("unexpected text after the JSON value");
    return value;
  }

 private:
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Error(const std::string& what) {
    if (error_.empty()) {
      int line = 1, column = 1;
      for (const char* q = begin_; q < p_ && q < end_; ++q) {
        if (*q == '\n') {
          ++line;
          column = 1;
        } else {
          ++column;
        }
      }
      error_ = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
    }
    return false;
  }
  tl::unexpected<pfopt::Error> Fail(const std::string& what) {
    Error(what);
    return Failure();
  }
  tl::unexpected<pfopt::Error> Failure() const { return MakeError(ErrorCode::kParseError, error_); }

  bool Literal(const char* word, std::size_t length) {
    if (static_cast<std::size_t>(end_ - p_) < length || std::string_view(p_, length) != word) {
      return Error(
          "invalid literal (expected a value: object, array, string, number, true, "
          "false or null)");
    }
    p_ += length;
    return true;
  }

  bool Value(json* out, int depth) {
    if (p_ == end_) return Error("unexpected end of input, expected a value");
    switch (*p_) {
      case '{':
        return Object(out, depth + 1);
      case '[':
        return Array(out, depth + 1);
      case '"': {
        std::string s;
        if (!String(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't':
        if (!Literal("true", 4)) return false;
        *out = true;
        return true;
      case 'f':
        if (!Literal("false", 5)) return false;
        *out = false;
        return true;
      case 'n':
        if (!Literal("null", 4)) return false;
        *out = nullptr;
        return true;
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return Number(out);
        if (*p_ == 'N' || *p_ == 'I') {
          return Error("NaN and Infinity are not JSON numbers (use null for a missing value)");
        }
        return Error(std::string("unexpected character '") + *p_ + "', expected a value");
    }
  }

  bool Object(json* out, int depth) {
    if (depth > options_.max_depth) return Error("nesting deeper than the limit");
    ++p_;  // '{'
    *out = json::object();
    auto& object = out->get_ref<json::object_t&>();
    SkipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (p_ == end_ || *p_ != '"') return Error("expected a string key in the object");
      const char* key_start = p_;
      std::string key;
      if (!String(&key)) return false;
      SkipSpace();
      if (p_ == end_ || *p_ != ':') return Error("expected ':' after the key");
      ++p_;
      SkipSpace();
      auto [it, inserted] = object.try_emplace(std::move(key));
      if (!inserted) {
        p_ = key_start;
        return Error("duplicate key '" + it->first + "' in an object");
      }
      if (!Value(&it->second, depth)) return false;
      const Next next = AfterElement('}', "an object", "an object member");
      if (next != Next::kElement) return next == Next::kClosed;
    }
  }

  // After an element of an array or object: ',' (another element follows) or the closing
  // bracket (consumed); anything else, or the end of the input, is an error.
  enum class Next { kElement, kClosed, kError };
  Next AfterElement(char close, const char* container, const char* element) {
    SkipSpace();
    if (p_ == end_) {
      Error(std::string("unexpected end of input in ") + container + ", expected ',' or '" + close +
            "'");
      return Next::kError;
    }
    if (*p_ == ',' || *p_ == close) return *p_++ == ',' ? Next::kElement : Next::kClosed;
    Error(std::string("expected ',' or '") + close + "' after " + element);
    return Next::kError;
  }

  bool Array(json* out, int depth) {
    if (depth > options_.max_depth) return Error("nesting deeper than the limit");
    ++p_;  // '['
    *out = json::array();
    auto& array = out->get_ref<json::array_t&>();
    SkipSpace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    if (options_.number_arrays != nullptr) {
      // Numbers (and nulls) go to a plain vector while the array holds nothing else.
      std::vector<double> numbers;
      json number;
      for (;;) {
        SkipSpace();
        if (p_ == end_) return Error("unexpected end of input in an array, expected a value");
        if (*p_ == 'n') {
          if (!Literal("null", 4)) return false;
          numbers.push_back(std::numeric_limits<double>::quiet_NaN());
        } else if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          if (!Number(&number)) return false;
          numbers.push_back(number.get<double>());
        } else {
          break;  // something else: an ordinary array from here on
        }
        const Next next = AfterElement(']', "an array", "an array element");
        if (next == Next::kElement) continue;
        if (next == Next::kError) return false;
        if (numbers.size() >= options_.min_number_array) {
          *out = json::binary({}, options_.number_arrays->size());
          options_.number_arrays->push_back(std::move(numbers));
        } else {
          for (double x : numbers) array.push_back(std::isnan(x) ? json(nullptr) : json(x));
        }
        return true;
      }
      for (double x : numbers) array.push_back(std::isnan(x) ? json(nullptr) : json(x));
    }
    for (;;) {
      SkipSpace();
      array.emplace_back();
      if (!Value(&array.back(), depth)) return false;
      const Next next = AfterElement(']', "an array", "an array element");
      if (next != Next::kElement) return next == Next::kClosed;
    }
  }

  bool Number(json* out) {
    const char* start = p_;
    bool integer = true;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_) return Error("a number needs digits");
    // Significant digits as an integer (while they fit) and the decimal exponent, for the
    // exact fast path below.
    std::uint64_t mantissa = 0;
    int digits = 0, scale = 0;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        if (digits < 19) mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p_ - '0');
        ++digits;
        ++p_;
      }
    } else {
      return Error("a number needs digits");
    }
    if (digits > 19) scale = digits - 19;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return Error("a digit must follow '.'");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        if (mantissa != 0 || *p_ != '0') {
          if (digits < 19) {
            mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p_ - '0');
            --scale;
          }
          ++digits;
        } else {
          --scale;  // leading zeros of 0.000123
        }
        ++p_;
      }
    }
    bool exponent_ok = true;
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      bool negative_exponent = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) negative_exponent = *p_++ == '-';
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return Error("a digit must follow the exponent");
      int exponent = 0;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        if (exponent < 10000) exponent = exponent * 10 + (*p_ - '0');
        ++p_;
      }
      if (exponent >= 10000) exponent_ok = false;
      scale += negative_exponent ? -exponent : exponent;
    }
    // Clinger's fast path: an integer below 2^53 times or divided by an exact power of ten
    // (<= 1e22) is one correctly rounded IEEE operation, hence exact as from_chars would be.
    if (!integer && exponent_ok && digits <= 19 && mantissa <= (std::uint64_t{1} << 53) &&
        scale >= -22 && scale <= 22) {
      static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
      double value = static_cast<double>(mantissa);
      value = scale < 0 ? value / kPowers[-scale] : value * kPowers[scale];
      *out = negative ? -value : value;
      return true;
    }
    if (integer) {
      if (*start == '-') {
        std::int64_t value = 0;
        if (std::from_chars(start, p_, value).ec == std::errc()) {
          *out = value;
          return true;
        }
      } else {
        std::uint64_t value = 0;
        if (std::from_chars(start, p_, value).ec == std::errc()) {
          *out = value;
          return true;
        }
      }
      // Too large for 64 bits: a floating-point number, as nlohmann does.
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(start, p_, value);
    if (ec == std::errc::result_out_of_range) {
      // Underflow is a tiny number (0 or subnormal); overflow is an error.
      const std::string copy(start, p_);
      value = std::strtod(copy.c_str(), nullptr);
      if (std::isinf(value)) {
        p_ = start;
        return Error("number " + copy + " is too large for a double");
      }
    } else if (ec != std::errc() || end != p_) {
      p_ = start;
      return Error("invalid number");
    }
    *out = value;
    return true;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(unsigned* code) {
    if (end_ - p_ < 4) return Error("\\u needs 4 hexadecimal digits");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = Hex(p_[i]);
      if (h < 0) return Error("\\u needs 4 hexadecimal digits");
      value = value * 16 + static_cast<unsigned>(h);
    }
    p_ += 4;
    *code = value;
    return true;
  }

  static void AppendUtf8(std::string* out, unsigned code) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (code >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  // Length of the valid UTF-8 sequence at p_ (>= 2 bytes), or 0.
  std::size_t Utf8Length() const {
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    const std::size_t left = static_cast<std::size_t>(end_ - p_);
    auto cont = [&](std::size_t i) { return i < left && (u[i] & 0xC0) == 0x80; };
    if (u[0] >= 0xC2 && u[0] <= 0xDF) return cont(1) ? 2 : 0;
    if (u[0] >= 0xE0 && u[0] <= 0xEF) {
      if (!cont(1) || !cont(2)) return 0;
      if (u[0] == 0xE0 && u[1] < 0xA0) return 0;   // overlong
      if (u[0] == 0xED && u[1] >= 0xA0) return 0;  // surrogates
      return 3;
    }
    if (u[0] >= 0xF0 && u[0] <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return 0;
      if (u[0] == 0xF0 && u[1] < 0x90) return 0;   // overlong
      if (u[0] == 0xF4 && u[1] >= 0x90) return 0;  // above U+10FFFF
      return 4;
    }
    return 0;
  }

  bool String(std::string* out) {
    ++p_;  // '"'
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20 &&
             static_cast<unsigned char>(*p_) < 0x80) {
        ++p_;
      }
      out->append(run, p_);
      if (p_ == end_) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Error("control character in a string (escape it)");
      if (c >= 0x80) {
        const std::size_t length = Utf8Length();
        if (length == 0) return Error("invalid UTF-8 in a string");
        out->append(p_, length);
        p_ += length;
        continue;
      }
      // Escape.
      ++p_;
      if (p_ == end_) return Error("unterminated escape");
      const char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          unsigned code = 0;
          if (!Hex4(&code)) return false;
          if (code >= 0xD800 && code <= 0xDBFF) {
            unsigned low = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
              return Error("a high surrogate must be followed by a low surrogate");
            }
            p_ += 2;
            if (!Hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return Error("invalid low surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Error("a low surrogate without a high surrogate");
          }
          AppendUtf8(out, code);
          break;
        }
        default:
          --p_;
          return Error(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  JsonParseOptions options_;
  std::string error_;
};

}  // namespace

const std::vector<double>* NumberArrayOf(const nlohmann::json& value,
                                         const std::vector<std::vector<double>>* number_arrays) {
  if (number_arrays == nullptr || !value.is_binary()) return nullptr;
  const auto& binary = value.get_binary();
  if (!binary.has_subtype() || binary.subtype() >= number_arrays->size()) return nullptr;
  return &(*number_arrays)[static_cast<std::size_t>(binary.subtype())];
}

Result<nlohmann::json> ParseJson(std::string_view text, const JsonParseOptions& options) {
  Reader reader(text, options);
  return reader.Document();
}

}  // namespace pfopt::service
