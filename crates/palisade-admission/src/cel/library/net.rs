//! Kubernetes' IP and CIDR libraries (`ip.go`, `cidr.go` of
//! `k8s.io/apiserver/pkg/cel/library`): `ip(s)`, `isIP(s)`,
//! `ip.isCanonical(s)`, and on an IP `family`, `isUnspecified`,
//! `isLoopback`, `isLinkLocalMulticast`, `isLinkLocalUnicast`,
//! `isGlobalUnicast`; `cidr(s)`, `isCIDR(s)`, and on a CIDR `containsIP`,
//! `containsCIDR` (each with an address/prefix or a string), `ip`,
//! `masked`, `prefixLength`; `string(...)` of both.
//!
//! As the API server (Go's `netip`): IPv4 with leading zeros, IPv4-mapped
//! IPv6 addresses and zones are refused; parsing is std's, prefixes
//! `ipnet`'s.

use std::net::{IpAddr, Ipv6Addr};

use cel_core::{CelType, FunctionDecl, OverloadDecl, Value};
use ipnet::IpNet;

use super::opaque::{Kind, arg, cel_type, constructor, member, predicate, wrap};
use super::{declare, fail, string_arg};

/// `net.IP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(IpAddr);

impl Kind for Ip {
    const NAME: &'static str = "net.IP";
}

/// `net.CIDR`: the prefix as written (`192.168.0.1/24` keeps its address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Kind for Cidr {
    const NAME: &'static str = "net.CIDR";
}

fn is_mapped(address: &IpAddr) -> bool {
    matches!(address, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
}

/// Parses an address as the API server does.
fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let address: IpAddr = text.parse().map_err(|_| {
        format!(
            "IP Address \"{text}\" parse error during conversion from string: not an IP address"
        )
    })?;
    if is_mapped(&address) {
        return Err(format!(
            "IPv4-mapped IPv6 address \"{text}\" is not allowed"
        ));
    }
    Ok(address)
}

/// Parses a prefix as the API server does.
fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let error = || {
        format!(
            "network address parse error during conversion from string: \"{text}\" is not a CIDR"
        )
    };
    let (address, bits) = text.split_once('/').ok_or_else(error)?;
    // `ipnet` accepts a prefix length with leading zeros or a sign; Go does not.
    if bits.is_empty()
        || !bits.bytes().all(|b| b.is_ascii_digit())
        || (bits.len() > 1 && bits.starts_with('0'))
    {
        return Err(error());
    }
    let address = parse_ip(address).map_err(|_| error())?;
    let net: IpNet = text.parse().map_err(|_| error())?;
    debug_assert_eq!(net.addr(), address);
    Ok(net)
}

/// Go's `netip.Addr.IsGlobalUnicast`.
fn is_global_unicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_loopback()
                || v4.is_multicast()
                || v4.is_link_local())
        }
        IpAddr::V6(v6) => {
            !(v6.is_unspecified() || v6.is_loopback() || v6.is_multicast() || is_link_local_v6(&v6))
        }
    }
}

fn is_link_local_v6(v6: &Ipv6Addr) -> bool {
    v6.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80)
}

fn is_link_local_multicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.octets().starts_with(&[224, 0, 0]),
        IpAddr::V6(v6) => v6.segments().first().is_some_and(|s| s & 0xff0f == 0xff02),
    }
}

fn ip_arg(args: &[Value], i: usize) -> Option<IpAddr> {
    arg::<Ip>(args, i).map(|ip| ip.0)
}

fn cidr_arg(args: &[Value], i: usize) -> Option<IpNet> {
    arg::<Cidr>(args, i).map(|c| c.0)
}

/// `ip.<name>()`.
fn ip_method(name: &'static str, result: CelType, f: fn(IpAddr) -> Value) -> FunctionDecl {
    member::<Ip>(name, &format!("ip_{name}"), result, move |ip| f(ip.0))
}

/// `cidr.<name>()`.
fn cidr_method(name: &'static str, result: CelType, f: fn(IpNet) -> Value) -> FunctionDecl {
    member::<Cidr>(name, &format!("cidr_{name}"), result, move |net| f(net.0))
}

