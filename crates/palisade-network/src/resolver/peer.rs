//! The other end of a flow, as evaluation and verdicts name it (a leaf
//! module: both use it, it uses neither).

use std::net::IpAddr;

use super::IdentityId;
use crate::policy::Entity;

/// The other end of the traffic, seen from the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerRef<'n> {
    /// An identity in the cluster.
    Identity(IdentityId),
    /// One address outside the cluster.
    Ip(IpAddr),
    /// An inclusive range of IPv4 addresses outside the cluster (each rule
    /// matches all of it or none of it).
    V4Range(u32, u32),
    /// A reserved Cilium entity (host, remote-node, ...).
    Entity(Entity),
    /// A domain name (or a `*` pattern) outside the cluster, whatever
    /// addresses it resolves to: `toFQDNs` and `domainNames` peers that
    /// cover it match it, and so do peers that hold every IPv4 address;
    /// narrower IP blocks are taken not to hold it.
    Domain(&'n str),
    /// One address outside the cluster with the DNS names it was resolved
    /// from (an observed flow's): `toFQDNs` and `domainNames` peers match
    /// it when they cover one of the names, IP blocks when they hold it.
    Named(IpAddr, &'n [String]),
}
