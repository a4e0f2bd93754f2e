//! Compiled glob patterns with POSIX `fnmatch(3)` semantics (flags 0):
//! `*` and `?` also match `/`, `[...]` classes with ranges and `[!...]`,
//! backslash escapes. `iglob` folds ASCII case.

/// One element of a compiled glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A literal byte.
    Byte(u8),
    /// `?`: any one byte.
    Any,
    /// `*`: any run of bytes.
    Star,
    /// `[...]`: one byte in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Box<[(u8, u8)]>,
    },
}

/// A glob compiled once, matched many times without allocating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Box<[Token]>,
    fold: bool,
}

impl Glob {
    /// Compiles `pattern`; `fold` makes it match ignoring ASCII case.
    pub fn new(pattern: &str, fold: bool) -> Glob {
        let bytes = pattern.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    tokens.push(Token::Any);
                    i += 1;
                }
                b'\\' => match bytes.get(i + 1) {
                    Some(&next) => {
                        tokens.push(Token::Byte(fold_byte(next, fold)));
                        i += 2;
                    }
                    None => {
                        tokens.push(Token::Byte(b'\\'));
                        i += 1;
                    }
                },
                b'[' => match parse_class(bytes, i + 1, fold) {
                    Some((token, next)) => {
                        tokens.push(token);
                        i = next;
                    }
                    // An unclosed `[` is a literal, as in fnmatch.
                    None => {
                        tokens.push(Token::Byte(b'['));
                        i += 1;
                    }
                },
                _ => {
                    tokens.push(Token::Byte(fold_byte(b, fold)));
                    i += 1;
                }
            }
        }
        Glob {
            tokens: tokens.into_boxed_slice(),
            fold,
        }
    }

    /// `true` when `text` matches the whole pattern.
    pub fn is_match(&self, text: &[u8]) -> bool {
        // Iterative matching with one backtrack point (the last `*`): linear
        // in practice and never exponential.
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            match (self.tokens.get(p), text.get(t)) {
                (Some(Token::Star), _) => {
                    star = Some((p, t));
                    p += 1;
                }
                (Some(token), Some(&c)) if self.one(token, c) => {
                    p += 1;
                    t += 1;
                }
                (None, None) => return true,
                _ => match star {
                    Some((sp, st)) if st < text.len() => {
                        star = Some((sp, st + 1));
                        p = sp + 1;
                        t = st + 1;
                    }
                    _ => return false,
                },
            }
        }
    }

    fn one(&self, token: &Token, c: u8) -> bool {
        let c = fold_byte(c, self.fold);
        match token {
            Token::Byte(b) => *b == c,
            Token::Any => true,
            Token::Star => false,
            Token::Class { negated, ranges } => {
                let inside = ranges.iter().any(|&(lo, hi)| {
                    (lo..=hi).contains(&c)
                        || (self.fold && (lo..=hi).contains(&c.to_ascii_uppercase()))
                });
                inside != *negated
            }
        }
    }
}

fn fold_byte(b: u8, fold: bool) -> u8 {
    if fold { b.to_ascii_lowercase() } else { b }
}

/// Parses a class starting after `[`; returns the token and the index after `]`.
fn parse_class(bytes: &[u8], mut i: usize, fold: bool) -> Option<(Token, usize)> {
    let mut negated = false;
    if matches!(bytes.get(i), Some(b'!' | b'^')) {
        negated = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *bytes.get(i)?;
        if c == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        if c == b'\\' {
            i += 1;
            c = *bytes.get(i)?;
        }
        i += 1;
        let mut hi = c;
        if bytes.get(i) == Some(&b'-') && bytes.get(i + 1).is_some_and(|&n| n != b']') {
            let mut end = *bytes.get(i + 1)?;
            i += 2;
            if end == b'\\' {
                end = *bytes.get(i)?;
                i += 1;
            }
            hi = end;
        }
        let (lo, hi) = (fold_byte(c, fold), fold_byte(hi, fold));
        ranges.push((lo, hi));
    }
    Some((
        Token::Class {
            negated,
            ranges: ranges.into_boxed_slice(),
        },
        i,
    ))
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p, false).is_match(t.as_bytes())
    }

    #[test]
    fn fnmatch_semantics() {
        assert!(m("/etc/*", "/etc/a/b"));
        assert!(m("*", ""));
        assert!(m("a?c", "a/c"));
        assert!(!m("a?c", "ac"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("[!a-c]x", "dx"));
        assert!(m("[]]", "]"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("[", "["));
        assert!(m("*a*b*c", "xxaxxbxxc"));
        assert!(!m("*a*b*c", "xxaxxbxx"));
        assert!(Glob::new("*.SO", true).is_match(b"lib.so"));
        assert!(Glob::new("[A-C]", true).is_match(b"b"));
    }
}
