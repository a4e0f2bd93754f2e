//! Exceptions exported as a Falco rules file: one item per rule, appending
//! the console's exceptions to the rule as Falco loads it
//! (`override: exceptions: append`).

use std::collections::HashMap;

use crate::ingest::Exception;

/// A YAML string in double quotes (JSON escapes are valid YAML).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The Falco rules file for `exceptions` (rules in name order).
pub fn falco_exceptions(exceptions: &HashMap<String, Vec<Exception>>) -> String {
    let mut rules: Vec<(&String, &Vec<Exception>)> = exceptions.iter().collect();
    rules.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from("# Exceptions added through the Palisade console.\n");
    for (rule, list_of) in rules {
        out.push_str(&format!("- rule: {}\n  exceptions:\n", quoted(rule)));
        for (i, e) in list_of.iter().enumerate() {
            out.push_str(&format!("    - name: console_{}\n", i + 1));
            out.push_str(&format!("      fields: {}\n", list(&e.fields)));
            if !e.comps.is_empty() {
                out.push_str(&format!("      comps: {}\n", list(&e.comps)));
            }
            let rows: Vec<String> = e.values.iter().map(|row| list(row)).collect();
            out.push_str(&format!("      values: [{}]\n", rows.join(", ")));
        }
        out.push_str("  override:\n    exceptions: append\n");
    }
    out
}
