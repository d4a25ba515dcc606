#include "estimate/leading_block_covariance.h"

#include "estimate/parallel_pair.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#if defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#define PFOPT_AVX_LANES 1
#else
#define PFOPT_AVX_LANES 0
#endif

namespace pfopt::internal {
namespace {

// Rows per block: two blocks of y (the one being multiplied and the next one being written,
// 2 x 256 x 24 doubles at n = 20) and the tile accumulators (320 bytes per tile) stay in the
// L1/L2 caches, and a tile's pass over a block (64 steps) is long next to its set-up (128 and
// 512 rows measured 10 % slower on stock_prices.csv).
constexpr Index kBlockRows = 256;

// Four doubles and the operations of the kernels. With AVX and FMA: intrinsics, and Pin()
// keeps a loaded value in a register (otherwise the compiler folds the load into both
// multiply-adds that use it: 10 loads instead of 6 per step, and the loads become the bound).
#if PFOPT_AVX_LANES
using Lane = __m256d;
inline Lane Load(const double* from) { return _mm256_loadu_pd(from); }
inline void Store(Lane value, double* to) { _mm256_storeu_pd(to, value); }
inline Lane Broadcast(double value) { return _mm256_set1_pd(value); }
inline Lane Add(Lane a, Lane b) { return _mm256_add_pd(a, b); }
inline Lane Subtract(Lane a, Lane b) { return _mm256_sub_pd(a, b); }
inline Lane Divide(Lane a, Lane b) { return _mm256_div_pd(a, b); }
inline Lane Minimum(Lane a, Lane b) { return _mm256_min_pd(a, b); }
inline void MultiplyAdd(Lane a, Lane b, Lane* sum) { *sum = _mm256_fmadd_pd(a, b, *sum); }
inline void Pin(Lane* value) { asm("" : "+x"(*value)); }
#else
using Lane = Eigen::Array4d;
inline Lane Load(const double* from) { return Eigen::Map<const Lane>(from); }
inline void Store(const Lane& value, double* to) {
  Eigen::Map<Lane> out(to);
  out = value;
}
inline Lane Broadcast(double value) { return Lane::Constant(value); }
inline Lane Add(const Lane& a, const Lane& b) { return a + b; }
inline Lane Subtract(const Lane& a, const Lane& b) { return a - b; }
inline Lane Divide(const Lane& a, const Lane& b) { return a / b; }
inline Lane Minimum(const Lane& a, const Lane& b) { return a.min(b); }
inline void MultiplyAdd(const Lane& a, const Lane& b, Lane* sum) { *sum += a * b; }
inline void Pin(Lane* /*value*/) {}
#endif

// The four lanes added in a fixed order.
double LaneSum(const Lane& value) {
  double v[4];
  Store(value, v);
  return (v[0] + v[1]) + (v[2] + v[3]);
}

double LaneMinimum(const Lane& value) {
  double v[4];
  Store(value, v);
  return std::min(std::min(v[0], v[1]), std::min(v[2], v[3]));
}

// ---------------------------------------------------------------------------------------------
// Sources of the shifted values y. Step writes 4 values from `in` to `out` and adds them to
// `sum` (the prices source also keeps the smallest ratio in `smallest`), StepOne does the same
// for one value; `shift` points to the column's shift repeated 4 times. The state lives in the
// caller's local variables so that it stays in registers inside the tile kernel.

// y = x - shift from a returns matrix.
struct ReturnsSource {
  const MatrixRef& x;

  const double* Input(Index col, Index row) const { return x.col(col).data() + row; }
  static void Step(const double*& in, double*& out, Lane& sum, Lane& /*smallest*/,
                   const double* shift) {
    const Lane y = Subtract(Load(in), Load(shift));
    Store(y, out);
    sum = Add(sum, y);
    in += 4;
    out += 4;
  }
  static void StepOne(const double*& in, double*& out, double& sum, double& /*smallest*/,
                      double shift) {
    const double y = *in - shift;
    *out = y;
    sum += y;
    ++in;
    ++out;
  }
};

// y = (p(t + 1) / p(t) - 1) - shift from prices, keeping the smallest ratio (every price is
// positive if the first one is and no ratio is <= 0). A NaN ratio needs no care in `smallest`:
// it makes the sum NaN, which is rejected.
struct PriceReturnsSource {
  const MatrixRef& prices;

