// Package signature verifies the signatures that webhook senders put on
// their requests, so that a webhook hook can accept only requests from the
// sender holding its secret.
//
// Each scheme is a [Verifier]: [StandardWebhooks] (webhook-id,
// webhook-timestamp, webhook-signature, or the same as Svix names them:
// svix-id, svix-timestamp, svix-signature), [GitHub] (X-Hub-Signature-256),
// [Stripe] (Stripe-Signature), [Shopify] (X-Shopify-Hmac-Sha256) and the
// generic [HMAC] (any header, SHA-256 or SHA-512, hex or base64, optional
// prefix). A hook stores a [Config] and builds its verifier with [New].
// Every scheme accepts several secrets at once, so a secret is rotated by
// adding the new one, moving senders over, then removing the old one.
//
// A webhook handler calls Verify with the request headers and the exact raw
// body bytes, before decoding anything, and answers 401 with [Code](err) as
// the error code when it fails. Optional interfaces add abilities:
// [DeliveryIDer] gives the sender's delivery id (an idempotency key, to use
// only after Verify passed: Standard Webhooks' webhook-id (or svix-id),
// X-GitHub-Delivery, X-Shopify-Webhook-Id, or the top-level "id" of a
// Stripe event's JSON body), [HeaderNamer] names the headers to redact in
// debug logs, and [Signer] signs a request. Each scheme also has a Sign
// function (SignStandardWebhooks, SignGitHub, ...) for tests and for hosts
// that send webhooks.
//
// # Security
//
//   - Signatures are compared with hmac.Equal (constant time), after decoding
//     the presented signature; a presented value that does not decode is
//     rejected, never a panic.
//   - The MAC is computed over the raw body bytes as received. Re-encoding a
//     parsed body would break valid signatures and could let a tampered body
//     through; never verify anything but the raw bytes.
//   - Timestamped schemes (Standard Webhooks, Stripe) reject a request whose
//     signed timestamp is further than the tolerance (default 5 minutes)
//     from the verifier's clock, in the past or the future. The signature is
//     checked first, so a stale timestamp is reported only for an authentic
//     request.
//   - Secrets never appear in errors, and are not logged by this package.
//     [Config.Redacted] hides them for display. Error messages carry header
//     names only, never presented signatures.
//   - Parsing is bounded: a signature header longer than 8 KiB is
//     malformed, only the first 32 entries of a signature list are
//     considered, and a verifier holds at most 16 secrets, so one request
//     costs at most 16 HMACs of its body.
//
// # Caveats
//
//   - GitHub, Shopify and generic HMAC signatures cover only the body: there
//     is no signed timestamp, and the delivery ids (X-GitHub-Delivery,
//     X-Shopify-Webhook-Id) are not signed. A captured request can be
//     replayed, with a fresh delivery id that defeats deduplication. Prefer
//     Standard Webhooks where the sender offers it, whose webhook-id and
//     timestamp are signed.
//   - Standard Webhooks' asymmetric v1a signatures are ignored (only v1 is
//     verified), as is Stripe's v0.
//   - Header values are read with http.Header.Get: the first value of each
//     header counts, and the header map must use canonical keys (as
//     net/http builds it).
package signature
