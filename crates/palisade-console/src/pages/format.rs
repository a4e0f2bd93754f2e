//! How values read on the pages: shares as percents, severities in their
//! order, scores as words for screen readers.

use serde_json::Value;

/// Severities from the most urgent down, as findings spell them.
pub const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// The layers, in the order the pages show them.
pub const LAYERS: [&str; 3] = ["admission", "runtime", "network"];

/// `0.75` as `75%`.
pub fn percent(share: f64) -> String {
    format!("{:.0}%", (share * 100.0).clamp(0.0, 100.0))
}

/// A JSON value's text: strings as they are, anything else as JSON.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A class naming the band a 0-100 score falls in (colour is never the
/// only sign: the number is always shown).
pub fn band(score: i64) -> &'static str {
    match score {
        80.. => "good",
        50..=79 => "fair",
        _ => "poor",
    }
}

/// A class for a priority or severity, in either spelling (`Critical`,
/// `critical`).
pub fn urgency(level: &str) -> &'static str {
    match level.to_ascii_lowercase().as_str() {
        "emergency" | "alert" | "critical" => "urgent",
        "error" => "high",
        "warning" => "medium",
        _ => "low",
    }
}

/// Text as it may be shown: control characters (terminal escapes, NUL)
/// written out as `\u{1b}`, so an escape sequence in a command line reads
/// as what it is; newlines and tabs kept.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// The id of a policy's row on the policies page (`policy-` and the name,
/// anything but letters, digits, `-` and `_` as `_`), the target of the
/// links from findings.
pub fn policy_anchor(policy: &str) -> String {
    let name: String = policy
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("policy-{name}")
}
