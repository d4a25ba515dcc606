#include "apps/pfopt/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace pfopt::cli {

namespace {

constexpr double kLeft = 80, kRight = 190, kTop = 44, kBottom = 56;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Fixed(double value, int decimals = 1) {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

// The plot area and the mapping from (x index, y value) to pixels.
struct Frame {
  double width, height, x0, x1, y0, y1;  // pixels of the plot area
  Index count;                           // x positions
  double low, high;                      // y range (log10 units on a log scale)
  bool log_scale;

  double X(Index i) const {
    return count <= 1 ? x0
                      : x0 + (x1 - x0) * static_cast<double>(i) / static_cast<double>(count - 1);
  }
  double Y(double value) const {
    const double v = log_scale ? std::log10(value) : value;
    return y1 - (y1 - y0) * (v - low) / (high - low);
  }
};

// Ticks at 1, 2 or 5 x 10^k covering [low, high].
std::vector<double> NiceTicks(double low, double high, int target) {
  const double span = high - low;
  const double raw = span / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + 1e-9 * span; t += step) {
    ticks.push_back(std::abs(t) < 1e-12 * span ? 0.0 : t);
  }
  return ticks;
}

std::string TickLabel(double value, bool percent) {
  char buffer[48];
  if (percent) {
    const double p = 100.0 * value;
    std::snprintf(buffer, sizeof(buffer), std::abs(p - std::round(p)) < 1e-9 ? "%.0f%%" : "%.1f%%",
                  p);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%g", value);
  }
  return buffer;
}

std::string Header(const ChartOptions& o) {
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(o.width) +
         "\" height=\"" + std::to_string(o.height) + "\" viewBox=\"0 0 " + std::to_string(o.width) +
         " " + std::to_string(o.height) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + Fixed(o.width / 2.0) +
         "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" + Escape(o.title) + "</text>\n";
  return svg;
}

// Axes, grid, tick labels and the y-axis title.
std::string Axes(const Frame& f, const std::vector<std::string>& x_labels, const ChartOptions& o) {
  std::string svg = "<g stroke=\"#dddddd\" stroke-width=\"1\">\n";
  std::vector<double> ticks;
  if (f.log_scale) {
    for (double e = std::floor(f.low); e <= std::ceil(f.high); e += 1.0) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = std::log10(m) + e;
        if (v >= f.low - 1e-12 && v <= f.high + 1e-12 && (f.high - f.low < 3.0 || m == 1.0)) {
          ticks.push_back(std::pow(10.0, v));
        }
      }
    }
  } else {
    ticks = NiceTicks(f.low, f.high, 6);
  }
  std::string labels;
  for (double t : ticks) {
    const double y = f.Y(t);
    svg += "<line x1=\"" + Fixed(f.x0) + "\" x2=\"" + Fixed(f.x1) + "\" y1=\"" + Fixed(y) +
           "\" y2=\"" + Fixed(y) + "\"/>\n";
    labels += "<text x=\"" + Fixed(f.x0 - 6) + "\" y=\"" + Fixed(y + 4) +
              "\" text-anchor=\"end\">" + Escape(TickLabel(t, o.percent)) + "</text>\n";
  }
  svg += "</g>\n" + labels;
  const Index count = f.count;
  const int x_ticks = count > 1 ? static_cast<int>(std::min<Index>(7, count - 1)) : 0;
  for (int k = 0; k <= x_ticks; ++k) {
    const Index i = x_ticks == 0 ? 0 : (count - 1) * k / x_ticks;
    const double x = f.X(i);
    svg += "<line x1=\"" + Fixed(x) + "\" x2=\"" + Fixed(x) + "\" y1=\"" + Fixed(f.y1) +
           "\" y2=\"" + Fixed(f.y1 + 5) + "\" stroke=\"#444444\"/>\n";
    std::string label =
        i < static_cast<Index>(x_labels.size()) ? x_labels[static_cast<std::size_t>(i)] : "";
    if (label.size() > 10) label.resize(10);
    svg += "<text x=\"" + Fixed(x) + "\" y=\"" + Fixed(f.y1 + 20) + "\" text-anchor=\"middle\">" +
           Escape(label) + "</text>\n";
  }
  svg += "<rect x=\"" + Fixed(f.x0) + "\" y=\"" + Fixed(f.y0) + "\" width=\"" + Fixed(f.x1 - f.x0) +
         "\" height=\"" + Fixed(f.y1 - f.y0) + "\" fill=\"none\" stroke=\"#444444\"/>\n";
  const double mid = (f.y0 + f.y1) / 2.0;
  svg += "<text x=\"18\" y=\"" + Fixed(mid) +
         "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " + Fixed(mid) + ")\">" +
         Escape(o.y_label) + "</text>\n";
  return svg;
}

