//! Domain names and the patterns that select them, in one syntax: Cilium's
//! `toFQDNs` (`matchName`; `matchPattern`, where `*` matches any run of
//! DNS characters within one label, a leading `**.` one or more whole
//! labels, and a lone `*` every name). Names compare without case and
//! without the final dot.
//!
//! ClusterNetworkPolicy `domainNames` are read into it: their `*.` prefix
//! matches subdomains at every depth (`**.`). Otterize `domains` are kept
//! as written, Cilium's reading of them (the `toFQDNs` they become).

/// `name` lowercased, without surrounding space and final dot.
pub(crate) fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A ClusterNetworkPolicy `domainNames` entry in this syntax: its leading
/// `*.` (one or more whole labels) becomes `**.`.
pub(crate) fn from_subdomain_wildcard(name: &str) -> String {
    let name = normalize(name);
    match name.strip_prefix("*.") {
        Some(rest) => format!("**.{rest}"),
        None => name,
    }
}

/// Whether `pattern` covers `name`: every name `name` stands for (itself,
/// or those it matches when it is a pattern too) matches `pattern`.
pub(crate) fn covers(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (normalize(pattern), normalize(name));
    if pattern == "*" {
        return true;
    }
    if name == "*" {
        return false;
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let name: Vec<&str> = name.split('.').collect();
    labels(&pattern, &name)
}

/// Label by label: `**` takes one or more whole labels (a `**` of the name
/// only by a `**` of the pattern), other labels match as globs.
fn labels(pattern: &[&str], name: &[&str]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), _) => {
            (1..=name.len()).any(|k| name.get(k..).is_some_and(|n| labels(rest, n)))
        }
        (Some((p, rest)), Some((n, name_rest))) => {
            *n != "**" && glob(p.as_bytes(), n.as_bytes()) && labels(rest, name_rest)
        }
        _ => false,
    }
}

/// `*` in `pattern` matches any run of bytes of one label.
fn glob(pattern: &[u8], label: &[u8]) -> bool {
    match pattern.split_first() {
        None => label.is_empty(),
        Some((b'*', rest)) => {
            (0..=label.len()).any(|i| label.get(i..).is_some_and(|l| glob(rest, l)))
        }
        Some((c, rest)) => label
            .split_first()
            .is_some_and(|(d, label_rest)| c == d && glob(rest, label_rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, name, covered)
    const CASES: [(&str, &str, bool); 18] = [
        ("api.example.com", "API.example.com.", true),
        ("api.example.com", "web.example.com", false),
        // `*` stays within one label (Cilium's matchPattern).
        ("*.example.com", "a.example.com", true),
        ("*.example.com", "a.b.example.com", false),
        ("*.example.com", "example.com", false),
        ("api-*.example.com", "api-eu.example.com", true),
        ("api-*.example.com", "web.example.com", false),
        // `**.` takes one or more labels; a lone `*` every name.
        ("**.example.com", "a.b.example.com", true),
        ("**.example.com", "example.com", false),
        ("*", "anything.at.all", true),
        // Patterns covering patterns.
        ("*.example.com", "*.example.com", true),
        ("**.example.com", "*.example.com", true),
        ("*.example.com", "**.example.com", false),
        ("api.example.com", "*.example.com", false),
        ("a*.example.com", "*.example.com", false),
        ("*", "**.example.com", true),
        ("**.example.com", "*", false),
        ("**.kubernetes.io", "latest.blog.kubernetes.io", true),
    ];

    #[test]
    fn names_and_patterns() {
        for (pattern, name, covered) in CASES {
            assert_eq!(covers(pattern, name), covered, "{pattern} covers {name}");
        }
    }

    #[test]
    fn cluster_network_policy_wildcards_reach_every_depth() {
        assert_eq!(
            from_subdomain_wildcard("*.Kubernetes.io."),
            "**.kubernetes.io"
        );
        assert_eq!(from_subdomain_wildcard("kubernetes.io"), "kubernetes.io");
    }
}
