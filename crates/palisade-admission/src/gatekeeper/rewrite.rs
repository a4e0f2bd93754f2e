//! A source rewrite that lets regorus load Rego v0 rules written with
//! several bodies.
//!
//! In Rego v0, `p { A } { B }` is one rule head with two bodies: two
//! alternative definitions, exactly like `p { A }` followed by `p { B }`.
//! regorus 0.14 reads the second body as an `else` branch, and refuses it
//! for set rules ("else cannot be used with set rules"). The Gatekeeper
//! library uses the form (`noupdateserviceaccount`). [`split_chained_bodies`]
//! repeats the head before each chained body; the template loader applies it
//! only when a v0 module does not compile as written.

/// Repeats a rule's head before each chained body (`head { A } { B }` →
/// `head { A }` newline `head { B }`). Strings, raw strings and comments are
/// skipped. Returns `None` when the text has no chained bodies.
pub fn split_chained_bodies(rego: &str) -> Option<String> {
    let bytes = rego.as_bytes();
    let mut depth = 0usize;
    let mut statement_start: Option<usize> = None;
    let mut head: Option<&str> = None;
    let mut inserts: Vec<(usize, String)> = Vec::new();
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                i = skip_comment(bytes, i);
                continue;
            }
            b'"' => {
                statement_start.get_or_insert(i);
                i = skip_string(bytes, i);
                continue;
            }
            b'`' => {
                statement_start.get_or_insert(i);
                i = skip_raw_string(bytes, i);
                continue;
            }
            b'\n' if depth == 0 && head.is_none() => statement_start = None,
            b'{' | b'[' | b'(' => {
                if depth == 0 {
                    let start = *statement_start.get_or_insert(i);
                    if b == b'{' && head.is_none() {
                        let text = rego.get(start..i).unwrap_or_default().trim();
                        head = Some(text);
                    }
                }
                depth += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && b == b'}' {
                    let next = skip_blank(bytes, i + 1);
                    let usable = head.filter(|h| {
                        !h.is_empty()
                            && !h.starts_with("else")
                            && !h.contains(":=")
                            && !h.starts_with("default")
                    });
                    match (bytes.get(next), usable) {
                        (Some(b'{'), Some(h)) => inserts.push((next, format!("\n{h} "))),
                        (Some(b'e'), _)
                            if rego.get(next..).is_some_and(|r| r.starts_with("else")) => {}
                        _ => {
                            statement_start = None;
                            head = None;
                        }
                    }
                }
            }
            b if !b.is_ascii_whitespace() && depth == 0 => {
                statement_start.get_or_insert(i);
            }
            _ => {}
        }
        i += 1;
    }
    if inserts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(rego.len() + inserts.len() * 32);
    let mut last = 0usize;
    for (at, text) in inserts {
        out.push_str(rego.get(last..at).unwrap_or_default());
        out.push_str(&text);
        last = at;
    }
    out.push_str(rego.get(last..).unwrap_or_default());
    Some(out)
}

fn skip_comment(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&b| b != b'\n') {
        i += 1;
    }
    i
}

fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    i
}

fn skip_raw_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b == b'`' {
            break;
        }
    }
    i
}

/// The index of the first byte after `i` that is not blank or in a comment.
fn skip_blank(bytes: &[u8], mut i: usize) -> usize {
    loop {
        match bytes.get(i) {
            Some(b'#') => i = skip_comment(bytes, i),
            Some(b) if b.is_ascii_whitespace() => i += 1,
            _ => return i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chained_bodies_get_their_own_heads() {
        let rego = "package x\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"}{\"\n} {\n  # } {\n  b\n  msg := `raw } {`\n}\n{\n  c\n}\n\nother { d }\n";
        let out = split_chained_bodies(rego).unwrap();
        assert_eq!(
            out,
            "package x\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"}{\"\n} \nviolation[{\"msg\": msg}] {\n  # } {\n  b\n  msg := `raw } {`\n}\n\nviolation[{\"msg\": msg}] {\n  c\n}\n\nother { d }\n"
        );
    }

    #[test]
    fn ordinary_rules_are_left_alone() {
        let rego = "package x\nimport data.lib.y\np { a } else = 2 { b }\nq := {\"a\": 1}\nr[x] { x := {1, 2}[_] }\ndefault s = false\n";
        assert_eq!(split_chained_bodies(rego), None);
    }
}
