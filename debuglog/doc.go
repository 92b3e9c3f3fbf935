// Package debuglog keeps, for each hook whose debug setting is on, the most
// recent interactions with it (10 by default), newest first, so that an
// admin can see what a sender posted and what the hook answered.
//
// A *Log is the hooks.Recorder a host passes to hooks.PipelineOptions. The
// pipeline calls Record only for hooks with Debug on, for accepted and
// rejected requests alike (bad key, bad payload, too large, trigger
// failure, honeypot). Each interaction becomes an Entry: time, remote
// address, method, path, status, outcome and reason, redacted headers, the
// body capped at Options.MaxBody with a truncation mark and its original
// size, the decoded data, the event ID, the trigger's error and the
// duration. Entries are kept in a store.DebugStore; Entries and Entry read
// them back for the admin API (package admin).
//
// # Debug off
//
// Turning a hook's debug setting off stops recording at once: the pipeline
// no longer calls Record for it, so a debug-off hook costs nothing. The
// entries already recorded stay, and can still be viewed, until newer
// entries push them out (only the newest Keep are kept), the hook is
// deleted (its entries go with it), or Clear removes them.
//
// # Best effort
//
// Record never blocks the request and never fails it. It puts the
// interaction on a bounded queue (Options.Buffer) that one background
// goroutine writes to the store. When the queue is full, when the store
// returns an error, or after Close, the entry is dropped and Dropped
// counts it. Flush waits until what was recorded before it is written;
// Close drains the queue and stops the goroutine.
//
// # Security
//
// Headers are redacted with hooks.RedactHeader (Authorization, Cookie,
// API-key and signature headers, and any header whose name suggests a
// secret) when the entry is built, even though the pipeline has already
// redacted them. At most 16 KiB of them are kept (see hooks.Event.Header),
// the smallest values first; HeadersDropped and HeaderBytesDropped say
// what was left out.
//
// Body fields and data members with secret-like names (password, token,
// secret, api_key, card number, cvv, ssn...; Options.RedactFields) are
// redacted too: their values become "[redacted]" in the recorded data
// and in the recorded body of a JSON, URL-encoded or multipart form
// request, whose other bytes are kept as received (the text fields of a
// multipart form are redacted, its files are kept). Data captured as a
// hook's example data from an entry is so redacted too. Other bodies (XML,
// text, email) are kept as received, up to MaxBody, and a JSON body that
// does not parse is redacted only up to its first error: a payload that
// carries secrets elsewhere keeps them in the debug log, which is why
// debug is off by default and meant to be switched on while a hook is
// being set up. The Trigger always gets the event as it came. Entries may
// hold attacker-controlled text: render them as text, never as HTML.
//
// # Caveats
//
// A body that is not valid UTF-8 is kept base64-encoded (Entry.Encoding is
// "base64"); a UTF-8 body cut at MaxBody is cut at a character boundary.
// Decoded data larger than Options.MaxData is left out (DataOmitted).
package debuglog
