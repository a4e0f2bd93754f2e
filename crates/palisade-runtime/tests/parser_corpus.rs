//! Conformance of the condition parser with libsinsp's parser tests
//! (`corpus/falco/parser.jsonl`): every accept/reject verdict (whitespace
//! variants included), every `same_as` pair and every `as_string` record.

use palisade_runtime::parser::parse;

fn verdict(expr: &str, accept: bool) -> Result<(), String> {
    match (parse(expr), accept) {
        (Ok(_), true) | (Err(_), false) => Ok(()),
        (Ok(ast), false) => Err(format!("accepted (as `{ast}`), expected a rejection")),
        (Err(e), true) => Err(format!("rejected ({e}), expected acceptance")),
    }
}

#[test]
fn parser_corpus_agrees_with_libsinsp() {
    let Some(path) = palisade_testkit::corpus("falco/parser.jsonl") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let mut checked = 0usize;
    let mut failures = Vec::new();
    let (mut accepts, mut rejects, mut same, mut printed) = (0, 0, 0, 0);
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let expr = record["expr"].as_str().unwrap();
        let origin = record["origin"].as_str().unwrap_or("?");
        let label = format!("line {} ({origin}) {expr:?}", n + 1);
        let mut fail = |msg: String| failures.push(format!("{label}: {msg}"));
        if let Some(expect) = record["expect"].as_str() {
            let accept = expect == "accept";
            if accept {
                accepts += 1;
            } else {
                rejects += 1;
            }
            if let Err(e) = verdict(expr, accept) {
                fail(e);
            }
            checked += 1;
            // libsinsp's exact message, where the record gives it (optional
            // in the corpus; Palisade matches all of them).
            if let Some(message) = record["error"].as_str() {
                checked += 1;
                match parse(expr) {
                    Err(e) if e.to_string().contains(message) => {}
                    other => fail(format!(
                        "expected an error containing {message:?}, got {other:?}"
                    )),
                }
            }
            if record["ws_variants"].as_bool() == Some(true) {
                let padded = format!(" {expr} ");
                for variant in [
                    padded.clone(),
                    padded.replace(' ', "\n"),
                    padded.replace(' ', "\t"),
                ] {
                    if let Err(e) = verdict(&variant, accept) {
                        fail(format!("whitespace variant {variant:?}: {e}"));
                    }
                    checked += 1;
                }
            }
        } else if let Some(other) = record["same_as"].as_str() {
            same += 1;
            checked += 1;
            match (parse(expr), parse(other)) {
                (Ok(a), Ok(b)) if a.same_shape(&b) => {}
                (Ok(a), Ok(b)) => fail(format!("`{a}` differs from `{b}`")),
                (a, b) => fail(format!("parse failed: {a:?} / {b:?}")),
            }
        } else if let Some(expected) = record["as_string"].as_str() {
            printed += 1;
            checked += 1;
            match parse(expr) {
                Ok(ast) if ast.as_string() == expected => {}
                Ok(ast) => fail(format!("printed `{ast}`, expected `{expected}`")),
                Err(e) => fail(format!("rejected: {e}")),
            }
        } else {
            fail("unknown record shape".to_owned());
        }
    }
    eprintln!(
        "parser corpus: {accepts} accept, {rejects} reject, {same} same_as, {printed} as_string records; \
         {checked} checks, {} failures",
        failures.len()
    );
    assert_eq!(
        accepts + rejects + same + printed,
        414,
        "record count changed"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} parser checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
