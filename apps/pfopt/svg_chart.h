// Self-contained SVG charts for reports (pfopt backtest): line charts (linear or log scale) and
// stacked area charts over a labelled x axis. The files open in any browser; they need no
// script, font or stylesheet beyond the SVG itself.
#ifndef PFOPT_APPS_PFOPT_SVG_CHART_H_
#define PFOPT_APPS_PFOPT_SVG_CHART_H_

#include <string>
#include <vector>

#include "pfopt/core/types.h"

namespace pfopt::cli {

struct ChartSeries {
  std::string name;
  Vector values;  // one per x label; NaN = no value
};

struct ChartOptions {
  std::string title;
  std::string y_label;
  bool log_scale = false;  // line charts: log10 y axis (values must be > 0)
  bool percent = false;    // y tick labels as percentages
  int width = 960;         // pixels
  int height = 480;
  // Long series are thinned to about this many x positions (line charts keep each bucket's
  // minimum and maximum, so peaks and troughs survive).
  int max_points = 800;
};

// One line per series.
std::string LineChartSvg(const std::vector<std::string>& x_labels,
                         const std::vector<ChartSeries>& series, const ChartOptions& options);

// Layers stacked upwards from 0 (positive values) and downwards (negative values), e.g. the
// weights of a portfolio over time.
std::string StackedAreaSvg(const std::vector<std::string>& x_labels,
                           const std::vector<ChartSeries>& layers, const ChartOptions& options);

// The i-th colour of the charts' palette (as "#rrggbb").
std::string ChartColor(std::size_t i);

}  // namespace pfopt::cli

#endif  // PFOPT_APPS_PFOPT_SVG_CHART_H_
