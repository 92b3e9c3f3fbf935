package store

// EnqueueNotifier is an optional interface of a QueueStore that several
// processes share (pgstore): it tells a dispatcher when events were
// enqueued or replayed anywhere, so that the dispatcher of one replica
// wakes for an event another replica accepted instead of finding it at
// its next poll. package hooks finds it with As.
type EnqueueNotifier interface {
	// NotifyEnqueued returns a channel that receives a value soon after
	// events were enqueued or replayed through any process (and whenever
	// the store may have missed such news), and a function that stops the
	// notifications. The channel holds at most one value: notifications
	// coalesce, and a slow reader never blocks the store. It is safe for
	// concurrent use; each call makes a new subscription.
	NotifyEnqueued() (<-chan struct{}, func())
}
