//! The DNS resolver of the outbound client: the system's resolver (`getaddrinfo` through
//! tokio), keeping only the addresses the policy allows, so a host name that resolves
//! to a private address (`localtest.me`, a DNS rebinding) is refused when the
//! connection is made — not when the URL was checked, which would leave a window.

use super::address::is_global;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;

/// Why a host name was refused: every address it resolved to is not global.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to addresses that are not global ({first})")]
pub struct Blocked {
    /// The host name.
    pub host: String,
    /// The first address refused.
    pub first: std::net::IpAddr,
}

/// Resolves with the system, keeping global addresses only (unless all are allowed).
#[derive(Clone, Copy, Debug)]
pub struct FilteringResolver {
    /// Whether non-global addresses are allowed too.
    pub allow_private_networks: bool,
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_all = self.allow_private_networks;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> =
                found.iter().copied().filter(|a| allow_all || is_global(a.ip())).collect();
            match (kept.is_empty(), found.first()) {
                (true, Some(first)) => Err(Blocked { host, first: first.ip() }.into()),
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}