  const double* Input(Index col, Index row) const { return prices.col(col).data() + row; }
  static void Step(const double*& in, double*& out, Lane& sum, Lane& smallest,
                   const double* shift) {
    const Lane ratio = Divide(Load(in + 1), Load(in));
    smallest = Minimum(smallest, ratio);
    const Lane y = Subtract(Subtract(ratio, Broadcast(1.0)), Load(shift));
    Store(y, out);
    sum = Add(sum, y);
    in += 4;
    out += 4;
  }
  static void StepOne(const double*& in, double*& out, double& sum, double& smallest,
                      double shift) {
    const double ratio = in[1] / in[0];
    smallest = std::min(smallest, ratio);
    const double y = (ratio - 1.0) - shift;
    *out = y;
    sum += y;
    ++in;
    ++out;
  }
};

// ---------------------------------------------------------------------------------------------

// A tile of the Gram matrix y'y (positions in the sorted order): a 2 x 4 block, rows i, i + 1
// against columns j .. j + 3, or (i == j) the lower triangle of the diagonal block j .. j + 3;
// and the first row where any of its pairs has data.
struct Tile {
  Index i = 0;
  Index j = 0;
  Index start = 0;
  bool triangle() const { return i == j; }
};

// Accumulator lanes per tile: 8 for a 2 x 4 block, 10 for a triangle.
constexpr Index kTileLanes = 10;

// Adds rows [k0, k1) of a block (column-major, kBlockRows rows per column, k1 - k0 a multiple
// of 4) to the tile's eight 4-wide accumulators, acc[0 .. 32): (i, j .. j + 3), then
// (i + 1, j .. j + 3), calling step() once per 4 rows. The accumulators stay in registers and
// every load feeds two multiply-adds: the core's two FMA pipes are the bound (4 cycles per
// step of 8), and what step() does (a division per value for prices) overlaps with them.
template <class StepFn>
inline void AddTileRows(const double* y, Index k0, Index k1, const Tile& tile, double* acc,
                        StepFn step) {
  const double* a0 = y + tile.i * kBlockRows;
  const double* a1 = a0 + kBlockRows;
  const double* b0 = y + tile.j * kBlockRows;
  const double* b1 = b0 + kBlockRows;
  const double* b2 = b1 + kBlockRows;
  const double* b3 = b2 + kBlockRows;
  Lane c00 = Load(acc), c01 = Load(acc + 4), c02 = Load(acc + 8), c03 = Load(acc + 12);
  Lane c10 = Load(acc + 16), c11 = Load(acc + 20), c12 = Load(acc + 24), c13 = Load(acc + 28);
  for (Index k = k0; k < k1; k += 4) {
    const Lane x0 = Load(a0 + k);
    const Lane x1 = Load(a1 + k);
    Lane z = Load(b0 + k);
    Pin(&z);
    MultiplyAdd(x0, z, &c00);
    MultiplyAdd(x1, z, &c10);
    z = Load(b1 + k);
    Pin(&z);
    MultiplyAdd(x0, z, &c01);
    MultiplyAdd(x1, z, &c11);
    step();
    z = Load(b2 + k);
    Pin(&z);
    MultiplyAdd(x0, z, &c02);
    MultiplyAdd(x1, z, &c12);
    z = Load(b3 + k);
    Pin(&z);
    MultiplyAdd(x0, z, &c03);
    MultiplyAdd(x1, z, &c13);
  }
  Store(c00, acc);
  Store(c01, acc + 4);
  Store(c02, acc + 8);
  Store(c03, acc + 12);
  Store(c10, acc + 16);
  Store(c11, acc + 20);
  Store(c12, acc + 24);
  Store(c13, acc + 28);
}

void AddTile(const double* y, Index k0, Index k1, const Tile& tile, double* acc) {
  AddTileRows(y, k0, k1, tile, acc, [] {});
}

// The lower triangle of the diagonal block j .. j + 3 over rows [k0, k1): 10 multiply-adds per
// 4 loads, where two 2 x 4 tiles would spend 16 (the columns of a diagonal block usually start
// at different rows, which makes the upper pairs pure waste). acc[0 .. 40): (j, j),
// (j + 1, j .. j + 1), (j + 2, j .. j + 2), (j + 3, j .. j + 3).
void AddTriangle(const double* y, Index k0, Index k1, Index j, double* acc) {
  const double* a0 = y + j * kBlockRows;
  const double* a1 = a0 + kBlockRows;
  const double* a2 = a1 + kBlockRows;
  const double* a3 = a2 + kBlockRows;
  Lane c00 = Load(acc), c10 = Load(acc + 4), c11 = Load(acc + 8), c20 = Load(acc + 12);
  Lane c21 = Load(acc + 16), c22 = Load(acc + 20), c30 = Load(acc + 24), c31 = Load(acc + 28);
  Lane c32 = Load(acc + 32), c33 = Load(acc + 36);
  for (Index k = k0; k < k1; k += 4) {
    const Lane x0 = Load(a0 + k);
    const Lane x1 = Load(a1 + k);
    const Lane x2 = Load(a2 + k);
    const Lane x3 = Load(a3 + k);
    MultiplyAdd(x0, x0, &c00);
    MultiplyAdd(x1, x0, &c10);
    MultiplyAdd(x1, x1, &c11);
    MultiplyAdd(x2, x0, &c20);
    MultiplyAdd(x2, x1, &c21);
    MultiplyAdd(x2, x2, &c22);
    MultiplyAdd(x3, x0, &c30);
    MultiplyAdd(x3, x1, &c31);
    MultiplyAdd(x3, x2, &c32);
    MultiplyAdd(x3, x3, &c33);
  }
  Store(c00, acc);
  Store(c10, acc + 4);
  Store(c11, acc + 8);
  Store(c20, acc + 12);
  Store(c21, acc + 16);
  Store(c22, acc + 20);
  Store(c30, acc + 24);
  Store(c31, acc + 28);
  Store(c32, acc + 32);
  Store(c33, acc + 36);
}

// The piece being written: where its next group comes from and goes, its running sum and
// smallest ratio, and its column's shift (4 copies).
struct Cursor {
  const double* in = nullptr;
  double* out = nullptr;
  Lane sum{};
  Lane smallest{};
  const double* shift = nullptr;
};

template <class Source>
void AddTileWithSource(const double* y, Index k0, Index k1, const Tile& tile, double* acc,
                       Cursor* cursor) {
  const double* in = cursor->in;
  double* out = cursor->out;
  Lane sum = cursor->sum;
  Lane smallest = cursor->smallest;
  const double* shift = cursor->shift;
  AddTileRows(y, k0, k1, tile, acc, [&] { Source::Step(in, out, sum, smallest, shift); });
  cursor->in = in;
  cursor->out = out;
  cursor->sum = sum;
  cursor->smallest = smallest;
}

template <class Source>
void WriteGroups(Index groups, Cursor* cursor) {
  const double* in = cursor->in;
  double* out = cursor->out;
  Lane sum = cursor->sum;
  Lane smallest = cursor->smallest;
  const double* shift = cursor->shift;
  for (Index g = 0; g < groups; ++g) Source::Step(in, out, sum, smallest, shift);
  cursor->in = in;
  cursor->out = out;
  cursor->sum = sum;
  cursor->smallest = smallest;
}

// Rows [row, row + 4 * groups + rest) of sorted column p of the next block, to be written by
// the source to `out`.
struct Piece {
  Index p = 0;
  Index row = 0;
  Index groups = 0;
  Index rest = 0;
  double* out = nullptr;
};

// What the passes share: the columns in order of first row (zero before it), the segments
// (the rows between two consecutive distinct first rows) and the tiles.
struct Layout {
  Index rows = 0;
  Index n = 0;
  Index n_padded = 0;
  std::vector<Index> order;       // sorted position -> column
  std::vector<Index> first;       // first row of each sorted (and padding) column
  std::vector<Index> starts;      // segment starts, then `rows`
  std::vector<Index> segment_of;  // segment where each sorted column starts
  std::vector<Tile> tiles;
  Matrix shift4;  // 4 copies of each column's shift

