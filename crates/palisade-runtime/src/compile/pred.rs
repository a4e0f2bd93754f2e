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
    /// A transformer over several inputs (`join`, `concat`, `getopt`)
    /// giving the value instead of `field`, before `xforms`.
    pub combine: Option<Box<Combine>>,
}

impl Source {
    /// `true` when the value is the field's own, untransformed.
    pub fn is_plain(&self) -> bool {
        self.xforms.is_empty() && self.combine.is_none()
    }

    /// `true` when the value is a list of strings (`getopt(...)` without
    /// an option selector).
    pub fn is_list(&self) -> bool {
        matches!(
            self.combine.as_deref(),
            Some(Combine::Getopt { select: None, .. })
        )
    }
}

/// Most nested multi-input transformers one check may hold (each level
/// uses three scratch buffers of the matcher).
pub const MAX_COMBINE_DEPTH: usize = 8;

const POOL: usize = 3 * MAX_COMBINE_DEPTH;

/// A transformer over several inputs, as in libsinsp.
#[derive(Debug, Clone)]
pub enum Combine {
    /// `concat(a, b, ...)`: the strings one after the other (each cut at
    /// its first NUL byte); absent when one is absent.
    Concat(Box<[Part]>),
    /// `join(sep, (a, b, ...))`: the list items separated by `sep`.
    Join {
        /// The separator.
        sep: Part,
        /// The list items (numbers are rendered in decimal; a list-valued
        /// item contributes each of its values).
        items: Box<[Part]>,
    },
    /// `getopt((args...), optstring)[opt]`: short options of an argument
    /// vector parsed as getopt(3) does.
    Getopt {
        /// The argument vector.
        args: Box<[Part]>,
        /// The option string.
        optstring: Part,
        /// The selected option: its last argument (or the option itself
        /// when it takes none). Without, the list of options and arguments.
        select: Option<u8>,
    },
}

/// One input of a [`Combine`].
#[derive(Debug, Clone)]
pub enum Part {
    /// A literal.
    Lit(Box<[u8]>),
    /// A field or a transformer.
    Src(Box<Source>),
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
    /// Some test holds (`anyof`).
    Any(Box<[Pred]>),
    /// Exactly one test holds (`oneof`, as libsinsp's `matches_one_rhs`).
    One(Box<[Pred]>),
    /// Every test holds (`allof`).
    All(Box<[Pred]>),
    /// Byte equality.
    StrEq(Box<[u8]>),
    /// Lexicographic ordering.
    StrCmp(CmpOp, Box<[u8]>),
    /// Membership.
    StrIn(StrSet),
    /// `in` on a list value: every item is in the set.
    EveryIn(StrSet),
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

/// Per-thread buffers for transformers (two per side of a check, and
/// three per nesting level of multi-input transformers on each side).
/// They grow to the largest value seen and are reused: evaluating a check
/// allocates nothing once they are warm.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
    c: Vec<u8>,
    d: Vec<u8>,
    left: Pool,
    right: Pool,
}

#[derive(Debug, Default, Clone)]
struct Pool([Vec<u8>; POOL]);

impl Check {
    /// Evaluates the check on `event`.
    #[inline]
    pub fn eval<E: Event + ?Sized>(&self, event: &E, scratch: &mut Scratch) -> bool {
        let Scratch {
            a,
            b,
            c,
            d,
            left: lpool,
            right: rpool,
        } = scratch;
        if self.source.is_list() {
            return self.eval_list(event, &mut lpool.0);
        }
        let left = read(event, &self.source, a, b, &mut lpool.0);
        if let Pred::Val(op, right) = &self.pred {
            let right = read(event, right, c, d, &mut rpool.0);
            return match (left, right) {
                (_, Value::Absent | Value::Strs(_)) => false,
                (Value::Strs(items), r) => items.iter().any(|s| compare(*op, Value::Str(s), r)),
                (l, r) => compare(*op, l, r),
            };
        }
        match left {
            Value::Absent => false,
            Value::Strs(items) => match &self.pred {
                Pred::Exists => !items.is_empty(),
                Pred::EveryIn(set) => items.iter().all(|s| set.contains(s.as_bytes())),
                _ => items.iter().any(|s| self.pred.test_one(Value::Str(s))),
            },
            v => self.pred.test_one(v),
        }
    }
}

