// Package webhook receives webhooks: server-to-server posts to
// {base}/hooks/web/{token}, authenticated with an API key.
//
// A Handler resolves the token, checks `Authorization: Bearer <key>`
// against the Keyring (the key must hold hooks.RoleHooks and belong to the
// hook's org), reads the body under the pipeline's limit, decodes JSON,
// application/x-www-form-urlencoded or multipart/form-data with
// hooks.DecodeBody, and hands the event to the pipeline's Delivery. The
// Idempotency-Key (or webhook-id) header becomes Event.IdempotencyKey.
//
// Answers: 202 {"id":"<event id>"}; 401 with WWW-Authenticate: Bearer for
// a missing or invalid key; 403 for a key without the role or of another
// org; 404 for an unknown, disabled or rotated token, or a token of
// another kind; 503 with Retry-After when the key store or the Trigger
// fails. Errors are JSON (see hooks.WriteError).
//
// # Security
//
// Keys are compared in constant time and never logged; the Authorization
// header is redacted in events and debug entries. The key is checked
// before the body is read, so an unauthenticated sender learns nothing of
// the limits and costs no decoding.
//
// # Caveats
//
// Signature verification (hooks.Settings.Auth "signature" and "both") is
// not available in this version: a hook configured for it refuses every
// post with 401 signature_invalid rather than accept unverified data.
package webhook
