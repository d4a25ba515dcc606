// Internal: runs two tasks at once on the calling thread and one persistent helper thread.
//
// The helper is started on first use and kept for the life of the process; after a task it
// spins for a short while (so that back-to-back calls hand over in well under a microsecond),
// then sleeps. The calling thread runs the first task, then takes the second one itself if the
// helper has not started it yet (the helper is asleep, busy with another caller, or could not
// be started): a call never waits for the helper to wake up, and the result never depends on
// which thread ran which task.
#ifndef PFOPT_ESTIMATE_PARALLEL_PAIR_H_
#define PFOPT_ESTIMATE_PARALLEL_PAIR_H_

#include <functional>

namespace pfopt::internal {

// Runs `first` on the calling thread and `second` on the helper thread or, failing that, on
// the calling thread after `first`. Returns when both are done. The tasks must not throw.
void RunPair(const std::function<void()>& first, const std::function<void()>& second);

}  // namespace pfopt::internal

#endif  // PFOPT_ESTIMATE_PARALLEL_PAIR_H_