impl Check {
    /// A check on a list-valued source (`getopt` without a selector), as
    /// libsinsp compares list fields: `exists` holds when the list could be
    /// built, `in` when every item is in the set, `intersects` (and the
    /// other tests) when one item passes.
    fn eval_list<E: Event + ?Sized>(&self, event: &E, pool: &mut [Vec<u8>]) -> bool {
        let Some(Combine::Getopt {
            args,
            optstring,
            select: None,
        }) = self.source.combine.as_deref()
        else {
            return false;
        };
        let Some((out, rest)) = pool.split_first_mut() else {
            return false;
        };
        out.clear();
        if !getopt(event, args, optstring, None, out, rest) {
            return false;
        }
        let mut items = ListItems(out);
        match &self.pred {
            Pred::Exists => true,
            Pred::EveryIn(set) => items.all(|i| set.contains(i)),
            pred => items.any(|i| pred.test_one(bytes_value(i))),
        }
    }
}

/// Items stored as a 4-byte little-endian length followed by the bytes.
struct ListItems<'a>(&'a [u8]);

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        let (item, rest) = rest.split_at_checked(len)?;
        self.0 = rest;
        Some(item)
    }
}

fn push_item(out: &mut Vec<u8>, item: &[u8]) {
    out.extend_from_slice(&u32::try_from(item.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(item);
}

/// `bytes` up to its first NUL (libsinsp reads these inputs as C strings).
fn c_str(bytes: &[u8]) -> &[u8] {
    match memchr::memchr(0, bytes) {
        Some(end) => bytes.get(..end).unwrap_or(bytes),
        None => bytes,
    }
}

/// Calls `f` with each value of `part` as text (numbers in decimal, each
/// item of a list); `false` when the part is absent or not text.
fn each_value<E: Event + ?Sized>(
    event: &E,
    part: &Part,
    pool: &mut [Vec<u8>],
    f: &mut dyn FnMut(&[u8]),
) -> bool {
    let src = match part {
        Part::Lit(text) => {
            f(text);
            return true;
        }
        Part::Src(src) => src,
    };
    let Some(([a, b], rest)) = pool.split_first_chunk_mut::<2>() else {
        return false;
    };
    if src.is_list() {
        let Some((out, rest)) = rest.split_first_mut() else {
            return false;
        };
        let Some(Combine::Getopt {
            args, optstring, ..
        }) = src.combine.as_deref()
        else {
            return false;
        };
        out.clear();
        if !getopt(event, args, optstring, None, out, rest) {
            return false;
        }
        ListItems(out).for_each(&mut *f);
        return true;
    }
    let mut digits = [0u8; 24];
    match read(event, src, a, b, rest) {
        Value::Str(s) => f(s.as_bytes()),
        Value::Bytes(bytes) => f(bytes),
        Value::Int(n) => f(decimal(i128::from(n), &mut digits)),
        Value::UInt(n) => f(decimal(i128::from(n), &mut digits)),
        Value::Strs(items) => items.iter().for_each(|i| f(i.as_bytes())),
        Value::Absent | Value::Bool(_) | Value::Ip(_) => return false,
    }
    true
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(n: i128, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (m % 10) as u8;
        }
        m /= 10;
        if m == 0 || i == 1 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'-';
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// Calls `take` with the first value of `part`; `false` when absent.
fn first_value<E: Event + ?Sized>(
    event: &E,
    part: &Part,
    pool: &mut [Vec<u8>],
    mut take: impl FnMut(&[u8]),
) -> bool {
    let mut first = true;
    each_value(event, part, pool, &mut |v| {
        if first {
            take(v);
            first = false;
        }
    }) && !first
}

/// The value of `combine` into `out` (list items framed, see
/// [`ListItems`]); `false` when absent.
fn combine<E: Event + ?Sized>(
    event: &E,
    combine: &Combine,
    out: &mut Vec<u8>,
    pool: &mut [Vec<u8>],
) -> bool {
    out.clear();
    match combine {
        Combine::Concat(parts) => parts
            .iter()
            .all(|p| first_value(event, p, pool, |v| out.extend_from_slice(c_str(v)))),
        Combine::Join { sep, items } => {
            let Some((sep_buf, rest)) = pool.split_first_mut() else {
                return false;
            };
            sep_buf.clear();
            if !first_value(event, sep, rest, |v| sep_buf.extend_from_slice(v)) {
                return false;
            }
            let mut first = true;
            items.iter().all(|p| {
                each_value(event, p, rest, &mut |v| {
                    if !first {
                        out.extend_from_slice(sep_buf);
                    }
                    first = false;
                    out.extend_from_slice(c_str(v));
                })
            })
        }
        Combine::Getopt {
            args,
            optstring,
            select,
        } => getopt(event, args, optstring, *select, out, pool),
    }
}

/// getopt(3)-style parsing of the argument vector `args` with `optstring`.
/// Without `select`, pushes framed items (`?` for an unknown option, the
/// option, then its argument when it takes one); with it, writes the
/// selected option's last value and fails when it does not occur.
fn getopt<E: Event + ?Sized>(
    event: &E,
    args: &[Part],
    optstring: &Part,
    select: Option<u8>,
    out: &mut Vec<u8>,
    pool: &mut [Vec<u8>],
) -> bool {
    let Some(([opt_buf, argv], rest)) = pool.split_first_chunk_mut::<2>() else {
        return false;
    };
    opt_buf.clear();
    if !first_value(event, optstring, rest, |v| opt_buf.extend_from_slice(v)) {
        return false;
    }
    let mut valid = ByteSet::default();
    let mut takes_arg = ByteSet::default();
    let spec = opt_buf.strip_prefix(b":").unwrap_or(opt_buf);
    let mut i = 0;
    while let Some(&c) = spec.get(i) {
        if c != b':' {
            valid.insert(c);
            if spec.get(i + 1) == Some(&b':') {
                takes_arg.insert(c);
                i += 1;
            }
        }
        i += 1;
    }
    // The argument vector, framed.
    argv.clear();
    if !args
        .iter()
        .all(|p| each_value(event, p, rest, &mut |v| push_item(argv, v)))
    {
        return false;
    }
    let mut found = false;
    let mut tokens = ListItems(argv);
    while let Some(arg) = tokens.next() {
        if arg == b"--" {
            break;
        }
        if arg.len() > 2 && arg.starts_with(b"--") {
            continue;
        }
        if arg.len() < 2 || arg.first() != Some(&b'-') {
            break;
        }
        let mut j = 1;
        while let Some(&opt) = arg.get(j) {
            let name = arg.get(j..=j).unwrap_or(&[]);
            if opt == b':' || !valid.contains(opt) {
                if select.is_none() {
                    push_item(out, b"?");
                }
                j += 1;
                continue;
            }
            let selected = select.is_none_or(|s| s == opt);
            if !takes_arg.contains(opt) {
                if selected {
                    emit(out, select, name, None, &mut found);
                }
                j += 1;
                continue;
            }
            let value = match arg.get(j + 1..) {
                Some(attached) if !attached.is_empty() => Some(attached),
                _ => tokens.next(),
            };
            if selected {
                // A missing argument is an empty value (the option itself
                // is then not listed).
                match value {
                    Some(v) => emit(out, select, name, Some(v), &mut found),
                    None => emit(out, select, b"", None, &mut found),
                }
            }
            break;
        }
    }
    select.is_none() || found
}

/// A set of bytes.
#[derive(Default)]
struct ByteSet {
    lo: u128,
    hi: u128,
}

impl ByteSet {
    fn insert(&mut self, c: u8) {
        if c < 128 {
            self.lo |= 1 << c;
        } else {
            self.hi |= 1 << (c - 128);
        }
    }

    fn contains(&self, c: u8) -> bool {
        if c < 128 {
            self.lo & (1 << c) != 0
        } else {
            self.hi & (1 << (c - 128)) != 0
        }
    }
}

fn emit(
    out: &mut Vec<u8>,
    select: Option<u8>,
    name: &[u8],
    value: Option<&[u8]>,
    found: &mut bool,
) {
    if select.is_some() {
        out.clear();
        out.extend_from_slice(value.unwrap_or(name));
        *found = true;
        return;
    }
    push_item(out, name);
    if let Some(v) = value {
        push_item(out, v);
    }
}

/// The value of `source` in `event`, transformed through `a`/`b` when the
/// source has transformers (multi-input ones use `pool`).
#[inline]
fn read<'v, E: Event + ?Sized>(
    event: &'v E,
    source: &Source,
    a: &'v mut Vec<u8>,
    b: &'v mut Vec<u8>,
    pool: &'v mut [Vec<u8>],
) -> Value<'v> {
    let value = match source.combine.as_deref() {
        Some(comb) => {
            let Some((out, rest)) = pool.split_first_mut() else {
                return Value::Absent;
            };
            if !combine(event, comb, out, rest) {
                return Value::Absent;
            }
            let out: &'v Vec<u8> = out;
            bytes_value(out)
        }
        None => event.value(&source.field),
    };
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
            Pred::One(ps) => ps.iter().filter(|p| p.test_one(v)).take(2).count() == 1,
            Pred::All(ps) => ps.iter().all(|p| p.test_one(v)),
            Pred::StrEq(s) => as_bytes(&v).is_some_and(|b| b == &**s),
            Pred::StrCmp(op, s) => as_bytes(&v).is_some_and(|b| op.holds(b.cmp(s))),
            Pred::StrIn(set) | Pred::EveryIn(set) => match as_bytes(&v) {
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
