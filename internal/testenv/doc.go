// Package testenv holds what the repository's tests share about their
// environment: the rule that a test needing an outside service (PostgreSQL,
// Chromium) skips with a message without it, except under CI=true, where
// it fails; finding those services; fresh PostgreSQL schemas; a started
// headless browser; building a program to run as a subprocess;
// self-signed TLS certificates; and whether the race detector is on, for
// the allocation counts it changes (RaceSlack).
//
// It is imported by _test.go files only.
package testenv