impl Ip {
    fn parse(text: &str) -> Result<Ip, String> {
        parse_ip(text).map(Ip)
    }
}

impl Cidr {
    fn parse(text: &str) -> Result<Cidr, String> {
        parse_cidr(text).map(Cidr)
    }
}

/// `cidr.<name>(x)` with `x` a `T` or a string `T::parse` reads.
fn contains<T: Kind + Copy>(
    name: &'static str,
    parse: fn(&str) -> Result<T, String>,
    test: fn(&IpNet, T) -> bool,
) -> FunctionDecl {
    let run = move |args: &[Value]| {
        let Some(net) = cidr_arg(args, 0) else {
            return fail(format!("{name}: expected a CIDR"));
        };
        let other = match (arg::<T>(args, 1), string_arg(args, 1)) {
            (Some(x), _) => Ok(*x),
            (None, Some(s)) => parse(s),
            (None, None) => Err(format!("{name}: expected an argument")),
        };
        other.map_or_else(fail, |x| Value::Bool(test(&net, x)))
    };
    let overload = |suffix: &str, kind: CelType| {
        let id = format!("cidr_{name}_{suffix}");
        OverloadDecl::method(id, vec![cel_type::<Cidr>(), kind], CelType::Bool).with_impl(run)
    };
    FunctionDecl::new(name)
        .with_overload(overload("typed", cel_type::<T>()))
        .with_overload(overload("string", CelType::String))
}

/// The functions of the library, and the `string` conversion of IPs and CIDRs.
pub fn functions() -> Vec<FunctionDecl> {
    vec![
        constructor("ip", "string_to_ip", Ip::parse),
        predicate("isIP", "is_ip_string", Ip::parse),
        declare(
            "ip.isCanonical",
            OverloadDecl::function(
                "ip_is_canonical_string",
                vec![CelType::String],
                CelType::Bool,
            ),
            |args| match string_arg(args, 0).map(|s| (s, parse_ip(s))) {
                Some((s, Ok(ip))) => Value::Bool(ip.to_string() == s),
                Some((_, Err(e))) => fail(e),
                None => fail("ip.isCanonical: expected a string".into()),
            },
        ),
        ip_method("family", CelType::Int, |ip| {
            Value::Int(if ip.is_ipv4() { 4 } else { 6 })
        }),
        ip_method("isUnspecified", CelType::Bool, |ip| {
            Value::Bool(ip.is_unspecified())
        }),
        ip_method("isLoopback", CelType::Bool, |ip| {
            Value::Bool(ip.is_loopback())
        }),
        ip_method("isLinkLocalMulticast", CelType::Bool, |ip| {
            Value::Bool(is_link_local_multicast(ip))
        }),
        ip_method("isLinkLocalUnicast", CelType::Bool, |ip| {
            Value::Bool(match ip {
                IpAddr::V4(v4) => v4.is_link_local(),
                IpAddr::V6(v6) => is_link_local_v6(&v6),
            })
        }),
        ip_method("isGlobalUnicast", CelType::Bool, |ip| {
            Value::Bool(is_global_unicast(ip))
        }),
        constructor("cidr", "string_to_cidr", Cidr::parse),
        predicate("isCIDR", "is_cidr_string", Cidr::parse),
        contains::<Ip>("containsIP", Ip::parse, |net, ip| net.contains(&ip.0)),
        contains::<Cidr>("containsCIDR", Cidr::parse, |net, c| net.contains(&c.0)),
        cidr_method("ip", cel_type::<Ip>(), |net| wrap(Ip(net.addr()))),
        cidr_method("masked", cel_type::<Cidr>(), |net| wrap(Cidr(net.trunc()))),
        cidr_method("prefixLength", CelType::Int, |net| {
            Value::Int(i64::from(net.prefix_len()))
        }),
    ]
}

/// The text of an IP or CIDR value, for `string(...)`.
pub fn to_string(value: &[Value]) -> Option<String> {
    ip_arg(value, 0)
        .map(|ip| ip.to_string())
        .or_else(|| cidr_arg(value, 0).map(|net| net.to_string()))
}
