#include "services/common/json_parse.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#if defined(__SSE4_1__)
#include <immintrin.h>
#endif

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
  static bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  void SkipSpace() {
    while (p_ != end_ && IsSpace(*p_)) ++p_;
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
      std::vector<double>& numbers = numbers_;
      numbers.clear();
      for (;;) {
        if constexpr (kBulkNumbers) BulkNumbers(&numbers);
        SkipSpace();
        if (p_ == end_) return Error("unexpected end of input in an array, expected a value");
        if (*p_ == 'n') {
          if (!Literal("null", 4)) return false;
          numbers.push_back(std::numeric_limits<double>::quiet_NaN());
        } else if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          double value = 0.0;
          if (!DoubleNumber(&value)) return false;
          numbers.push_back(value);
        } else {
          break;  // something else: an ordinary array from here on
        }
        const Next next = AfterElement(']', "an array", "an array element");
        if (next == Next::kElement) continue;
        if (next == Next::kError) return false;
        if (numbers.size() >= options_.min_number_array) {
          *out = json::binary({}, options_.number_arrays->size());
          const std::size_t size = numbers.size();
          options_.number_arrays->push_back(std::move(numbers));
          numbers.clear();
          numbers.reserve(size);  // histories come in equal lengths
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

  // A number's text split for the exact fast path: its first 19 significant digits as an
  // integer and the power of ten that scales them.
  struct NumberParts {
    const char* start = nullptr;  // the first character ('-' or a digit)
    std::uint64_t mantissa = 0;
    int digits = 0;  // significant digits (leading zeros not counted)
    int scale = 0;   // |value| = mantissa * 10^scale while digits <= 19
    bool negative = false;
    bool integer = true;      // no fraction, no exponent
    bool exponent_ok = true;  // |exponent| < 10000 (larger ones: from_chars decides)
  };

  // Reads the number at p_ (RFC 8259 grammar: no '+', no leading zeros, digits after '.' and
  // after the exponent's sign) and leaves p_ after it. Inlined into its two callers (a call
  // and the parts passed through memory cost ~5 % of reading a document of numbers).
  [[gnu::always_inline]] bool ScanNumber(NumberParts* number) {
    const char* p = p_;
    const char* const end = end_;
    number->start = p;
    number->negative = *p == '-';
    if (number->negative) ++p;
    if (p == end) {
      p_ = p;
      return Error("a number needs digits");
    }
    std::uint64_t mantissa = 0;
    int digits = 0, scale = 0;
    if (*p == '0') {
      ++p;
    } else if (*p >= '1' && *p <= '9') {
      while (p != end && *p >= '0' && *p <= '9') {
        if (digits < 19) mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
        ++digits;
        ++p;
      }
      if (digits > 19) scale = digits - 19;
    } else {
      p_ = p;
      return Error("a number needs digits");
    }
    if (p != end && *p == '.') {
      number->integer = false;
      ++p;
      if (p == end || *p < '0' || *p > '9') {
        p_ = p;
        return Error("a digit must follow '.'");
      }
      if (mantissa == 0) {
        while (p != end && *p == '0') {  // leading zeros of 0.000123
          --scale;
          ++p;
        }
      }
      while (p != end && *p >= '0' && *p <= '9') {
        if (digits < 19) {
          mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
          --scale;
        }
        ++digits;
        ++p;
      }
    }
    if (p != end && (*p == 'e' || *p == 'E')) {
      number->integer = false;
      ++p;
      bool negative_exponent = false;
      if (p != end && (*p == '+' || *p == '-')) negative_exponent = *p++ == '-';
      if (p == end || *p < '0' || *p > '9') {
        p_ = p;
        return Error("a digit must follow the exponent");
      }
      int exponent = 0;
      while (p != end && *p >= '0' && *p <= '9') {
        if (exponent < 10000) exponent = exponent * 10 + (*p - '0');
        ++p;
      }
      if (exponent >= 10000) number->exponent_ok = false;
      scale += negative_exponent ? -exponent : exponent;
    }
    p_ = p;
    number->mantissa = mantissa;
    number->digits = digits;
    number->scale = scale;
    return true;
  }

  // The double that std::from_chars gives for the number just scanned (its text ends at p_);
  // values too small for a double are 0 or subnormal (as strtod gives them), too large ones
  // are an error.
  [[gnu::always_inline]] bool ToDouble(const NumberParts& number, double* out) {
    if (number.exponent_ok && number.digits <= 19) {
      // Clinger's fast path: an integer below 2^53 times or divided by an exact power of ten
      // (<= 1e22) is one correctly rounded IEEE operation, hence what from_chars gives.
      if (number.mantissa <= (std::uint64_t{1} << 53) && number.scale >= -22 &&
          number.scale <= 22) {
        static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        double value = static_cast<double>(number.mantissa);
        value = number.scale < 0 ? value / kPowers[-number.scale] : value * kPowers[number.scale];
        *out = number.negative ? -value : value;
        return true;
      }
      // A whole number of up to 19 digits: the conversion of the integer is correctly rounded.
      if (number.scale == 0) {
        const double value = static_cast<double>(number.mantissa);
        *out = number.negative ? -value : value;
        return true;
      }
    }
    return FromChars(number, out);
  }

  // ToDouble's general case (kept apart so that the fast paths are inlined where they are
  // used).
  bool FromChars(const NumberParts& number, double* out) {
    double value = 0.0;
    const auto [end, ec] = std::from_chars(number.start, p_, value);
    if (ec == std::errc::result_out_of_range) {
      // Underflow is a tiny number (0 or subnormal); overflow is an error.
      const std::string copy(number.start, p_);
      value = std::strtod(copy.c_str(), nullptr);
      if (std::isinf(value)) {
        p_ = number.start;
        return Error("number " + copy + " is too large for a double");
      }
    } else if (ec != std::errc() || end != p_) {
      p_ = number.start;
      return Error("invalid number");
    }
    *out = value;
    return true;
  }

  // A number read as a double (the elements of number arrays).
  bool DoubleNumber(double* out) {
    NumberParts number;
    return ScanNumber(&number) && ToDouble(number, out);
  }

#if defined(__SSE4_1__)
  static constexpr bool kBulkNumbers = true;

  // Reads the elements of a number array that are followed by ',' for as long as they have the
  // common form of history values (ShortNumber) and appends them to `numbers`; stops with p_ at
  // the first element that is not such a number (or the last one, followed by ']'), for the
  // element loop. Elements are found first (the commas of 64-byte blocks as bit masks) and
  // read after, so that reading one number does not wait for the previous one's end: with
  // one number after the other, every step waited for the last one's length.
  void BulkNumbers(std::vector<double>* numbers) {
    const char* start = p_;  // of the element being read
    // Loads reach 64 bytes past a block (and 17 past an element's start, in the block).
    for (const char* block = p_; end_ - block >= 64 + 32; block += 64) {
      std::uint64_t commas = 0;
      for (int part = 0; part < 4; ++part) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * part));
        const auto mask =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(','))));
        commas |= static_cast<std::uint64_t>(mask) << (16 * part);
      }
      while (commas != 0) {
        const char* comma = block + std::countr_zero(commas);
        commas &= commas - 1;
        while (start != comma && IsSpace(*start)) ++start;  // as in "[1, 2, 3]"
        double value = 0.0;
        if (!ShortNumber(start, static_cast<std::size_t>(comma - start), &value)) {
          p_ = start;
          return;
        }
        numbers->push_back(value);
        start = comma + 1;
      }
    }
    p_ = start;
  }

  // The `length` characters at p (17 bytes readable from p) when they are exactly a number
  // -?(0|[1-9][0-9]*)(.[0-9]+)? of at most 16 characters after the sign (no exponent), which it
  // converts exactly (Clinger: an integer below 2^53 divided by an exact power of ten <= 1e14),
  // as from_chars would. False for anything else: the element loop then reads it, or reports it.
  static bool ShortNumber(const char* p, std::size_t length, double* out) {
    if (length == 0 || length > 17) return false;
    const bool negative = *p == '-';
    const char* q = negative ? p + 1 : p;  // the digits (and dot)
    const auto n = static_cast<unsigned>(length - (negative ? 1 : 0));
    if (n == 0 || n > 16) return false;
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    // A byte is a digit iff (byte - '0') as unsigned is at most 9.
    const __m128i values = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
    const __m128i nine = _mm_set1_epi8(9);
    const auto digits =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(values, nine), nine)));
    // Digits, or digits '.' digits.
    const unsigned others = ((1U << n) - 1) & ~digits;
    unsigned dot = n;
    if (others != 0) {
      dot = static_cast<unsigned>(std::countr_zero(others));
      if ((others & (others - 1)) != 0 || q[dot] != '.' || dot == 0 || dot == n - 1) return false;
    }
    if (q[0] == '0' && dot != 1 && n > 1) return false;  // a leading zero
    // The digits, without the dot, moved to the end of a vector (zeros before them), then
    // pairs, quadruples and octets combined by multiply-adds.
    const unsigned count = dot != n ? n - 1 : n;
    const __m128i position = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i source = _mm_add_epi8(position, _mm_set1_epi8(static_cast<char>(count - 16)));
    // Past the dot: one further (a negative index stays negative: a zero).
    source =
        _mm_sub_epi8(source, _mm_cmpgt_epi8(source, _mm_set1_epi8(static_cast<char>(dot - 1))));
    const __m128i number = _mm_shuffle_epi8(values, source);
    const __m128i pairs = _mm_maddubs_epi16(
        number, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
    const __m128i quads = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
    const __m128i octets = _mm_madd_epi16(_mm_packus_epi32(quads, quads),
                                          _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
    const std::uint64_t mantissa =
        static_cast<std::uint64_t>(_mm_cvtsi128_si32(octets)) * 100000000 +
        static_cast<std::uint64_t>(_mm_extract_epi32(octets, 1));
    if (mantissa > (std::uint64_t{1} << 53)) return false;
    static constexpr double kPowers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6, 1e7,
                                         1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14};
    const unsigned decimals = dot != n ? n - dot - 1 : 0;
    const double value = static_cast<double>(mantissa) / kPowers[decimals];  // >= +0
    // The sign bit set without a branch (signs of returns are random: a branch on them is
    // mispredicted half the time).
    *out = std::bit_cast<double>(std::bit_cast<std::uint64_t>(value) |
                                 (static_cast<std::uint64_t>(negative) << 63));
    return true;
  }
