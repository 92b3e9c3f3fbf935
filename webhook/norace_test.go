//go:build !race

package webhook

// raceAllocsSlack is 0 without the race detector (see race_test.go).
const raceAllocsSlack = 0