  Index At(const std::vector<Index>& v, Index k) const { return v[static_cast<std::size_t>(k)]; }
  Index num_segments() const { return static_cast<Index>(starts.size()) - 1; }
};

Layout MakeLayout(const std::vector<Index>& first_rows, Index rows, const VectorRef& shifts) {
  Layout layout;
  const Index n = static_cast<Index>(first_rows.size());
  layout.rows = rows;
  layout.n = n;
  layout.n_padded = (n + 3) / 4 * 4;
  layout.order.resize(static_cast<std::size_t>(n));
  std::iota(layout.order.begin(), layout.order.end(), Index{0});
  std::stable_sort(layout.order.begin(), layout.order.end(), [&](Index a, Index b) {
    return first_rows[static_cast<std::size_t>(a)] < first_rows[static_cast<std::size_t>(b)];
  });
  layout.first.assign(static_cast<std::size_t>(layout.n_padded), rows);
  layout.segment_of.resize(static_cast<std::size_t>(n));
  for (Index p = 0; p < n; ++p) {
    const Index f = first_rows[static_cast<std::size_t>(layout.At(layout.order, p))];
    layout.first[static_cast<std::size_t>(p)] = f;
    if (layout.starts.empty() || layout.starts.back() != f) layout.starts.push_back(f);
    layout.segment_of[static_cast<std::size_t>(p)] = static_cast<Index>(layout.starts.size()) - 1;
  }
  layout.starts.push_back(rows);
  for (Index j = 0; j < layout.n_padded; j += 4) {
    layout.tiles.push_back({j, j, layout.At(layout.first, j)});
    for (Index i = j + 4; i < n; i += 2) {
      layout.tiles.push_back(
          {i, j, std::max(layout.At(layout.first, i), layout.At(layout.first, j))});
    }
  }
  layout.shift4 = Eigen::Vector4d::Ones() * shifts.transpose();
  return layout;
}

// The sums one pass over a range of rows accumulates: the tiles' lanes, the column sums per
// segment, and the smallest value the source kept (the smallest price ratio).
struct Sums {
  Matrix acc;
  Matrix segment_sums;
  double smallest = kInfinity;
};

// One pass over rows [range_begin, range_end), range_begin a multiple of kBlockRows from the
// first row of the earliest column. The rows are processed in blocks that stay in cache: every
// tile accumulates over the current block while the source writes the next block, one group of
// 4 values per step of the 2 x 4 kernel, so that the source's work (a division per value for
// prices) runs in the shadow of the multiply-adds (the divider and the FMA pipes are separate
// units: the pair costs ~6 cycles per step where one after the other they cost ~9). Each tile
// runs from the first row where its earliest-starting pair has data (the zeros take care of
// the pairs that start later), which skips most of the missing blocks. The summation order
// depends only on the layout and the range.
template <class Source>
Sums Pass(const Source& source, const Layout& layout, Index range_begin, Index range_end) {
  const Index n = layout.n;
  Sums sums;
  sums.acc = Matrix::Zero(4 * kTileLanes, static_cast<Index>(layout.tiles.size()));
  sums.segment_sums = Matrix::Zero(n, layout.num_segments());
  // Zero where a column has no value yet; padding columns stay zero.
  Matrix blocks[2] = {Matrix::Zero(kBlockRows, layout.n_padded),
                      Matrix::Zero(kBlockRows, layout.n_padded)};

  // The pieces of the block of rows [begin, begin + length) in `y`: for each column with
  // values there, from its first row in the block to the block's end.
  std::vector<Piece> pieces;
  const auto plan = [&](Index begin, Matrix* y) {
    pieces.clear();
    const Index length = std::min(kBlockRows, range_end - begin);
    // A last block's rows up to the next multiple of 4 enter the tiles: zero them (the
    // buffer holds an older block's values there).
    y->middleRows(length, (length + 3) / 4 * 4 - length).setZero();
    for (Index p = 0; p < n; ++p) {
      const Index row = std::max(begin, layout.At(layout.first, p));
      const Index count = begin + length - row;
      if (count > 0) {
        pieces.push_back({p, row, count / 4, count % 4, y->col(p).data() + (row - begin)});
      }
    }
  };
  // Writing the pieces: `next` is the first piece not started; `cursor` and `groups` are those
  // of the piece being written, if any.
  std::size_t next = 0;
  bool writing = false;
  Cursor cursor;
  Index groups = 0;
  Piece piece;
  // Finishes the current piece (its last rows, its sums per segment) and starts the next one
  // that still has groups of 4 to write, if any; returns whether it did.
  const auto advance = [&] {
    while (true) {
      if (writing) {
        double rest_sum = 0.0;
        double rest_smallest = kInfinity;
        const double shift = cursor.shift[0];
        for (Index r = 0; r < piece.rest; ++r) {
          Source::StepOne(cursor.in, cursor.out, rest_sum, rest_smallest, shift);
        }
        sums.smallest = std::min({sums.smallest, LaneMinimum(cursor.smallest), rest_smallest});
        const Index end = piece.row + 4 * piece.groups + piece.rest;
        Index k = layout.At(layout.segment_of, piece.p);
        while (layout.At(layout.starts, k + 1) <= piece.row) ++k;
        if (layout.At(layout.starts, k + 1) >= end) {
          sums.segment_sums(piece.p, k) += LaneSum(cursor.sum) + rest_sum;
        } else {
          // The piece spans segments (another column starts inside it): sum each part.
          for (Index row = piece.row; row < end; ++k) {
            const Index to = std::min(end, layout.At(layout.starts, k + 1));
            sums.segment_sums(piece.p, k) +=
                Eigen::Map<const Eigen::ArrayXd>(piece.out + (row - piece.row), to - row).sum();
            row = to;
          }
        }
        writing = false;
      }
      if (next == pieces.size()) return false;
      piece = pieces[next++];
      const Index col = layout.At(layout.order, piece.p);
      cursor.in = source.Input(col, piece.row);
      cursor.out = piece.out;
      cursor.sum = Broadcast(0.0);
      cursor.smallest = Broadcast(kInfinity);
      cursor.shift = layout.shift4.col(col).data();
      groups = piece.groups;
      writing = true;
      if (groups > 0) return true;
    }
  };
  const auto write_rest = [&] {
    for (bool more = writing || advance(); more; more = advance()) {
      WriteGroups<Source>(groups, &cursor);
      groups = 0;
    }
  };

  Index begin = range_begin;
  if (begin < range_end) {
    plan(begin, &blocks[0]);
    next = 0;
    write_rest();
  }
  for (int current = 0; begin < range_end; begin += kBlockRows, current ^= 1) {
    const Index length = std::min(kBlockRows, range_end - begin);
    const Index length4 = (length + 3) / 4 * 4;
    const Index end = begin + length;
    const double* y = blocks[current].data();
    if (end < range_end) {
      plan(end, &blocks[current ^ 1]);
    } else {
      pieces.clear();
    }
    next = 0;
    advance();
    for (std::size_t t = 0; t < layout.tiles.size(); ++t) {
      const Tile& tile = layout.tiles[t];
      if (tile.start >= end) continue;
      double* tile_acc = sums.acc.col(static_cast<Index>(t)).data();
      Index k = std::max<Index>(tile.start - begin, 0) / 4 * 4;
      if (tile.triangle()) {
        AddTriangle(y, k, length4, tile.j, tile_acc);
        continue;
      }
      while (writing && k < length4) {
        const Index steps = std::min((length4 - k) / 4, groups);
        AddTileWithSource<Source>(y, k, k + 4 * steps, tile, tile_acc, &cursor);
        k += 4 * steps;
        groups -= steps;
        if (groups == 0) advance();
      }
      if (k < length4) AddTile(y, k, length4, tile, tile_acc);
    }
    write_rest();
  }
  return sums;
}

// Where the rows are split in two passes: the block boundary that halves the multiply-adds
// (tile rows weighted by the tile's lanes), or the end if there are fewer than 4 blocks.
Index SplitRow(const Layout& layout) {
  const Index begin = layout.At(layout.first, 0);
  const Index num_blocks = (layout.rows - begin + kBlockRows - 1) / kBlockRows;
  if (num_blocks < 4) return layout.rows;
  std::vector<double> work(static_cast<std::size_t>(num_blocks), 0.0);
  for (const Tile& tile : layout.tiles) {
    for (Index b = 0; b < num_blocks; ++b) {
      const Index lo = std::max(begin + b * kBlockRows, tile.start);
      const Index hi = std::min(begin + (b + 1) * kBlockRows, layout.rows);
      if (hi > lo) {
        work[static_cast<std::size_t>(b)] +=
            static_cast<double>(hi - lo) * (tile.triangle() ? 10 : 8);
      }
    }
  }
  const double total = std::accumulate(work.begin(), work.end(), 0.0);
  double running = 0.0;
  for (Index b = 0; b + 1 < num_blocks; ++b) {
    running += work[static_cast<std::size_t>(b)];
    if (running >= 0.5 * total) return begin + (b + 1) * kBlockRows;
  }
  return layout.rows;
}

// The two passes (on two threads if `parallel`), their sums added in a fixed order, and the
// covariance: gram(p, q) - suffix(p) suffix(q) / m over the pair's m rows, where suffix(q) is
// the sum of y_q over the rows from p's first row on (a suffix of q's segment sums).
template <class Source>
std::optional<Matrix> Compute(const Source& source, const std::vector<Index>& first_rows,
                              Index rows, const VectorRef& shifts, bool parallel,
                              Index* max_count) {
  const Layout layout = MakeLayout(first_rows, rows, shifts);
  const Index n = layout.n;
  const Index begin = n > 0 ? layout.At(layout.first, 0) : rows;
  const Index split = n > 0 ? SplitRow(layout) : rows;
  Sums low;
  Sums high;
  const std::function<void()> low_pass = [&] { low = Pass(source, layout, begin, split); };
  const std::function<void()> high_pass = [&] { high = Pass(source, layout, split, rows); };
  if (parallel && split < rows) {
    RunPair(low_pass, high_pass);
  } else {
    low_pass();
    high_pass();
  }
  // A ratio <= 0 (the prices source) or a NaN or infinity (the sums below): not usable here.
  if (!(std::min(low.smallest, high.smallest) > 0.0)) return std::nullopt;
  const Matrix acc = low.acc + high.acc;
  const Matrix segment_sums = low.segment_sums + high.segment_sums;

  // gram(p, q), p >= q: lower triangle of y'y in sorted order.
  Matrix gram = Matrix::Zero(layout.n_padded, layout.n_padded);
  const auto lane_sum = [](const double* lane) {
    return (lane[0] + lane[1]) + (lane[2] + lane[3]);
  };
  for (std::size_t t = 0; t < layout.tiles.size(); ++t) {
    const Tile& tile = layout.tiles[t];
    const double* lanes = acc.col(static_cast<Index>(t)).data();
    if (tile.triangle()) {
      for (Index u = 0, lane = 0; u < 4; ++u) {
        for (Index v = 0; v <= u; ++v, ++lane) {
          gram(tile.j + u, tile.j + v) = lane_sum(lanes + 4 * lane);
        }
      }
      continue;
    }
    for (Index u = 0; u < 2; ++u) {
      for (Index v = 0; v < 4; ++v) {
        gram(tile.i + u, tile.j + v) = lane_sum(lanes + 16 * u + 4 * v);
      }
    }
  }
  // suffix(p, k) = sum of y_p over rows [start(k), rows).
  const Index num_segments = layout.num_segments();
  Matrix suffix = Matrix::Zero(n, num_segments);
  for (Index p = 0; p < n; ++p) {
    double running = 0.0;
    for (Index k = num_segments - 1; k >= layout.At(layout.segment_of, p); --k) {
      running += segment_sums(p, k);
      suffix(p, k) = running;
    }
    if (!std::isfinite(running)) return std::nullopt;  // a NaN or infinity in the column
  }

  Matrix cov(n, n);
  *max_count = 0;
  for (Index q = 0; q < n; ++q) {
    for (Index p = q; p < n; ++p) {
      // p >= q in sorted order, so p starts no earlier: the pair's rows are p's segment on.
      const Index k = layout.At(layout.segment_of, p);
      const Index count = rows - layout.At(layout.starts, k);
      const double c = static_cast<double>(count);
      const double value = (gram(p, q) - suffix(p, k) * suffix(q, k) / c) / (c - 1.0);
      const Index i = layout.At(layout.order, p);
      const Index j = layout.At(layout.order, q);
      cov(i, j) = value;
      cov(j, i) = value;
      *max_count = std::max(*max_count, count);
    }
  }
  return cov;
}

}  // namespace

Index FirstPresentRow(const double* values, Index rows) {
  Index row = 0;
#if PFOPT_AVX_LANES
  // 16 values per step: four ordered-compares (false for NaN) folded into one mask.
  for (; row + 16 <= rows; row += 16) {
    const __m256d a = _mm256_loadu_pd(values + row);
    const __m256d b = _mm256_loadu_pd(values + row + 4);
    const __m256d c = _mm256_loadu_pd(values + row + 8);
    const __m256d d = _mm256_loadu_pd(values + row + 12);
    const __m256d present = _mm256_or_pd(
        _mm256_or_pd(_mm256_cmp_pd(a, a, _CMP_ORD_Q), _mm256_cmp_pd(b, b, _CMP_ORD_Q)),
        _mm256_or_pd(_mm256_cmp_pd(c, c, _CMP_ORD_Q), _mm256_cmp_pd(d, d, _CMP_ORD_Q)));
    if (_mm256_movemask_pd(present) != 0) break;
  }
#else
  for (; row + 8 <= rows; row += 8) {
    bool present = false;
    for (Index k = 0; k < 8; ++k) present |= values[row + k] == values[row + k];
    if (present) break;
  }
#endif
  while (row < rows && std::isnan(values[row])) ++row;
  return row;
}

std::optional<Matrix> LeadingBlockCovarianceOfReturns(const MatrixRef& returns,
                                                      const std::vector<Index>& first_rows,
                                                      const VectorRef& shifts, Index* max_count) {
  return Compute(ReturnsSource{returns}, first_rows, returns.rows(), shifts, /*parallel=*/false,
                 max_count);
}

std::optional<Matrix> LeadingBlockCovarianceOfPriceReturns(const MatrixRef& prices,
                                                           const std::vector<Index>& first_rows,
                                                           const VectorRef& shifts, bool parallel,
                                                           Index* max_count) {
  return Compute(PriceReturnsSource{prices}, first_rows, prices.rows() - 1, shifts, parallel,
                 max_count);
}

}  // namespace pfopt::internal
