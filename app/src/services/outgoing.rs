//! Where Guichet's own outgoing HTTP requests (Discord webhooks) may go
//! (issue 20, item 7): checked when a URL is saved, and again at every
//! delivery against the addresses actually connected to.
//!
//! The rule: an `https://` URL (`http://` too when private destinations are
//! allowed, for local stand-ins), parsed with the `url` crate as the HTTP
//! client parses it, with no user name or password, whose host is, or
//! resolves only to, public addresses ([`is_public`]). Deliveries go through
//! [`client`]: its resolver resolves each name once and gives the connector
//! only addresses it has checked, so a name that answers differently between
//! the check and the connection (DNS rebinding) cannot slip through; it
//! follows no redirect and ignores proxies from the environment (a proxy
//! would connect on our behalf to an address we never checked). An IP
//! literal never reaches the resolver: [`parse`] checks it.
//!
//! `GUICHET_WEBHOOK_ALLOW_PRIVATE=1` (tests, local stand-ins) lifts the
//! address rule and allows `http://`; the other checks stay.

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// Why an outgoing URL or address is refused; its `Display` (English) is the
/// outbox row's `last_error` at delivery, [`Refusal::reason`] the field error
/// shown on `url` in the viewer's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("is not a valid URL")]
    Invalid,
    #[error("must be an https:// URL, e.g. https://discord.com/api/webhooks/<id>/<token>")]
    Scheme,
    #[error("must not contain a user name or password (user:password@ before the host)")]
    Userinfo,
    #[error("points inside the network: {0} is not a public address")]
    Inside(IpAddr),
}

impl Refusal {
    /// The field error on `url`, in the viewer's language ([`crate::i18n`]).
    pub fn reason(&self) -> String {
        match self {
            Refusal::Invalid => crate::t!(field.url_invalid).into(),
            Refusal::Scheme => crate::t!(field.https_url).into(),
            Refusal::Userinfo => crate::t!(field.url_userinfo).into(),
            Refusal::Inside(address) => crate::t!(field.url_inside, address = address.to_string()),
        }
    }
}

/// How long a save waits for the host's addresses before letting the URL
/// through unchecked (every delivery checks again).
const SAVE_RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// IPv4 ranges that are not public destinations, from IANA's IPv4
/// Special-Purpose Address Registry (RFC 6890 and its updates) plus
/// multicast (RFC 5771) and the reserved 240/4 (RFC 1112, with broadcast).
const REFUSED_V4: [Ipv4Net; 15] = [
    Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 8), // "this network", unspecified (RFC 791)
    Ipv4Net::new_assert(Ipv4Addr::new(10, 0, 0, 0), 8), // private (RFC 1918)
    Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10), // shared address space, CGNAT (RFC 6598)
    Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8), // loopback (RFC 1122)
    Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, cloud metadata (RFC 3927)
    Ipv4Net::new_assert(Ipv4Addr::new(172, 16, 0, 0), 12), // private (RFC 1918)
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments (RFC 6890)
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 2, 0), 24), // documentation, TEST-NET-1 (RFC 5737)
    Ipv4Net::new_assert(Ipv4Addr::new(192, 88, 99, 0), 24), // 6to4 relay anycast (RFC 7526)
    Ipv4Net::new_assert(Ipv4Addr::new(192, 168, 0, 0), 16), // private (RFC 1918)
    Ipv4Net::new_assert(Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking (RFC 2544)
    Ipv4Net::new_assert(Ipv4Addr::new(198, 51, 100, 0), 24), // documentation, TEST-NET-2 (RFC 5737)
    Ipv4Net::new_assert(Ipv4Addr::new(203, 0, 113, 0), 24), // documentation, TEST-NET-3 (RFC 5737)
    Ipv4Net::new_assert(Ipv4Addr::new(224, 0, 0, 0), 4), // multicast (RFC 5771)
    Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, broadcast (RFC 1112, RFC 919)
];

