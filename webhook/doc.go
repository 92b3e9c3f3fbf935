// Package webhook receives webhooks: server-to-server posts to
// {base}{prefix}{token}, where prefix is where the Handler is mounted
// (Options.Prefix, "/hooks/web/" by default), authenticated with an API
// key, a signature, or both. New registers the kind "web" (KindName) with
// the pipeline's Registry, so that the addresses the Registry and the
// admin API give are the Handler's.
//
// A Handler resolves the token and authenticates the sender as the hook's
// Settings.Auth says:
//
//   - AuthKey (the default): `Authorization: Bearer <key>` checked
//     against the Keyring (the key must hold hooks.RoleHooks and belong to
//     the hook's org);
//   - AuthSignature: a valid signature of the scheme in
//     Settings.Signature, and no key;
//   - AuthKeyAndSignature: both.
//
// Each post gets its own session (hooks.Session): the signer found while
// authenticating is the one the body is verified with, looked up once.
//
// The signature configuration is a signature.Config (scheme
// "standard-webhooks", "github", "stripe", "shopify" or "hmac", and the
// active secrets). When one is configured it is verified whatever Auth
// says: AuthKey with a signature configured requires both, like
// AuthKeyAndSignature. The key is checked before the body is read, and a
// request carrying none of the scheme's signature headers is refused then
// too; the signature itself is checked on the exact raw bytes, after they
// are read under the body limit and before anything is parsed. Then the body is decoded (JSON,
// application/x-www-form-urlencoded or multipart/form-data, with
// hooks.DecodeBody) and the event handed to the pipeline's Delivery.
//
// The event's idempotency key is the scheme's delivery id (Standard
// Webhooks' webhook-id, X-GitHub-Delivery, X-Shopify-Webhook-Id), else the
// Idempotency-Key header, else webhook-id. It is read only after the
// signature passed, so a forged request carrying a genuine delivery's id
// never consumes it in the queue's deduplication window.
//
// Answers: 202 {"id":"<event id>"}; 401 for a missing or invalid key
// (WWW-Authenticate: Bearer, code "unauthorized"); 401 for a signature
// failure (WWW-Authenticate: Signature realm="webhook", scheme="<scheme>")
// with the code of signature.Code: "signature_missing",
// "signature_malformed", "signature_invalid" or
// "timestamp_out_of_tolerance"; 401 "signature_config_invalid" when the
// hook's stored configuration cannot be used; 403 for a key without the
// role or of another org; 404 for an unknown, disabled or rotated token, or
// a token of another kind; 503 with Retry-After when the key store or the
// Trigger fails. Errors are JSON (see intake.WriteError).
//
// # Security
//
// Keys are compared in constant time and never logged; signatures with
// hmac.Equal, by package webhook/signature. The Authorization header and
// every scheme's signature header (including the generic scheme's
// configured header, whatever its name) are redacted in events and debug
// entries, on rejected requests too; secrets are never logged, and an
// invalid configuration is logged without them.
//
// A stored configuration that cannot be used (unknown scheme, no secret, a
// misspelled field: unknown fields are refused) fails closed: every post
// is refused with 401 "signature_config_invalid" before its body is read,
// and the Handler logs the cause once per configuration at error level for
// the administrator. 401 rather than 503 because retrying does not help
// until an administrator acts; the distinct code tells the sender whom to
// ask. Settings.Validate runs the same checks when a hook is saved, so the
// Registry (and the admin API) refuse a bad configuration before it is
// stored; CheckSignatureConfig runs them on a bare configuration document.
//
// Parsed verifiers are cached per hook (at most Options.MaxVerifiers) and
// rebuilt when the hook's revision changes, so rotating a secret
// takes effect on the next request. Building one costs about twice the
// verification of a 1 KiB body; a cache hit is a map lookup
// (BenchmarkSignerFor).
//
// # Caveats
//
// GitHub, Shopify and generic HMAC signatures cover the body only: a
// captured request can be replayed, and their delivery ids are not signed,
// so a replay with a fresh id is not deduplicated. Standard Webhooks and
// Stripe sign a timestamp (default tolerance 5 minutes); Standard Webhooks
// also signs webhook-id, which makes the deduplication window catch
// replays inside the tolerance. Prefer Standard Webhooks where the sender
// offers it.
package webhook
