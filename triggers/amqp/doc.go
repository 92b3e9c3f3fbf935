// Package amqptrigger is an inbound Trigger that hands each event to
// RabbitMQ (AMQP 0-9-1, github.com/rabbitmq/amqp091-go): it publishes the
// event as JSON (json.Marshal of the hooks.Event, the library's one JSON
// shape) as a persistent, mandatory message with the event ID as its
// message-id, and returns from Fire only after the broker's publisher
// confirm.
//
// It is its own Go module (github.com/inbound-hooks/inbound/triggers/amqp,
// package amqptrigger), so a host that does not use RabbitMQ does not pull
// github.com/rabbitmq/amqp091-go:
//
//	import amqptrigger "github.com/inbound-hooks/inbound/triggers/amqp"
//
// The host declares the exchange, the queues and their bindings; make the
// queues durable (or quorum queues) so that a confirmed message survives a
// broker restart.
//
// # Delivery
//
// In queue mode (hooks.NewQueue) an event is fired at least once: an
// attempt that fails or times out is retried with backoff. Fire reports as
// errors a nack, a channel or connection that closed before the confirm,
// a message returned as unroutable, a failed connect and a context that
// ended first; the next Fire after a closed channel or connection connects
// again. While the broker is unreachable every attempt fails and events
// wait in the queue; they are published when it is back.
//
// RabbitMQ does not deduplicate by message-id, so the Trigger does what it
// can in the process: a retry of an event whose publish is still awaiting
// its confirm waits for that confirm instead of publishing again, and a
// retry of an event confirmed recently (Options.Remember) is not published
// again. An attempt that times out after the broker accepted the message
// therefore leaves one copy on the queue.
//
// Each message carries the properties content-type (application/json),
// message-id (the event ID), delivery-mode 2 (persistent), timestamp (when
// the hook received the event), type (inbound.event) and app-id (inbound),
// and the headers Inbound-Hook-Id, Inbound-Hook-Kind, Inbound-Org (when
// the event has one) and Inbound-Content-Type (the content type the hook
// received).
//
// # Caveats
//
// When a channel or connection closes between a publish and its confirm,
// the broker may or may not hold the message; the retry publishes it
// again, and so do retries in another process (several replicas sharing a
// store) and after a restart. Consumers that must not see an event twice
// skip message-ids they have seen.
package amqptrigger
