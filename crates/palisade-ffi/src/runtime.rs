//! Runtime: Falco rules compiled once, matched per thread on events given
//! as JSON or as field/value pairs.

use std::ffi::{CString, c_char};
use std::sync::{Arc, RwLock};

use palisade::Engine as _;
use palisade::Severity;
use palisade::runtime::{
    Event, FieldRef, FlatEvents, MatchMode, Matcher, RuleSet, RuntimeEngine, Value, compile_files,
    compile_texts,
};

use crate::boundary::{
    Failure, PalisadeStatus, drop_handle, failure, guard, handle, handle_mut, invalid,
    new_from_text, new_handle, out_ptr, put, text,
};

/// A severity, from the least to the most urgent (Falco's priorities).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PalisadeSeverity {
    /// Diagnostic detail.
    Debug = 0,
    /// Worth knowing.
    Informational = 1,
    /// Normal but significant.
    Notice = 2,
    /// Something may be wrong.
    Warning = 3,
    /// Something is wrong.
    Error = 4,
    /// A critical condition.
    Critical = 5,
    /// Action must be taken immediately.
    Alert = 6,
    /// The system is unusable.
    Emergency = 7,
}

impl From<Severity> for PalisadeSeverity {
    fn from(s: Severity) -> PalisadeSeverity {
        match s {
            Severity::Debug => PalisadeSeverity::Debug,
            Severity::Informational => PalisadeSeverity::Informational,
            Severity::Notice => PalisadeSeverity::Notice,
            Severity::Warning => PalisadeSeverity::Warning,
            Severity::Error => PalisadeSeverity::Error,
            Severity::Critical => PalisadeSeverity::Critical,
            Severity::Alert => PalisadeSeverity::Alert,
            Severity::Emergency => PalisadeSeverity::Emergency,
        }
    }
}

/// The type of a [`PalisadeValue`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PalisadeValueKind {
    /// `str` holds the value.
    Str = 0,
    /// `num` holds a signed integer.
    Int = 1,
    /// `num` holds an unsigned integer (reinterpreted as `uint64_t`).
    Uint = 2,
    /// `num` holds a boolean (0 is false).
    Bool = 3,
}

/// One field value of an event given without JSON: the field id comes from
/// [`palisade_rules_field`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PalisadeValue {
    /// The field id.
    pub field: u32,
    /// Which member holds the value.
    pub kind: PalisadeValueKind,
    /// The text, for [`PalisadeValueKind::Str`] (UTF-8, NUL-terminated).
    pub str: *const c_char,
    /// The number, for the other kinds.
    pub num: i64,
}

/// One alert of the last match. The strings belong to the matcher and stay
/// valid until its next match or its `free`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PalisadeAlert {
    /// The rule's name.
    pub rule: *const c_char,
    /// The rule's priority.
    pub priority: PalisadeSeverity,
    /// The rule's output: filled from the event for JSON events, the
    /// output template for field/value events.
    pub output: *const c_char,
}

/// Compiled Falco rules and the fields resolved for them (opaque).
#[derive(Debug)]
pub struct PalisadeRules {
    shared: Arc<RulesShared>,
}

#[derive(Debug)]
struct RulesShared {
    rules: RuleSet,
    /// The rules with their outputs compiled: JSON events render alerts
    /// as `palisade runtime replay` does.
    engine: RuntimeEngine,
    names: Vec<CString>,
    templates: Vec<CString>,
    /// Fields resolved by name; a field id indexes this list.
    fields: RwLock<Vec<ResolvedField>>,
}

#[derive(Debug, Clone)]
struct ResolvedField {
    name: String,
    field: FieldRef,
}

/// A per-thread matcher over compiled rules (opaque).
#[derive(Debug)]
pub struct PalisadeMatcher {
    shared: Arc<RulesShared>,
    matcher: Matcher,
    alerts: Vec<(usize, CString)>,
}

fn rules_handle(rules: RuleSet) -> Result<PalisadeRules, Failure> {
    let c = |s: &str| CString::new(s.replace('\0', "\u{fffd}")).unwrap_or_default();
    let names = rules.rules().iter().map(|r| c(&r.name)).collect();
    let templates = rules.rules().iter().map(|r| c(&r.output)).collect();
    let engine = palisade::runtime::engine(rules.clone()).map_err(|e| invalid(e.to_string()))?;
    Ok(PalisadeRules {
        shared: Arc::new(RulesShared {
            rules,
            engine,
            names,
            templates,
            fields: RwLock::new(Vec::new()),
        }),
    })
}

/// Compiles the Falco rules in YAML `text` (`name` names it in messages)
/// into `*out`. Every matching rule fires (not only the first).
///
/// # Safety
/// `name`, `text` NUL-terminated; `out` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_rules_new_from_text(
    name: *const c_char,
    text_yaml: *const c_char,
    out: *mut *mut PalisadeRules,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    // SAFETY: forwarded contract.
    unsafe {
        new_from_text(name, text_yaml, out, error, |name, body| {
            let rules = compile_texts(&[(name, body)], MatchMode::All)
                .map_err(|e| invalid(e.to_string()))?;
            rules_handle(rules)
        })
    }
}

