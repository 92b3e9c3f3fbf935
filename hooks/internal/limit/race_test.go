//go:build race

package limit

// racePoolDrops is what the race detector adds to TestReadUnsizedAllocs's
// count: sync.Pool drops a quarter of what is put back, and each dropped
// buffer is grown again from 512 bytes (about a dozen appends for 48 KiB, a quarter of the time).
const racePoolDrops = 6
