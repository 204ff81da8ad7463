//! Which URLs a webhook may be sent to: http or https, a host that resolves, and never
//! this server's own listener (a delivery to itself would loop through its own API, and an
//! authenticated-looking request from the server to itself is a confused-deputy risk).
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Checks the URL's form; the address check is [`points_at`].
pub fn parse(raw: &str) -> Result<reqwest::Url, String> {
    if raw.len() > 2000 {
        return Err("a webhook URL is at most 2000 characters".into());
    }
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "a webhook URL must be http or https, not {}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("a webhook URL needs a host".into());
    }
    Ok(url)
}

/// The addresses the URL's host resolves to (within five seconds).
pub async fn resolve(url: &reqwest::Url) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        Ok(Ok(addrs)) => Ok(addrs.collect()),
        Ok(Err(e)) => Err(format!("the host {host} does not resolve: {e}")),
        Err(_) => Err(format!("the host {host} did not resolve within 5 s")),
    }
}

/// Whether a connection to `target` would reach the server listening on `own`.
pub fn points_at(target: SocketAddr, own: SocketAddr) -> bool {
    if target.port() != own.port() {
        return false;
    }
    let t = canonical(target.ip());
    let o = canonical(own.ip());
    if t == o {
        return true;
    }
    // 0.0.0.0 as a destination means this host; a listener on 0.0.0.0 takes every address
    // of this host, which is any address a socket can be bound to here.
    let local = |ip: IpAddr| {
        ip.is_unspecified() || ip.is_loopback() || std::net::UdpSocket::bind((ip, 0)).is_ok()
    };
    (t.is_unspecified() && local(o)) || (o.is_unspecified() && local(t))
}

/// 169.254.0.0/16 and fe80::/10 (also spelled as IPv4-mapped IPv6).
pub fn link_local(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn link_local_addresses_are_recognised_however_spelled() {
        for ip in [
            "169.254.169.254",
            "::ffff:169.254.169.254",
            "fe80::1",
            "febf::1",
        ] {
            assert!(link_local(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.0.1", "127.0.0.1", "fec0::1", "2001:db8::1"] {
            assert!(!link_local(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_own_listener_is_recognised_however_it_is_spelled() {
        assert!(points_at(a("127.0.0.1:7878"), a("127.0.0.1:7878")));
        assert!(points_at(a("0.0.0.0:7878"), a("127.0.0.1:7878")));
        assert!(points_at(a("127.0.0.1:7878"), a("0.0.0.0:7878")));
        assert!(points_at(a("[::ffff:127.0.0.1]:7878"), a("127.0.0.1:7878")));
        assert!(points_at(a("[::1]:7878"), a("[::]:7878")));
        assert!(!points_at(a("127.0.0.1:7879"), a("127.0.0.1:7878")));
        assert!(!points_at(a("192.0.2.10:7878"), a("0.0.0.0:7878")));
    }

    #[test]
    fn only_http_and_https_with_a_host() {
        assert!(parse("https://hooks.example/x").is_ok());
        assert!(parse("ftp://hooks.example/x").is_err());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("not a url").is_err());
    }
}