std::string Legend(const std::vector<ChartSeries>& series, const Frame& f, bool filled) {
  std::string svg;
  const std::size_t rows = static_cast<std::size_t>(std::max(1.0, (f.y1 - f.y0) / 18.0));
  const std::size_t shown = series.size() > rows ? rows - 1 : series.size();
  for (std::size_t s = 0; s < shown; ++s) {
    const double y = f.y0 + 8 + 18.0 * static_cast<double>(s);
    const std::string color = ChartColor(s);
    if (filled) {
      svg += "<rect x=\"" + Fixed(f.x1 + 12) + "\" y=\"" + Fixed(y - 6) +
             "\" width=\"12\" height=\"12\" fill=\"" + color + "\"/>\n";
    } else {
      svg += "<line x1=\"" + Fixed(f.x1 + 10) + "\" x2=\"" + Fixed(f.x1 + 26) + "\" y1=\"" +
             Fixed(y) + "\" y2=\"" + Fixed(y) + "\" stroke=\"" + color +
             "\" stroke-width=\"3\"/>\n";
    }
    std::string name = series[s].name;
    if (name.size() > 22) name = name.substr(0, 21) + "~";
    svg += "<text x=\"" + Fixed(f.x1 + 32) + "\" y=\"" + Fixed(y + 4) + "\">" + Escape(name) +
           "</text>\n";
  }
  if (shown < series.size()) {
    const double y = f.y0 + 8 + 18.0 * static_cast<double>(shown);
    svg += "<text x=\"" + Fixed(f.x1 + 12) + "\" y=\"" + Fixed(y + 4) + "\">+" +
           std::to_string(series.size() - shown) + " more</text>\n";
  }
  return svg;
}

Frame MakeFrame(const ChartOptions& o, Index count, double low, double high, bool log_scale) {
  if (!(high > low)) {  // flat or empty data: open the range a little
    const double pad = std::abs(low) > 0 ? 0.1 * std::abs(low) : 1.0;
    low -= pad;
    high += pad;
  }
  const double margin = 0.03 * (high - low);
  return Frame{static_cast<double>(o.width),
               static_cast<double>(o.height),
               kLeft,
               o.width - kRight,
               kTop,
               o.height - kBottom,
               count,
               low - margin,
               high + margin,
               log_scale};
}

}  // namespace

std::string ChartColor(std::size_t i) {
  // Hues a golden angle apart, alternating two lightness levels: neighbours differ clearly.
  const double hue = std::fmod(210.0 + 137.508 * static_cast<double>(i), 360.0);
  const double saturation = 0.62, lightness = i % 2 == 0 ? 0.45 : 0.60;
  const double c = (1.0 - std::abs(2.0 * lightness - 1.0)) * saturation;
  const double h = hue / 60.0;
  const double x = c * (1.0 - std::abs(std::fmod(h, 2.0) - 1.0));
  double r = 0, g = 0, b = 0;
  if (h < 1) {
    r = c, g = x;
  } else if (h < 2) {
    r = x, g = c;
  } else if (h < 3) {
    g = c, b = x;
  } else if (h < 4) {
    g = x, b = c;
  } else if (h < 5) {
    r = x, b = c;
  } else {
    r = c, b = x;
  }
  const double m = lightness - c / 2.0;
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "#%02x%02x%02x",
                static_cast<int>(std::lround(255.0 * (r + m))),
                static_cast<int>(std::lround(255.0 * (g + m))),
                static_cast<int>(std::lround(255.0 * (b + m))));
  return buffer;
}

