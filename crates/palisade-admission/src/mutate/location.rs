//! Gatekeeper mutator `location` paths: `spec.containers[name: *].image`,
//! `metadata.annotations."example.com/owner"`.
//!
//! A path is a list of nodes: a field of an object (a name, or a quoted
//! string when it holds dots or other signs), or the element of a keyed
//! list (`[key: value]`, `value` a name, a quoted string or the glob `*`
//! for every element that has the key).

use std::fmt;

/// One step of a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// The field of an object.
    Field(String),
    /// The element(s) of a list whose `key` field equals `value`; `None`
    /// is the glob `*`.
    Keyed {
        /// The key field (`name`).
        key: String,
        /// The value it must have; `None` for `*`.
        value: Option<String>,
    },
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Field(name) => write!(f, "{name}"),
            Node::Keyed { key, value } => {
                write!(f, "[{key}: {}]", value.as_deref().unwrap_or("*"))
            }
        }
    }
}

/// The longest location read (in bytes): longer text is refused.
const MAX_LOCATION: usize = 4096;

/// Parses a location; the error names the column (1-based) of the problem.
pub fn parse(text: &str) -> Result<Vec<Node>, String> {
    if text.len() > MAX_LOCATION {
        return Err(format!("longer than {MAX_LOCATION} bytes"));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0usize;
    let mut nodes = Vec::new();
    let err = |at: usize, what: &str| format!("column {}: {what}", at + 1);
    let skip_spaces = |at: &mut usize| {
        while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
            *at += 1;
        }
    };
    loop {
        skip_spaces(&mut at);
        let start = at;
        let field = token(&chars, &mut at).map_err(|e| err(start, &e))?;
        let Some(field) = field else {
            return Err(err(at, "expected a field name"));
        };
        nodes.push(Node::Field(field));
        skip_spaces(&mut at);
        while chars.get(at) == Some(&'[') {
            at += 1;
            skip_spaces(&mut at);
            let start = at;
            let key = token(&chars, &mut at)
                .map_err(|e| err(start, &e))?
                .ok_or_else(|| err(at, "expected the key field of a list"))?;
            skip_spaces(&mut at);
            if chars.get(at) != Some(&':') {
                return Err(err(at, "expected `:` after the list key"));
            }
            at += 1;
            skip_spaces(&mut at);
            let value = if chars.get(at) == Some(&'*') {
                at += 1;
                None
            } else {
                let start = at;
                Some(
                    token(&chars, &mut at)
                        .map_err(|e| err(start, &e))?
                        .ok_or_else(|| err(at, "expected the key value or `*`"))?,
                )
            };
            skip_spaces(&mut at);
            if chars.get(at) != Some(&']') {
                return Err(err(at, "expected `]`"));
            }
            at += 1;
            nodes.push(Node::Keyed { key, value });
            skip_spaces(&mut at);
        }
        match chars.get(at) {
            None => return Ok(nodes),
            Some('.') => at += 1,
            Some(c) => return Err(err(at, &format!("unexpected `{c}`"))),
        }
    }
}

/// A name (letters, digits, `-`, `_`, `/`) or a quoted string.
fn token(chars: &[char], at: &mut usize) -> Result<Option<String>, String> {
    match chars.get(*at) {
        Some(&q) if q == '"' || q == '\'' => {
            *at += 1;
            let mut out = String::new();
            loop {
                match chars.get(*at) {
                    None => return Err("a quoted name is not closed".to_owned()),
                    Some('\\') => {
                        *at += 1;
                        match chars.get(*at) {
                            Some(c) => out.push(*c),
                            None => return Err("a quoted name is not closed".to_owned()),
                        }
                    }
                    Some(&c) if c == q => {
                        *at += 1;
                        return Ok(Some(out));
                    }
                    Some(&c) => out.push(c),
                }
                *at += 1;
            }
        }
        _ => {
            let start = *at;
            while chars
                .get(*at)
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/'))
            {
                *at += 1;
            }
            Ok((*at > start).then(|| chars.get(start..*at).unwrap_or(&[]).iter().collect()))
        }
    }
}

/// The location written back (`spec.containers[name: *].image`).
pub fn render(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        if matches!(node, Node::Field(_)) && !out.is_empty() {
            out.push('.');
        }
        out.push_str(&node.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_lists_quotes_and_globs() {
        let nodes = parse(r#"spec.containers[name: *].env[ name : "A.B" ].value"#).unwrap();
        assert_eq!(
            render(&nodes),
            "spec.containers[name: *].env[name: A.B].value"
        );
        assert_eq!(
            parse(r#"metadata.annotations."example.com/owner""#).unwrap(),
            vec![
                Node::Field("metadata".into()),
                Node::Field("annotations".into()),
                Node::Field("example.com/owner".into())
            ]
        );
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(
            parse("spec..image").unwrap_err(),
            "column 6: expected a field name"
        );
        assert_eq!(
            parse("spec.containers[name foo]").unwrap_err(),
            "column 22: expected `:` after the list key"
        );
        assert_eq!(
            parse("spec.\"open").unwrap_err(),
            "column 6: a quoted name is not closed"
        );
    }
}