/// The IPv6 global unicast space (RFC 4291, IANA's allocations): everything
/// outside it (unspecified, loopback, IPv4-compatible, discard, unique local
/// fc00::/7, link-local fe80::/10, site-local, multicast ff00::/8, ...) is refused.
const GLOBAL_UNICAST_V6: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Special-purpose ranges inside the global unicast space, from IANA's IPv6
/// Special-Purpose Address Registry.
const REFUSED_V6: [Ipv6Net; 4] = [
    Ipv6Net::new_assert(Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, Teredo (RFC 2928)
    Ipv6Net::new_assert(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation (RFC 3849)
    Ipv6Net::new_assert(Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16), // 6to4, embeds any IPv4 (RFC 3056)
    Ipv6Net::new_assert(Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
];

/// NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4
/// address the translator connects to.
const NAT64_V6: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

/// Whether `address` is a public destination: not unspecified, private,
/// loopback, link-local, shared (CGNAT), unique local, multicast,
/// documentation, benchmarking or reserved. An IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`) or a NAT64 one (`64:ff9b::a.b.c.d`) is judged by the
/// IPv4 address it carries.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(address) => !REFUSED_V4.iter().any(|network| network.contains(&address)),
        IpAddr::V6(address) => {
            if let Some(mapped) = address.to_ipv4_mapped() {
                return is_public(IpAddr::V4(mapped));
            }
            if NAT64_V6.contains(&address) {
                let [.., a, b, c, d] = address.octets();
                return is_public(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));
            }
            GLOBAL_UNICAST_V6.contains(&address) && !REFUSED_V6.iter().any(|network| network.contains(&address))
        }
    }
}

/// `Ok` when `address` may be connected to: public, or anything when
/// `allow_private` is on.
///
/// Errors: [`Refusal::Inside`].
pub fn check_address(address: IpAddr, allow_private: bool) -> Result<(), Refusal> {
    if allow_private || is_public(address) { Ok(()) } else { Err(Refusal::Inside(address)) }
}

/// Parses an outgoing URL and checks what can be checked without the
/// network: the scheme (`https`, or `http` with `allow_private`), no user
/// name or password, a host, and an IP-literal host's address (including
/// the forms the `url` crate normalises, e.g. `http://0x7f.1/` is 127.0.0.1).
///
/// Errors: [`Refusal::Invalid`], [`Refusal::Scheme`], [`Refusal::Userinfo`],
/// [`Refusal::Inside`].
pub fn parse(text: &str, allow_private: bool) -> Result<Url, Refusal> {
    let url = Url::parse(text).map_err(|_| Refusal::Invalid)?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(Refusal::Scheme),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Userinfo);
    }
    match url.host() {
        None => return Err(Refusal::Invalid),
        Some(Host::Ipv4(address)) => check_address(IpAddr::V4(address), allow_private)?,
        Some(Host::Ipv6(address)) => check_address(IpAddr::V6(address), allow_private)?,
        Some(Host::Domain(_)) => {}
    }
    Ok(url)
}

/// The save-time check of a URL [`parse`] accepted: resolves a host name and
/// refuses it when any of its addresses is not public. A name that does not
/// resolve now (or within 5 s) is let through: DNS answers change anyway,
/// and every delivery checks the addresses it connects to.
///
/// Errors: [`Refusal::Inside`].
pub async fn check_resolved(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    let Some(Host::Domain(name)) = url.host() else { return Ok(()) };
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let Ok(Ok(addresses)) = tokio::time::timeout(SAVE_RESOLVE_TIMEOUT, tokio::net::lookup_host((name, port))).await
    else {
        return Ok(());
    };
    for address in addresses {
        check_address(address.ip(), false)?;
    }
    Ok(())
}

