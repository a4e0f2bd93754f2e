//! Checks with their operands prepared once: hash sets, substring finders,
//! compiled globs and regexes, path-prefix tries, parsed numbers and
//! networks. [`Check::eval`] tests one event without allocating (a
//! transformer writes into the caller's scratch buffers).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use memchr::memmem::Finder;
use regex::Regex;

use super::glob::Glob;
use crate::event::{Event, Value};
use crate::fields::FieldRef;

/// An ordering comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A field transformer applied to a value before the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Xform {
    /// ASCII lower case.
    ToLower,
    /// ASCII upper case.
    ToUpper,
    /// The part after the last `/`.
    Basename,
    /// Base64 decoding (absent when the text is not base64).
    B64,
    /// The length in bytes (a number).
    Len,
}

impl Xform {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Xform::ToLower => "tolower",
            Xform::ToUpper => "toupper",
            Xform::Basename => "basename",
            Xform::B64 => "b64",
            Xform::Len => "len",
        }
    }
}

/// Where a check's value comes from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The field read.
    pub field: FieldRef,
    /// Its name as written (for listings).
    pub name: Box<str>,
    /// Transformers, innermost first.
    pub xforms: Box<[Xform]>,
}

/// A set of strings: a bitmap of the lengths present rejects most values
/// at once; small sets are then scanned, large ones hashed.
#[derive(Debug, Clone)]
pub struct StrSet {
    /// Bit `n` set when an item has length `n` (bit 63: length >= 63).
    lengths: u64,
    items: StrItems,
}

#[derive(Debug, Clone)]
enum StrItems {
    Small(Box<[Box<[u8]>]>),
    Hashed(HashSet<Box<[u8]>, BuildHasherDefault<FastHasher>>),
}

fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

impl StrSet {
    /// A set of `items`.
    pub fn new(items: &[String]) -> StrSet {
        let lengths = items.iter().fold(0, |acc, s| acc | length_bit(s.len()));
        let items = if items.len() <= 4 {
            StrItems::Small(items.iter().map(|s| s.as_bytes().into()).collect())
        } else {
            StrItems::Hashed(items.iter().map(|s| s.as_bytes().into()).collect())
        };
        StrSet { lengths, items }
    }

    /// `true` when `value` is in the set.
    #[inline]
    pub fn contains(&self, value: &[u8]) -> bool {
        if self.lengths & length_bit(value.len()) == 0 {
            return false;
        }
        match &self.items {
            StrItems::Small(items) => items.iter().any(|i| **i == *value),
            StrItems::Hashed(set) => set.contains(value),
        }
    }

