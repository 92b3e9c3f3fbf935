//go:build !race

package hooks

// racePoolDrops: see race_test.go.
const racePoolDrops = 0
