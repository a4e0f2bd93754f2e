//! Limits of the YAML reader and the manifest loader: hostile nesting,
//! alias bombs and oversized files give errors with a position, never a
//! stack overflow or unbounded memory.
#![allow(clippy::panic, reason = "a failing test is the point")]

use palisade_core::manifest::{MAX_FILE_BYTES, load_reader, load_str};
use palisade_core::yaml::{MAX_DEPTH, parse_stream};

fn first_error(text: &str) -> palisade_core::yaml::SyntaxError {
    let docs = parse_stream(text);
    docs.into_iter()
        .find_map(Result::err)
        .unwrap_or_else(|| panic!("no error for {} bytes", text.len()))
}

#[test]
fn deep_flow_sequences_are_refused_without_overflow() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = first_error(&text);
    assert!(e.message.contains("nesting"), "{}", e.message);
    assert_eq!(e.line, 1);
}

#[test]
fn deep_flow_mappings_are_refused_without_overflow() {
    let text = format!("{}{}", "{a: ".repeat(100_000), "}".repeat(100_000));
    let e = first_error(&text);
    assert!(e.message.contains("nesting"), "{}", e.message);
}

#[test]
fn unclosed_deep_nesting_is_refused() {
    let e = first_error(&"[{".repeat(60_000));
    assert!(e.message.contains("nesting"), "{}", e.message);
}

#[test]
fn deep_block_nesting_is_refused() {
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&" ".repeat(i));
        text.push_str("a:\n");
    }
    let e = first_error(&text);
    assert!(e.message.contains("nesting"), "{}", e.message);
}

#[test]
fn nesting_at_the_limit_loads() {
    let depth = MAX_DEPTH - 1;
    let text = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    assert!(parse_stream(&text).iter().all(Result::is_ok));
    let text = format!(
        "{}1{}",
        "[".repeat(MAX_DEPTH + 2),
        "]".repeat(MAX_DEPTH + 2)
    );
    assert!(parse_stream(&text).iter().any(Result::is_err));
}

#[test]
fn deep_json_manifest_is_an_error_with_the_file() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let report = load_str("deep.json", &text);
    assert!(report.objects.is_empty());
    let e = report.errors.first().expect("an error");
    assert!(e.to_string().contains("deep.json"), "{e}");
}

#[test]
fn billion_laughs_is_bounded() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        text.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    let docs = parse_stream(&text);
    // Either refused, or loaded with the aliases left unexpanded: never
    // 9^9 nodes in memory.
    if let Some(Ok(doc)) = docs.first() {
        fn count(n: &palisade_core::yaml::Node) -> usize {
            1 + match &n.value {
                palisade_core::yaml::Value::Seq(v) => v.iter().map(count).sum(),
                palisade_core::yaml::Value::Map(m) => {
                    m.iter().map(|(k, v)| count(k) + count(v)).sum()
                }
                _ => 0,
            }
        }
        assert!(count(&doc.root) < 10_000_000);
    }
}

#[test]
fn oversized_manifest_file_is_refused() {
    let size = usize::try_from(MAX_FILE_BYTES).unwrap() + 10;
    let big = std::io::repeat(b'#').take_bytes(size);
    let report = load_reader("big.yaml", big);
    let e = report.errors.first().expect("an error");
    assert!(e.to_string().contains("big.yaml"), "{e}");
    assert!(e.to_string().contains("limit"), "{e}");
}

trait TakeBytes {
    fn take_bytes(self, n: usize) -> std::io::Take<std::io::Repeat>;
}

impl TakeBytes for std::io::Repeat {
    fn take_bytes(self, n: usize) -> std::io::Take<std::io::Repeat> {
        use std::io::Read;
        self.take(n as u64)
    }
}
