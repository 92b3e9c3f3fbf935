// Package natstrigger is an inbound Trigger that hands each event to NATS
// JetStream: it publishes the event as JSON (json.Marshal of the
// hooks.Event, the library's one JSON shape) to a subject derived from the
// hook, with the event ID as Nats-Msg-Id, and returns from Fire only after
// the stream's ack.
//
// It is its own Go module (github.com/inbound-hooks/inbound/triggers/nats,
// package natstrigger), so a host that does not use NATS does not pull
// github.com/nats-io/nats.go:
//
//	import natstrigger "github.com/inbound-hooks/inbound/triggers/nats"
//
// The host creates the stream. Its subjects must capture the template's
// (the default "inbound.{kind}.{hook_id}" needs "inbound.>"), and its
// duplicate window (StreamConfig.Duplicates, 2 minutes by default) is what
// keeps a redelivered event from being stored twice.
//
// # Delivery
//
// In queue mode (hooks.NewQueue) an event is fired at least once: an
// attempt that fails or times out is retried with backoff. A retry of an
// event the stream already stored (the ack was lost, or the attempt timed
// out after the ack) carries the same Nats-Msg-Id, and JetStream acks it
// as a duplicate without storing it again, so the stream holds each event
// once. While NATS is unreachable every attempt fails and events wait in
// the queue; they are published when it is back.
//
// Each message carries the headers Content-Type (application/json),
// Nats-Msg-Id and Inbound-Event-Id (the event ID), Inbound-Hook-Id,
// Inbound-Hook-Kind, Inbound-Org (when the event has one) and
// Inbound-Content-Type (the content type the hook received).
//
// # Caveats
//
// Deduplication holds within the stream's duplicate window only. The queue
// retries with backoff up to its MaxBackoff (10 minutes by default), so a
// retry after a lost ack can come later than the default 2-minute window;
// set Duplicates to cover the retries that matter (for example 1 hour),
// or have consumers also skip event IDs they have seen.
//
// The payload includes the raw body and file contents, base64 encoded. A
// server's max_payload (1 MiB by default) must exceed the largest event:
// with the default 1 MiB body limit, raise max_payload to 8 MiB or lower
// the hooks' body limit, or such events fail every attempt and end dead.
package natstrigger