std::string LineChartSvg(const std::vector<std::string>& x_labels,
                         const std::vector<ChartSeries>& series, const ChartOptions& options) {
  const Index count = static_cast<Index>(x_labels.size());
  double low = kInfinity, high = -kInfinity;
  for (const ChartSeries& s : series) {
    for (Index i = 0; i < s.values.size(); ++i) {
      double v = s.values[i];
      if (!std::isfinite(v) || (options.log_scale && v <= 0.0)) continue;
      if (options.log_scale) v = std::log10(v);
      low = std::min(low, v);
      high = std::max(high, v);
    }
  }
  if (!std::isfinite(low)) low = high = 0.0;  // no data: MakeFrame opens a range
  const Frame f = MakeFrame(options, count, low, high, options.log_scale);
  std::string svg = Header(options) + Axes(f, x_labels, options);
  const Index buckets = std::max<Index>(1, options.max_points / 2);
  for (std::size_t s = 0; s < series.size(); ++s) {
    const Vector& v = series[s].values;
    std::string points;
    auto add = [&](Index i) {
      if (!std::isfinite(v[i]) || (options.log_scale && v[i] <= 0.0)) return;
      points += Fixed(f.X(i)) + "," + Fixed(f.Y(v[i])) + " ";
    };
    const Index n = std::min<Index>(v.size(), count);
    if (n <= 2 * buckets) {
      for (Index i = 0; i < n; ++i) add(i);
    } else {
      for (Index b = 0; b < buckets; ++b) {
        const Index first = n * b / buckets, last = n * (b + 1) / buckets;
        Index lo = first, hi = first;
        for (Index i = first; i < last; ++i) {
          if (v[i] < v[lo]) lo = i;
          if (v[i] > v[hi]) hi = i;
        }
        add(std::min(lo, hi));
        if (lo != hi) add(std::max(lo, hi));
      }
      add(n - 1);
    }
    svg += "<polyline fill=\"none\" stroke=\"" + ChartColor(s) +
           "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"" + points + "\"/>\n";
  }
  svg += Legend(series, f, /*filled=*/false);
  svg += "</svg>\n";
  return svg;
}

std::string StackedAreaSvg(const std::vector<std::string>& x_labels,
                           const std::vector<ChartSeries>& layers, const ChartOptions& options) {
  const Index count = static_cast<Index>(x_labels.size());
  const Index stride = std::max<Index>(1, (count + options.max_points - 1) / options.max_points);
  std::vector<Index> xs;
  for (Index i = 0; i < count; i += stride) xs.push_back(i);
  if (count > 0 && xs.back() != count - 1) xs.push_back(count - 1);
  // Cumulative tops of the positive and bottoms of the negative parts.
  std::vector<Vector> upper, lower;
  Vector pos = Vector::Zero(static_cast<Index>(xs.size()));
  Vector neg = Vector::Zero(static_cast<Index>(xs.size()));
  double low = 0.0, high = 1.0;
  for (const ChartSeries& layer : layers) {
    Vector top(pos.size()), bottom(pos.size());
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const Index i = xs[k];
      const double v =
          i < layer.values.size() && std::isfinite(layer.values[i]) ? layer.values[i] : 0.0;
      const Index kk = static_cast<Index>(k);
      if (v >= 0.0) {
        bottom[kk] = pos[kk];
        pos[kk] += v;
        top[kk] = pos[kk];
      } else {
        top[kk] = neg[kk];
        neg[kk] += v;
        bottom[kk] = neg[kk];
      }
    }
    upper.push_back(top);
    lower.push_back(bottom);
    high = std::max(high, pos.maxCoeff());
    low = std::min(low, neg.minCoeff());
  }
  const Frame f = MakeFrame(options, count, low, high, false);
  std::string svg = Header(options) + Axes(f, x_labels, options);
  for (std::size_t s = 0; s < layers.size(); ++s) {
    std::string points;
    for (std::size_t k = 0; k < xs.size(); ++k) {
      points += Fixed(f.X(xs[k])) + "," + Fixed(f.Y(upper[s][static_cast<Index>(k)])) + " ";
    }
    for (std::size_t k = xs.size(); k-- > 0;) {
      points += Fixed(f.X(xs[k])) + "," + Fixed(f.Y(lower[s][static_cast<Index>(k)])) + " ";
    }
    svg += "<polygon fill=\"" + ChartColor(s) + "\" stroke=\"none\" points=\"" + points + "\"/>\n";
  }
  svg += Legend(layers, f, /*filled=*/true);
  svg += "</svg>\n";
  return svg;
}

}  // namespace pfopt::cli