/// Compiles the Falco rules files `paths[0..count]`, loaded in order, into
/// `*out`.
///
/// # Safety
/// `paths` points to `count` NUL-terminated strings; `out` writable;
/// `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_rules_new_from_files(
    paths: *const *const c_char,
    count: usize,
    out: *mut *mut PalisadeRules,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        if paths.is_null() {
            return Err(failure(PalisadeStatus::NullArgument, "`paths` is NULL"));
        }
        out_ptr(out, "out")?;
        // SAFETY: `paths` is not NULL and points to `count` pointers per the contract.
        let raw = unsafe { std::slice::from_raw_parts(paths, count) };
        let mut files = Vec::with_capacity(count);
        for &p in raw {
            // SAFETY: each is a NUL-terminated string per the contract.
            files.push(unsafe { text(p, "paths[i]")? });
        }
        let rules = compile_files(&files, MatchMode::All).map_err(|e| invalid(e.to_string()))?;
        // SAFETY: forwarded contract.
        unsafe { new_handle(out, rules_handle(rules)?) }
    })
}

/// Stores the number of compiled rules in `*count`.
///
/// # Safety
/// `rules` a live handle; `count` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_rules_count(
    rules: *const PalisadeRules,
    count: *mut usize,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        unsafe {
            let rules = handle(rules, "rules")?;
            put(count, "count", rules.shared.rules.rules().len())
        }
    })
}

/// Resolves a field by name (`proc.name`, `proc.aname[2]`, `evt.type`) once,
/// and stores its id (for [`PalisadeValue::field`]) in `*field_id`.
/// Resolving the same name again gives the same id. Thread-safe.
///
/// # Safety
/// `rules` a live handle; `name` NUL-terminated; `field_id` writable;
/// `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_rules_field(
    rules: *const PalisadeRules,
    name: *const c_char,
    field_id: *mut u32,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (rules, name) = unsafe { (handle(rules, "rules")?, text(name, "name")?) };
        out_ptr(field_id, "field_id")?;
        let (base, arg) = match name.split_once('[') {
            Some((base, rest)) => (base, Some(rest.strip_suffix(']').unwrap_or(rest))),
            None => (name, None),
        };
        let field = rules
            .shared
            .rules
            .schema()
            .resolve(base, arg)
            .map_err(|e| failure(PalisadeStatus::NotFound, format!("field `{name}`: {e}")))?;
        let mut fields = rules
            .shared
            .fields
            .write()
            .map_err(|_| failure(PalisadeStatus::Panic, "the field table is poisoned"))?;
        let id = match fields.iter().position(|f| f.field == field) {
            Some(i) => i,
            None => {
                fields.push(ResolvedField {
                    name: base.to_owned(),
                    field,
                });
                fields.len() - 1
            }
        };
        let id = u32::try_from(id).map_err(|_| invalid("too many fields"))?;
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { field_id.write(id) };
        Ok(())
    })
}

/// Frees a rules handle. Matchers made from it stay usable. `NULL` is ignored.
///
/// # Safety
/// `rules` NULL or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_rules_free(rules: *mut PalisadeRules) {
    // SAFETY: forwarded contract.
    unsafe { drop_handle(rules) }
}

/// Creates a matcher over `rules` in `*out`: one per thread.
///
/// # Safety
/// `rules` a live handle; `out` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_matcher_new(
    rules: *const PalisadeRules,
    out: *mut *mut PalisadeMatcher,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let rules = unsafe { handle(rules, "rules")? };
        let matcher = PalisadeMatcher {
            shared: Arc::clone(&rules.shared),
            matcher: rules.shared.engine.scratch(),
            alerts: Vec::new(),
        };
        // SAFETY: forwarded contract.
        unsafe { new_handle(out, matcher) }
    })
}

/// An event given as field/value pairs.
struct PairEvent<'a> {
    fields: &'a [ResolvedField],
    values: Vec<(usize, Value<'a>)>,
    code: u16,
}

impl Event for PairEvent<'_> {
    fn event_code(&self) -> u16 {
        self.code
    }

    fn value(&self, field: &FieldRef) -> Value<'_> {
        self.values
            .iter()
            .find(|(i, _)| self.fields.get(*i).is_some_and(|f| f.field == *field))
            .map_or(Value::Absent, |(_, v)| *v)
    }
}