/// The resolver of [`client`]: the system's (`getaddrinfo`), refusing a name
/// when any of its addresses is not public, so that the addresses checked
/// are the addresses connected to.
#[derive(Debug, Clone, Copy)]
struct CheckedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            for address in &addresses {
                check_address(address.ip(), allow_private)?;
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for outgoing requests: `timeout` per request, no
/// redirects followed (a 3xx is the answer), no proxy, and names resolved by
/// a resolver that refuses non-public addresses unless `allow_private`.
/// Requests must still go through [`parse`], which checks IP literals (they
/// are connected to without resolution).
///
/// Errors: the TLS set-up fails.
pub fn client(timeout: Duration, allow_private: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { allow_private }))
        .build()
}

/// The [`Refusal`] behind a failed request of [`client`] (its resolver
/// refused the host's addresses), if that is why it failed.
pub fn refusal_of(error: &reqwest::Error) -> Option<&Refusal> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(refusal) = error.downcast_ref::<Refusal>() {
            return Some(refusal);
        }
        source = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_addresses_are_refused_in_every_spelling() {
        let inside = [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.0.0.2",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
        ];
        for text in inside {
            let address: IpAddr = text.parse().expect(text);
            assert!(!is_public(address), "{text} is inside");
            assert_eq!(check_address(address, false), Err(Refusal::Inside(address)));
            assert_eq!(check_address(address, true), Ok(()), "{text} with private destinations allowed");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "162.159.135.232",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "::ffff:162.159.135.232",
            "64:ff9b::808:808",
            "2606:4700::6810:85e5",
            "2a00:1450:4007:80c::200e",
        ];
        for text in public {
            assert!(is_public(text.parse().expect(text)), "{text} is public");
        }
    }

    #[test]
    fn urls_are_parsed_as_the_client_parses_them() {
        // The bypass of issue 20: the part before @ is a user name and password, the host is 127.0.0.2.
        assert_eq!(parse("http://127.0.0.1:x@127.0.0.2:3491/api/webhooks/1/t", true), Err(Refusal::Userinfo));
        assert_eq!(parse("https://discord.com@127.0.0.1/api/webhooks/1/t", false), Err(Refusal::Userinfo));
        assert_eq!(parse("https://user@discord.com/api/webhooks/1/t", false), Err(Refusal::Userinfo));
        assert_eq!(parse("http://discord.com/api/webhooks/1/t", false), Err(Refusal::Scheme));
        assert_eq!(parse("ftp://discord.com/x", true), Err(Refusal::Scheme));
        assert_eq!(parse("https://", false), Err(Refusal::Invalid));
        assert_eq!(parse("not a url", false), Err(Refusal::Invalid));
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for text in ["https://127.0.0.1/", "https://0x7f.1/", "https://2130706433/", "https://127.1:8443/"] {
            assert_eq!(parse(text, false), Err(Refusal::Inside(loopback)), "{text}");
        }
        let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().expect("address");
        assert_eq!(parse("https://[::ffff:127.0.0.1]/", false), Err(Refusal::Inside(IpAddr::V6(mapped))));
        assert!(parse("https://[::1]:3491/", true).is_ok());
        let url = parse("https://discord.com/api/webhooks/1/token", false).expect("a Discord URL");
        assert_eq!(url.host_str(), Some("discord.com"));
        assert!(parse("http://127.0.0.1:3491/api/webhooks/1/t", true).is_ok());
    }

    #[tokio::test]
    async fn a_name_is_judged_by_its_addresses() {
        // localhost resolves from /etc/hosts, without a DNS server.
        let url = parse("https://localhost:3491/api/webhooks/1/t", false).expect("parsed");
        assert!(matches!(check_resolved(&url, false).await, Err(Refusal::Inside(address)) if address.is_loopback()));
        assert_eq!(check_resolved(&url, true).await, Ok(()));
        // A name that does not resolve is left to the delivery's check.
        let url = parse("https://guichet-test.invalid/x", false).expect("parsed");
        assert_eq!(check_resolved(&url, false).await, Ok(()));
    }
}