    /// The entries.
    pub fn items(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match &self.items {
            StrItems::Small(items) => Box::new(items.iter().map(|i| &**i)),
            StrItems::Hashed(set) => Box::new(set.iter().map(|i| &**i)),
        }
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        match &self.items {
            StrItems::Small(items) => items.len(),
            StrItems::Hashed(set) => set.len(),
        }
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fast non-cryptographic hasher for the fixed string sets of conditions
/// (the sets come from rules files; event values are only looked up, so
/// flooding is not a concern).
#[derive(Debug, Clone, Copy, Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            if let Some(dst) = word.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        self.0 = h;
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Path prefixes by components, for `pmatch`: a trie over the `/`-separated
/// non-empty components of each entry.
#[derive(Debug, Clone, Default)]
pub struct PathSet {
    nodes: Vec<PathNode>,
}

#[derive(Debug, Clone, Default)]
struct PathNode {
    terminal: bool,
    children: Vec<(Box<[u8]>, u32)>,
}

impl PathSet {
    /// The trie of `entries`.
    pub fn new(entries: &[String]) -> PathSet {
        let mut set = PathSet {
            nodes: vec![PathNode::default()],
        };
        for entry in entries {
            let mut node = 0usize;
            for comp in entry
                .as_bytes()
                .split(|&b| b == b'/')
                .filter(|c| !c.is_empty())
            {
                let found = set.nodes.get(node).and_then(|n| {
                    n.children
                        .iter()
                        .find(|(c, _)| **c == *comp)
                        .map(|&(_, i)| i)
                });
                node = match found {
                    Some(i) => i as usize,
                    None => {
                        let i = set.nodes.len();
                        set.nodes.push(PathNode::default());
                        if let Some(n) = set.nodes.get_mut(node) {
                            n.children
                                .push((comp.into(), u32::try_from(i).unwrap_or(u32::MAX)));
                        }
                        i
                    }
                };
            }
            if let Some(n) = set.nodes.get_mut(node) {
                n.terminal = true;
            }
        }
        set
    }

    /// `true` when some entry's components are a prefix of `path`'s.
    pub fn matches(&self, path: &[u8]) -> bool {
        let mut node = match self.nodes.first() {
            Some(n) => n,
            None => return false,
        };
        if node.terminal {
            return true;
        }
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            let next = node.children.iter().find(|(c, _)| **c == *comp);
            match next.and_then(|&(_, i)| self.nodes.get(i as usize)) {
                Some(n) if n.terminal => return true,
                Some(n) => node = n,
                None => return false,
            }
        }
        false
    }
}

/// The test a check applies to each present value.
#[derive(Debug, Clone)]
pub enum Pred {
    /// The value is present (a list: non-empty).
    Exists,
    /// The per-value negation of a test (`!=`): on a list, true when one
    /// element fails the inner test.
    Negated(Box<Pred>),
    /// One of the tests holds (`oneof`/`anyof` modifiers).
    Any(Box<[Pred]>),
    /// Every test holds (`allof`).
    All(Box<[Pred]>),
    /// Byte equality.
    StrEq(Box<[u8]>),
    /// Lexicographic ordering.
    StrCmp(CmpOp, Box<[u8]>),
    /// Membership.
    StrIn(StrSet),
    /// Substring.
    Contains(Box<Finder<'static>>),
    /// Substring ignoring ASCII case.
    IContains(AhoCorasick, Box<str>),
    /// Prefix.
    StartsWith(Box<[u8]>),
    /// Suffix.
    EndsWith(Box<[u8]>),
    /// `glob` / `iglob`.
    Glob(Glob, Box<str>),
    /// `regex` (unanchored).
    Regex(Regex),
    /// Path prefix by components.
    PMatch(PathSet, Box<[String]>),
    /// Numeric comparison.
    Num(CmpOp, i128),
    /// Numeric membership.
    NumIn(Box<[i128]>),
    /// Boolean equality.
    Bool(bool),
    /// Address inside one of the networks (a plain address is a host network).
    IpIn(Box<[IpNet]>),
    /// Comparison with another field of the same event (`val(field)`,
    /// or a transformer over fields on the right-hand side).
    Val(CmpOp, Box<Source>),
}

/// A compiled check: a source and a test.
#[derive(Debug, Clone)]
pub struct Check {
    /// Where the value comes from.
    pub source: Source,
    /// The test.
    pub pred: Pred,
    /// The check as written, canonical form (for listings).
    pub text: Box<str>,
}

/// Per-thread buffers for transformers (two per side of a check).
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
    c: Vec<u8>,
    d: Vec<u8>,
}

impl Check {
    /// Evaluates the check on `event`.
    #[inline]
    pub fn eval<E: Event + ?Sized>(&self, event: &E, scratch: &mut Scratch) -> bool {
        let Scratch { a, b, c, d } = scratch;
        let left = read(event, &self.source, a, b);
        if let Pred::Val(op, right) = &self.pred {
            let right = read(event, right, c, d);
            return match (left, right) {
                (_, Value::Absent | Value::Strs(_)) => false,
                (Value::Strs(items), r) => items.iter().any(|s| compare(*op, Value::Str(s), r)),
                (l, r) => compare(*op, l, r),
            };
        }
        match left {
            Value::Absent => false,
            Value::Strs(items) => match self.pred {
                Pred::Exists => !items.is_empty(),
                _ => items.iter().any(|s| self.pred.test_one(Value::Str(s))),
            },
            v => self.pred.test_one(v),
        }
    }
}

/// The value of `source` in `event`, transformed through `a`/`b` when the
/// source has transformers.
#[inline]
fn read<'v, E: Event + ?Sized>(
    event: &'v E,
    source: &Source,
    a: &'v mut Vec<u8>,
    b: &'v mut Vec<u8>,
) -> Value<'v> {
    let value = event.value(&source.field);
    if source.xforms.is_empty() {
        return value;
    }
    match transform(value, &source.xforms, a, b) {
        Transformed::Absent => Value::Absent,
        Transformed::Num(n) => Value::UInt(n),
        Transformed::InA => {
            let a: &'v Vec<u8> = a;
            bytes_value(a)
        }
        Transformed::InB => {
            let b: &'v Vec<u8> = b;
            bytes_value(b)
        }
    }
}

/// `l op r` for two present single values of comparable kinds.
fn compare(op: CmpOp, l: Value<'_>, r: Value<'_>) -> bool {
    match (as_num(&l), as_num(&r)) {
        (Some(x), Some(y)) => op.holds(x.cmp(&y)),
        _ => match (as_bytes(&l), as_bytes(&r)) {
            (Some(x), Some(y)) => op.holds(x.cmp(y)),
            _ => match (l, r, op) {
                (Value::Ip(x), Value::Ip(y), CmpOp::Eq) => x == y,
                (Value::Ip(x), Value::Ip(y), CmpOp::Ne) => x != y,
                _ => false,
            },
        },
    }
}

fn bytes_value(buf: &[u8]) -> Value<'_> {
    match std::str::from_utf8(buf) {
        Ok(s) => Value::Str(s),
        Err(_) => Value::Bytes(buf),
    }
}

enum Transformed {
    Absent,
    Num(u64),
    InA,
    InB,
}

