//! Anchors on pattern keys: `(key)`, `<(key)`, `=(key)`, `^(key)`, `X(key)`
//! and the mutate-only `+(key)`.

/// What an anchored key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorKind {
    /// `(key)`: if the key is absent or does not match, the siblings are skipped.
    Condition,
    /// `<(key)`: if the key does not match, the whole rule is skipped.
    Global,
    /// `=(key)`: the key may be absent; if present it must match.
    Equality,
    /// `^(key)`: at least one element of the list must match.
    Existence,
    /// `X(key)`: the key must be absent.
    Negation,
    /// `+(key)`: add if absent (mutate only).
    AddIfNotPresent,
}

/// An anchored key, split into its kind and the plain key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor<'a> {
    /// The kind of anchor.
    pub kind: AnchorKind,
    /// The key without the anchor.
    pub key: &'a str,
}

/// Parses `key` as an anchor (`^([+<=X^])?\((.+)\)$`); `None` for a plain key.
pub fn parse(key: &str) -> Option<Anchor<'_>> {
    let inner = key.strip_suffix(')')?;
    let (kind, rest) = match inner.as_bytes().first()? {
        b'(' => (AnchorKind::Condition, inner.get(1..)?),
        b'<' => (AnchorKind::Global, inner.strip_prefix("<(")?),
        b'=' => (AnchorKind::Equality, inner.strip_prefix("=(")?),
        b'^' => (AnchorKind::Existence, inner.strip_prefix("^(")?),
        b'X' => (AnchorKind::Negation, inner.strip_prefix("X(")?),
        b'+' => (AnchorKind::AddIfNotPresent, inner.strip_prefix("+(")?),
        _ => return None,
    };
    if rest.is_empty() {
        return None;
    }
    Some(Anchor { kind, key: rest })
}

/// The key without its anchor (the key itself when it has none).
pub fn plain_key(key: &str) -> &str {
    parse(key).map_or(key, |a| a.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_parse() {
        assert_eq!(parse("(name)").unwrap().kind, AnchorKind::Condition);
        assert_eq!(parse("<(image)").unwrap().key, "image");
        assert_eq!(parse("X(hostPath)").unwrap().kind, AnchorKind::Negation);
        assert_eq!(parse("=(spec)").unwrap().kind, AnchorKind::Equality);
        assert_eq!(parse("^(containers)").unwrap().kind, AnchorKind::Existence);
        assert!(parse("name").is_none());
        assert!(parse("()").is_none());
        assert_eq!(plain_key("=(labels)"), "labels");
    }
}
