//go:build race

package webhook

// raceAllocsSlack is what the race detector adds to the allocations
// TestSyncPostAllocs counts: sync.Pool drops a quarter of what is put
// back, and the decoder's pooled state is made again.
const raceAllocsSlack = 6
