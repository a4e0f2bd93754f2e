//! The other end of a flow, as evaluation and verdicts name it (a leaf
//! module: both use it, it uses neither).

use std::net::IpAddr;

use super::IdentityId;
use crate::policy::Entity;

/// The other end of the traffic, seen from the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerRef {
    /// An identity in the cluster.
    Identity(IdentityId),
    /// One address outside the cluster.
    Ip(IpAddr),
    /// An inclusive range of IPv4 addresses outside the cluster (each rule
    /// matches all of it or none of it).
    V4Range(u32, u32),
    /// A reserved Cilium entity (host, remote-node, ...).
    Entity(Entity),
}