#else
  static constexpr bool kBulkNumbers = false;
  void BulkNumbers(std::vector<double>*) {}
#endif

  // A number as a JSON value: whole numbers that fit 64 bits stay integers (as nlohmann keeps
  // them), the others are doubles.
  bool Number(json* out) {
    NumberParts number;
    if (!ScanNumber(&number)) return false;
    if (number.integer) {
      if (number.negative) {
        std::int64_t value = 0;
        if (std::from_chars(number.start, p_, value).ec == std::errc()) {
          *out = value;
          return true;
        }
      } else {
        std::uint64_t value = 0;
        if (std::from_chars(number.start, p_, value).ec == std::errc()) {
          *out = value;
          return true;
        }
      }
      // Too large for 64 bits: a floating-point number, as nlohmann does.
    }
    double value = 0.0;
    if (!ToDouble(number, &value)) return false;
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
  std::vector<double> numbers_;  // the number array being read (Array), sized like the last
};

// The index of the number array that `value` stands for, or `count` if it is no placeholder.
std::size_t PlaceholderIndex(const nlohmann::json& value, std::size_t count) {
  if (!value.is_binary()) return count;
  const auto& binary = value.get_binary();
  if (!binary.has_subtype() || binary.subtype() >= count) return count;
  return static_cast<std::size_t>(binary.subtype());
}

}  // namespace

const std::vector<double>* NumberArrayOf(const nlohmann::json& value,
                                         const std::vector<std::vector<double>>* number_arrays) {
  if (number_arrays == nullptr) return nullptr;
  const std::size_t index = PlaceholderIndex(value, number_arrays->size());
  return index < number_arrays->size() ? &(*number_arrays)[index] : nullptr;
}

std::vector<double>* NumberArrayOf(const nlohmann::json& value,
                                   std::vector<std::vector<double>>* number_arrays) {
  if (number_arrays == nullptr) return nullptr;
  const std::size_t index = PlaceholderIndex(value, number_arrays->size());
  return index < number_arrays->size() ? &(*number_arrays)[index] : nullptr;
}

Result<nlohmann::json> ParseJson(std::string_view text, const JsonParseOptions& options) {
  Reader reader(text, options);
  return reader.Document();
}

}  // namespace pfopt::service
