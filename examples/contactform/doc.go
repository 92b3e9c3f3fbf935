// Package contactform is an example: a static contact page whose HTML form
// posts to a form hook, and the thank-you page the hook redirects the
// browser to.
//
// The page is a real multipart/form-data form with text fields (name,
// email, message), a checkbox group (topics[], which reaches the Trigger
// as an array), a file input (an Event.Files entry with name, size and
// SHA-256), and a honeypot field hidden with CSS. It needs no JavaScript.
//
// Wiring, with a registry reg, a form hook hook and the form hook handler
// mounted at /hooks/form/:
//
//	page, _ := contactform.New(contactform.Options{Action: reg.Address(hook)})
//	settings := page.Settings("http://localhost:8080") // the public base URL
//	reg.Update(ctx, "", hook.ID, hooks.HookUpdate{Settings: &settings})
//	mux.Handle(contactform.DefaultPrefix, page)
//
// A browser then opens /contact/, submits, and lands on /contact/thanks
// through the form hook's 303.
//
// # Security
//
// The pages are served with a Content-Security-Policy that allows no
// script and lets the form post only to the page's own origin and the form
// hook's. The hook's address is public by design; protect the hook with
// the formhook rate limit and, if spam gets through the honeypot, a
// CaptchaVerifier.
package contactform
