//go:build race

package hooks

// racePoolDrops is what the race detector may add to an allocation count
// that relies on a sync.Pool: under it, Pool drops a quarter of what is
// put back at random, and a dropped buffer is allocated again
// (TestMarshalJSONEmailBodyOneBuffer failed one CI run in several at 3).
const racePoolDrops = 1
