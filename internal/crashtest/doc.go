// Package crashtest checks the promise of queue mode: an event answered
// with a 2xx is never lost, even when the server is killed with SIGKILL.
//
// Its test builds the small server in the server subdirectory (boltstore,
// hooks.Queue, formhook, and a Trigger that appends each delivered event ID
// to a file with O_APPEND and fsync), starts it as a subprocess, sends
// events from concurrent clients, kills it mid-stream, restarts it on the
// same data file, and checks that every event that got a 2xx reaches the
// Trigger. Duplicates (at-least-once delivery) are counted and logged.
//
// The test needs the go command to build the server; it is skipped with
// -short.
package crashtest