/// Matches one event given as `count` field/value pairs (field ids from
/// [`palisade_rules_field`]; include `evt.type`) and stores the number of
/// alerts in `*alerts`; read them with [`palisade_matcher_alert`].
///
/// # Safety
/// `matcher` a live handle used by this thread only; `values` points to
/// `count` values whose strings are NUL-terminated; `alerts` writable;
/// `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_matcher_match(
    matcher: *mut PalisadeMatcher,
    values: *const PalisadeValue,
    count: usize,
    alerts: *mut usize,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let m = unsafe { handle_mut(matcher, "matcher")? };
        out_ptr(alerts, "alerts")?;
        let raw: &[PalisadeValue] = if count == 0 {
            &[]
        } else if values.is_null() {
            return Err(failure(PalisadeStatus::NullArgument, "`values` is NULL"));
        } else {
            // SAFETY: not NULL and `count` values per the contract.
            unsafe { std::slice::from_raw_parts(values, count) }
        };
        let shared = Arc::clone(&m.shared);
        let fields = shared
            .fields
            .read()
            .map_err(|_| failure(PalisadeStatus::Panic, "the field table is poisoned"))?;
        let mut event = PairEvent {
            fields: &fields,
            values: Vec::with_capacity(raw.len()),
            code: 0,
        };
        for v in raw {
            let index = v.field as usize;
            let Some(field) = fields.get(index) else {
                return Err(failure(
                    PalisadeStatus::NotFound,
                    format!("unknown field id {}", v.field),
                ));
            };
            let value = match v.kind {
                // SAFETY: a NUL-terminated string valid during the call per the contract.
                PalisadeValueKind::Str => Value::Str(unsafe { text(v.str, "str")? }),
                PalisadeValueKind::Int => Value::Int(v.num),
                PalisadeValueKind::Uint => Value::UInt(v.num.cast_unsigned()),
                PalisadeValueKind::Bool => Value::Bool(v.num != 0),
            };
            if field.name == "evt.type"
                && let Value::Str(name) = value
            {
                event.code = shared.rules.schema().event_code(name).unwrap_or(0);
            }
            event.values.push((index, value));
        }
        m.alerts.clear();
        for &hit in m.matcher.matches(&event).indexes() {
            let i = hit as usize;
            let template = shared.templates.get(i).cloned().unwrap_or_default();
            m.alerts.push((i, template));
        }
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { alerts.write(m.alerts.len()) };
        Ok(())
    })
}

/// Matches one event given as a JSON object (Falco field names as keys, as
/// in `palisade runtime replay`) and stores the number of alerts in
/// `*alerts`; outputs are filled from the event.
///
/// # Safety
/// `matcher` a live handle used by this thread only; `event_json`
/// NUL-terminated; `alerts` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_matcher_match_json(
    matcher: *mut PalisadeMatcher,
    event_json: *const c_char,
    alerts: *mut usize,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (m, json) = unsafe {
            (
                handle_mut(matcher, "matcher")?,
                text(event_json, "event_json")?,
            )
        };
        out_ptr(alerts, "alerts")?;
        if json.contains('\n') && json.trim().contains('\n') {
            return Err(invalid("expected one JSON object on one line"));
        }
        let events =
            FlatEvents::parse(json, m.shared.rules.schema()).map_err(|e| invalid(e.to_string()))?;
        let [event] = events.events() else {
            return Err(invalid("expected one JSON object"));
        };
        m.alerts.clear();
        let shared = Arc::clone(&m.shared);
        let verdict = shared.engine.evaluate(&mut m.matcher, event as &dyn Event);
        for finding in verdict.findings {
            let i = shared
                .rules
                .rules()
                .iter()
                .position(|r| r.name == finding.policy)
                .unwrap_or(0);
            let output = finding.message.replace('\0', "\u{fffd}");
            m.alerts.push((i, CString::new(output).unwrap_or_default()));
        }
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { alerts.write(m.alerts.len()) };
        Ok(())
    })
}

/// Stores alert `index` (0-based, below the count of the last match) in
/// `*alert`.
///
/// # Safety
/// `matcher` a live handle; `alert` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_matcher_alert(
    matcher: *const PalisadeMatcher,
    index: usize,
    alert: *mut PalisadeAlert,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let m = unsafe { handle(matcher, "matcher")? };
        out_ptr(alert, "alert")?;
        let Some((rule, output)) = m.alerts.get(index) else {
            return Err(failure(
                PalisadeStatus::NotFound,
                format!("no alert {index}: the last match had {}", m.alerts.len()),
            ));
        };
        let (Some(name), Some(spec)) =
            (m.shared.names.get(*rule), m.shared.rules.rules().get(*rule))
        else {
            return Err(failure(PalisadeStatus::NotFound, "unknown rule"));
        };
        let value = PalisadeAlert {
            rule: name.as_ptr(),
            priority: spec.priority.into(),
            output: output.as_ptr(),
        };
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { alert.write(value) };
        Ok(())
    })
}

/// Frees a matcher. `NULL` is ignored.
///
/// # Safety
/// `matcher` NULL or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_matcher_free(matcher: *mut PalisadeMatcher) {
    // SAFETY: forwarded contract.
    unsafe { drop_handle(matcher) }
}