fn transform(value: Value<'_>, xforms: &[Xform], a: &mut Vec<u8>, b: &mut Vec<u8>) -> Transformed {
    let start: &[u8] = match value {
        Value::Str(s) => s.as_bytes(),
        Value::Bytes(bytes) => bytes,
        _ => return Transformed::Absent,
    };
    a.clear();
    a.extend_from_slice(start);
    let mut in_a = true;
    for x in xforms {
        let (src, dst) = if in_a { (&*a, &mut *b) } else { (&*b, &mut *a) };
        dst.clear();
        match x {
            Xform::ToLower => dst.extend(src.iter().map(u8::to_ascii_lowercase)),
            Xform::ToUpper => dst.extend(src.iter().map(u8::to_ascii_uppercase)),
            Xform::Basename => {
                let base = src.rsplit(|&c| c == b'/').next().unwrap_or(src);
                dst.extend_from_slice(base);
            }
            Xform::B64 => {
                if !b64_decode(src, dst) {
                    return Transformed::Absent;
                }
            }
            Xform::Len => return Transformed::Num(src.len() as u64),
        }
        in_a = !in_a;
    }
    if in_a {
        Transformed::InA
    } else {
        Transformed::InB
    }
}

/// Standard base64 (padding optional); `false` on invalid input.
pub(crate) fn b64_decode(src: &[u8], dst: &mut Vec<u8>) -> bool {
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in src {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return false,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            dst.push(((acc >> bits) & 0xff) as u8);
        }
    }
    true
}

fn as_bytes<'a>(v: &Value<'a>) -> Option<&'a [u8]> {
    match *v {
        Value::Str(s) => Some(s.as_bytes()),
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

fn as_num(v: &Value<'_>) -> Option<i128> {
    match *v {
        Value::Int(i) => Some(i128::from(i)),
        Value::UInt(u) => Some(i128::from(u)),
        Value::Bool(b) => Some(i128::from(b)),
        _ => None,
    }
}

impl Pred {
    /// Tests one present, single value.
    #[inline]
    pub fn test_one(&self, v: Value<'_>) -> bool {
        match self {
            Pred::Exists => true,
            Pred::Negated(inner) => !inner.test_one(v),
            Pred::Any(ps) => ps.iter().any(|p| p.test_one(v)),
            Pred::All(ps) => ps.iter().all(|p| p.test_one(v)),
            Pred::StrEq(s) => as_bytes(&v).is_some_and(|b| b == &**s),
            Pred::StrCmp(op, s) => as_bytes(&v).is_some_and(|b| op.holds(b.cmp(s))),
            Pred::StrIn(set) => match as_bytes(&v) {
                Some(b) => set.contains(b),
                None => false,
            },
            Pred::Contains(f) => as_bytes(&v).is_some_and(|b| f.find(b).is_some()),
            Pred::IContains(ac, _) => as_bytes(&v).is_some_and(|b| ac.is_match(b)),
            Pred::StartsWith(p) => as_bytes(&v).is_some_and(|b| b.starts_with(p)),
            Pred::EndsWith(p) => as_bytes(&v).is_some_and(|b| b.ends_with(p)),
            Pred::Glob(g, _) => as_bytes(&v).is_some_and(|b| g.is_match(b)),
            Pred::Regex(r) => match v {
                Value::Str(s) => r.is_match(s),
                Value::Bytes(b) => std::str::from_utf8(b).is_ok_and(|s| r.is_match(s)),
                _ => false,
            },
            Pred::PMatch(set, _) => as_bytes(&v).is_some_and(|b| set.matches(b)),
            Pred::Num(op, n) => as_num(&v).is_some_and(|x| op.holds(x.cmp(n))),
            Pred::NumIn(ns) => as_num(&v).is_some_and(|x| ns.contains(&x)),
            Pred::Bool(b) => matches!(v, Value::Bool(x) if x == *b),
            Pred::IpIn(nets) => match v {
                Value::Ip(ip) => nets.iter().any(|n| net_contains(n, ip)),
                _ => false,
            },
            // Handled by `Check::eval`, which reads the other side.
            Pred::Val(..) => false,
        }
    }
}

/// `true` when `ip` is inside `net` (an IPv4 network never holds an IPv6
/// address).
pub fn net_contains(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNet::V4(n), IpAddr::V4(a)) => n.contains(&a),
        (IpNet::V6(n), IpAddr::V6(a)) => n.contains(&a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pmatch_by_components() {
        let set = PathSet::new(&["/etc".to_owned(), "/usr/lib/".to_owned()]);
        assert!(set.matches(b"/etc"));
        assert!(set.matches(b"/etc/passwd"));
        assert!(set.matches(b"//etc//x"));
        assert!(!set.matches(b"/etcfoo"));
        assert!(!set.matches(b"/usr"));
        assert!(set.matches(b"/usr/lib"));
        assert!(!PathSet::new(&["/et".to_owned()]).matches(b"/etc"));
        assert!(!PathSet::new(&[]).matches(b"/etc"));
    }

    #[test]
    fn base64() {
        let mut out = Vec::new();
        assert!(b64_decode(b"aGVsbG8=", &mut out));
        assert_eq!(out, b"hello");
        assert!(!b64_decode(b"*", &mut Vec::new()));
    }
}
