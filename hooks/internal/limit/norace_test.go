//go:build !race

package limit

// racePoolDrops: see race_test.go.
const racePoolDrops = 0
