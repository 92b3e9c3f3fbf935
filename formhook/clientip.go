package formhook

import (
	"net"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how many X-Forwarded-For entries are examined,
// from the right.
const maxForwardedHops = 32

// clientIP returns the address of the client that sent a request: the
// peer address (remoteAddr), unless the peer is a trusted proxy, in which
// case X-Forwarded-For (all its lines, in order) is walked from the right,
// skipping trusted proxies, and the first untrusted address is the client.
// When every entry is trusted the left-most is the client. An entry that
// does not parse ends the walk at the last trusted address. Without trusted
// proxies X-Forwarded-For is ignored.
//
// A peer that is not an IP address (a Unix socket) counts as a trusted
// proxy when trusted is not empty. The result is invalid (the zero Addr)
// only when remoteAddr is not an IP address and nothing else is known.
func clientIP(remoteAddr string, xff []string, trusted []netip.Prefix) netip.Addr {
	peer, ok := parseHost(remoteAddr)
	if len(trusted) == 0 {
		return peer
	}
	if ok && !isTrusted(peer, trusted) {
		return peer
	}
	client := peer
	hops := 0
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for line != "" {
			if hops >= maxForwardedHops {
				return client
			}
			hops++
			var entry string
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				entry, line = line[j+1:], line[:j]
			} else {
				entry, line = line, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, ok := parseHost(entry)
			if !ok {
				return client
			}
			client = a
			if !isTrusted(a, trusted) {
				return a
			}
		}
	}
	return client
}

// parseHost parses an IP address with an optional port ("192.0.2.1",
// "192.0.2.1:80", "[2001:db8::1]:80", "2001:db8::1"), dropping any zone and
// unmapping IPv4-mapped IPv6 addresses.
func parseHost(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseTrusted parses CIDR prefixes ("10.0.0.0/8") and single addresses
// ("192.0.2.7", meaning /32 or /128).
func parseTrusted(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// limitKey is the rate-limit key of a client address: the address for
// IPv4, its /64 network for IPv6 (one subscriber usually holds a whole
// /64 and can pick any address in it).
func limitKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}
