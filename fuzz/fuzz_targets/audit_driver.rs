//! The driver of the `audit_reader` fuzz target, shared with the replay
//! test `crates/palisade/tests/audit_fuzz_regressions.rs` (included there
//! by path).
//!
//! The input's bytes are read as a Kubernetes audit log (JSON lines,
//! `EventList`s, pretty objects) with a 1 MiB event limit; every event is
//! matched against a ruleset that reads every `ka.*`/`jevt.*` field (without
//! argument, with an index, with keys and JSON pointers), and every field's
//! value is rendered. Reading must give events and located errors, never a
//! panic; an error must name a line and column inside the input.

use palisade::runtime::k8saudit::{self, AuditEvents};
use palisade::runtime::{Event, FieldType, MatchMode};

/// The rules every event of an input is matched against.
const RULES: &str = "\
- rule: every field
  desc: reads each field of the source
  condition: ka.user.name exists or ka.req.pod.containers.image in (a, b) or ka.req.pod.containers.privileged intersects (true) or ka.uri.param[command] = sh or jevt.value[/requestObject/spec] contains x or ka.req.volume.hostpath[/etc*] = true or ka.req.pod.containers.image[1] startswith nginx or ka.req.role.rules.verbs intersects ('*')
  output: user=%ka.user.name images=%ka.req.pod.containers.image obj=%jevt.obj
  priority: NOTICE
  source: k8s_audit
";

/// Runs one input; the error text when an outcome is wrong.
pub fn run(data: &[u8]) -> Result<(), String> {
    let rules = palisade::runtime::compile_texts(&[("fuzz.yaml", RULES)], MatchMode::All)
        .map_err(|e| format!("the driver's rules: {e}"))?;
    let schema = rules.schema().clone();
    let events = match AuditEvents::parse_bytes_limited(data, &schema, 1 << 20) {
        Ok(events) => events,
        Err(e) => return located(&e, data),
    };
    for e in events.errors() {
        located(e, data)?;
    }
    let fields: Vec<_> = schema
        .fields()
        .filter(|(_, def)| def.source == k8saudit::SOURCE)
        .flat_map(|(id, def)| {
            let args: &[Option<&str>] = match def.arg {
                palisade::runtime::ArgSpec::None => &[None],
                palisade::runtime::ArgSpec::Required => &[Some("/kind"), Some("command"), Some("")],
                _ => &[None, Some("0"), Some("x")],
            };
            args.iter()
                .map(|arg| palisade::runtime::FieldRef::new(&schema, id, *arg))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut matcher = rules.matcher();
    for event in events.events() {
        let _ = matcher.matches(event).len();
        for field in &fields {
            let value = event.value(field);
            let ty = schema
                .field(field.id)
                .map(|d| d.type_for(field.arg.is_some()));
            if ty == Some(FieldType::UInt) && !matches!(value, palisade::runtime::Value::UInt(_)) {
                return Err(format!("a uint field gave {value:?}"));
            }
        }
    }
    Ok(())
}

/// `Ok` when `e`'s line and column lie inside `data`.
fn located(e: &k8saudit::AuditReadError, data: &[u8]) -> Result<(), String> {
    let lines = data.split(|&b| b == b'\n').count();
    if e.line == 0 || e.line > lines || e.column == 0 {
        return Err(format!("error outside the input ({lines} lines): {e}"));
    }
    Ok(())
}
