//! The alert side of `palisade runtime replay`: rule selection, dedup,
//! rate limits, sinks (file, HTTP, program), stdin and `--follow` input, a
//! progress bar, and the final summary table. Also `palisade demo`'s
//! runtime part.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use palisade::Severity;
use palisade::runtime::alerts::{
    Alert, AlertKind, DedupKey, FakeClock, Pipeline, PipelineConfig, Selection, Step, SystemClock,
};
use palisade::runtime::k8saudit::{AuditEvents, is_audit_text};
use palisade::runtime::sinks::{
    self as writer, DEFAULT_QUEUE, Dispatcher, HttpConfig, HttpSink, LineFormat, ProgramSink,
    SinkStats,
};
use palisade::runtime::{
    Event, FlatEvent, FlatEvents, MatchMode, Schema, alert_schema, builtin, scap,
};

use super::replay::{AlertArgs, EventSource, Matching, ReplayArgs, check_plugins, load_rules};
use crate::exit::Exit;
use crate::output::Output;

impl AlertArgs {
    fn selection(&self, matching: Matching, source: EventSource) -> Selection {
        let mut steps = Vec::new();
        if !self.rules_only.is_empty() {
            steps.push(Step::DisableRule("*".to_owned()));
            steps.extend(self.rules_only.iter().cloned().map(Step::EnableRule));
        }
        steps.extend(self.disable_tags.iter().cloned().map(Step::DisableTag));
        steps.extend(self.disable_rules.iter().cloned().map(Step::DisableRule));
        Selection {
            min_priority: self.min_priority.unwrap_or(Severity::Debug),
            only_tags: self.tags.clone(),
            steps,
            mode: match matching {
                Matching::First => MatchMode::First,
                Matching::All => MatchMode::All,
            },
            source: source.name().to_owned(),
        }
    }

    fn config(&self, matching: Matching, source: EventSource) -> PipelineConfig {
        PipelineConfig {
            selection: self.selection(matching, source),
            dedup_window: self.dedup_window.filter(|d| !d.is_zero()),
            dedup_key: self
                .dedup_fields
                .clone()
                .map_or(DedupKey::OutputFields, DedupKey::Fields),
            rate_limit: self.rate_limit,
            ..PipelineConfig::default()
        }
    }
}

/// Counts for the summary table.
#[derive(Debug, Default)]
struct Tally {
    per_rule: BTreeMap<(Severity, String), u64>,
    summaries: u64,
}

/// Prints an alert on stdout: `rule<TAB>priority<TAB>event` (the replay
/// contract), or Falco's JSON plus `evt_num`; summaries go to stderr in
/// text mode.
fn print_alert(out: &Output, alert: &Alert, num: Option<u64>) {
    if out.json() {
        let mut json = alert.to_json();
        if let (Some(obj), Some(n)) = (json.as_object_mut(), num) {
            obj.insert("evt_num".to_owned(), n.into());
        }
        out.line(&json.to_string());
    } else if alert.kind == AlertKind::Summary {
        out.note(&alert.output);
    } else {
        out.line(&format!(
            "{}\t{}\t{}",
            alert.rule,
            alert.priority.as_str(),
            num.map_or_else(|| "-".to_owned(), |n| n.to_string())
        ));
    }
}

/// Where events come from.
enum Input {
    Stdin(std::io::StdinLock<'static>),
    File(BufReader<File>),
}

impl Input {
    fn reader(&mut self) -> &mut dyn BufRead {
        match self {
            Input::Stdin(s) => s,
            Input::File(f) => f,
        }
    }
}

/// Lines per parsed batch.
const BATCH: usize = 4096;

/// Runs `palisade runtime replay` with the alert pipeline.
pub fn run(out: &Output, args: &ReplayArgs) -> Exit {
    let schema = alert_schema();
    let loaded = if args.rules.is_empty() {
        let loaded = builtin::load(&schema);
        out.note(&format!(
            "no --rules given: using the {} built-in rules",
            loaded.rules.len()
        ));
        loaded
    } else {
        let Some(loaded) = load_rules(out, &args.rules, &schema) else {
            return Exit::InputError;
        };
        loaded
    };
    if !check_plugins(out, &loaded, &args.plugin_versions) {
        return Exit::InputError;
    }
    let Some(rules) = out.checked(builtin::ruleset(&loaded, &schema)) else {
        return Exit::InputError;
    };
    let a = &args.alerts;
    let (mut input, size) = match open(&args.events) {
        Ok(x) => x,
        Err(message) => {
            out.error(&message);
            return Exit::InputError;
        }
    };
    let source = args.source.unwrap_or_else(|| sniff(&mut input));
    if source == EventSource::K8sAudit && a.follow {
        out.error("--follow reads syscall events only; replay an audit log whole");
        return Exit::InputError;
    }
    let Some(mut pipeline) = out.checked(Pipeline::new(
        rules,
        a.config(args.matching, source),
        Box::new(SystemClock),
    )) else {
        return Exit::InputError;
    };
    let mut dispatcher = Dispatcher::new();
    if let Some(path) = &a.output_file {
        match writer::file(path, LineFormat::Json) {
            Ok(sink) => {
                let dropped = dispatcher.add(Box::new(sink), DEFAULT_QUEUE);
                pipeline.watch_drops(format!("file:{}", path.display()), dropped);
            }
            Err(e) => {
                out.error(&e.to_string());
                return Exit::InputError;
            }
        }
    }
    if let Some(url) = &a.http_url {
        let dropped = dispatcher.add(Box::new(HttpSink::new(HttpConfig::new(url))), DEFAULT_QUEUE);
        pipeline.watch_drops(format!("http:{url}"), dropped);
    }
    if let Some(command) = &a.program {
        let dropped = dispatcher.add(
            Box::new(ProgramSink::new(command, LineFormat::Json)),
            DEFAULT_QUEUE,
        );
        pipeline.watch_drops(format!("program:{command}"), dropped);
    }
    let progress = progress_bar(size, a.follow);
    let started = Instant::now();
    let mut tally = Tally::default();
    let emit = |alert: Alert, num: Option<u64>, tally: &mut Tally| {
        match alert.kind {
            AlertKind::Rule => {
                *tally
                    .per_rule
                    .entry((alert.priority, alert.rule.to_string()))
                    .or_default() += 1;
            }
            AlertKind::Summary => tally.summaries += 1,
        }
        print_alert(out, &alert, num);
        dispatcher.send(alert);
    };
    let mut each = |event: &dyn Event, num: u64| {
        let mut batch = Vec::new();
        pipeline.process(event, &mut |alert| batch.push(alert));
        for alert in batch {
            emit(alert, Some(num), &mut tally);
        }
    };
    let result = match source {
        EventSource::Syscall if is_capture(&mut input) => {
            if a.follow {
                Err("--follow reads JSON lines; a .scap capture is replayed whole".to_owned())
            } else {
                read_capture(
                    &args.events,
                    input,
                    &schema,
                    &progress,
                    &mut |event, line| {
                        each(event, event.num().unwrap_or(line as u64));
                    },
                )
            }
        }
        EventSource::Syscall => read_events(
            &mut input,
            &schema,
            a.follow,
            a.follow_idle,
            &progress,
            &mut |event, line| each(event, event.num().unwrap_or(line as u64)),
        ),
        EventSource::K8sAudit => {
            read_audit_events(out, &args.events, &mut input, &schema, &progress, &mut each)
        }
    };
    progress.finish_and_clear();
    let mut tail = Vec::new();
    pipeline.flush(&mut |alert| tail.push(alert));
    for alert in tail {
        emit(alert, None, &mut tally);
    }
    let elapsed = started.elapsed();
    let sinks = dispatcher.close(Duration::from_secs(30));
    if let Err(message) = result {
        out.error(&format!("{}: {message}", args.events.display()));
        return Exit::InputError;
    }
    summary_table(out, &pipeline, &tally, &sinks, elapsed);
    if pipeline.stats().delivered > 0 {
        Exit::Violation
    } else {
        Exit::Ok
    }
}

fn open(path: &Path) -> Result<(Input, u64), String> {
    if path == Path::new("-") {
        return Ok((Input::Stdin(std::io::stdin().lock()), 0));
    }
    let file = File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let size = file.metadata().map_or(0, |m| m.len());
    Ok((Input::File(BufReader::with_capacity(1 << 16, file)), size))
}

/// Whether the input starts as a `.scap` capture does (gzip, or the
/// section header block); the bytes stay to be read.
fn is_capture(input: &mut Input) -> bool {
    input.reader().fill_buf().is_ok_and(scap::is_capture)
}

/// Hands every shown event of a capture to `each`, with its `evt.num`.
fn read_capture(
    path: &Path,
    input: Input,
    schema: &Schema,
    progress: &indicatif::ProgressBar,
    each: &mut dyn FnMut(&FlatEvent, usize),
) -> Result<(), String> {
    let reader: Box<dyn BufRead> = match input {
        Input::Stdin(s) => Box::new(s),
        Input::File(f) => Box::new(progress.wrap_read(f)),
    };
    let mut events = scap::CaptureEvents::from_reader(path.display().to_string(), reader)
        .map_err(|e| e.located())?;
    events
        .for_each(schema, &mut |event| {
            each(event, event.num().unwrap_or(0) as usize);
        })
        .map_err(|e| e.located())
}

/// A progress bar on stderr for large files when it is a terminal.
fn progress_bar(size: u64, follow: bool) -> indicatif::ProgressBar {
    if follow || size < 8 << 20 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The source of the input's events, from its first buffered bytes.
fn sniff(input: &mut Input) -> EventSource {
    match input.reader().fill_buf() {
        Ok(head) if is_audit_text(&String::from_utf8_lossy(head)) => EventSource::K8sAudit,
        _ => EventSource::Syscall,
    }
}

/// Reads a whole audit log and hands each event (with its number) to
/// `each`; every value that is not an audit event is a warning naming its
/// line and column. An error when nothing could be read, or when values
/// were malformed and no event was.
fn read_audit_events(
    out: &Output,
    path: &Path,
    input: &mut Input,
    schema: &Schema,
    progress: &indicatif::ProgressBar,
    each: &mut dyn FnMut(&dyn Event, u64),
) -> Result<(), String> {
    let mut bytes = Vec::new();
    input
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read error: {e}"))?;
    progress.inc(bytes.len() as u64);
    let events = AuditEvents::parse_bytes(&bytes, schema).map_err(|e| e.to_string())?;
    for e in events.errors() {
        out.warning(&format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line,
            e.column,
            e.message
        ));
    }
    for event in events.events() {
        each(event, event.num());
    }
    let (read, bad) = (events.events().len(), events.errors().len());
    if bad > 0 {
        out.note(&format!(
            "{bad} malformed audit values skipped, {read} events read"
        ));
        if read == 0 {
            return Err(format!("no audit event could be read ({bad} malformed)"));
        }
    }
    Ok(())
}

/// Reads JSON lines in batches and hands each event (with its 1-based
/// line) to `each`. With `follow`, waits for the file to grow at the end,
/// up to `idle` without growth.
fn read_events(
    input: &mut Input,
    schema: &Schema,
    follow: bool,
    idle: Option<Duration>,
    progress: &indicatif::ProgressBar,
    each: &mut dyn FnMut(&FlatEvent, usize),
) -> Result<(), String> {
    let mut batch = String::new();
    let mut lines_in_batch = 0;
    let mut first_line = 1;
    let mut partial = String::new();
    let mut last_growth = Instant::now();
    loop {
        let mut line = String::new();
        let read = input
            .reader()
            .read_line(&mut line)
            .map_err(|e| format!("read error: {e}"))?;
        if read > 0 {
            progress.inc(read as u64);
            last_growth = Instant::now();
            partial.push_str(&line);
            if !partial.ends_with('\n') {
                // A line still being written (follow), or the last line.
                continue;
            }
            batch.push_str(&partial);
            partial.clear();
            lines_in_batch += 1;
            if lines_in_batch < BATCH {
                continue;
            }
        }
        let at_end = read == 0;
        if at_end && (!follow || idle.is_some_and(|d| last_growth.elapsed() >= d)) {
            batch.push_str(&partial);
            partial.clear();
        }
        if !batch.is_empty() {
            let events = FlatEvents::parse(&batch, schema).map_err(|e| {
                format!(
                    "line {}, column {}: {}",
                    e.line + first_line - 1,
                    e.column,
                    e.message
                )
            })?;
            for event in events.events() {
                each(event, event.line() + first_line - 1);
            }
            first_line += batch.lines().count();
            batch.clear();
            lines_in_batch = 0;
        }
        if at_end {
            if !follow || idle.is_some_and(|d| last_growth.elapsed() >= d) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn summary_table(
    out: &Output,
    pipeline: &Pipeline,
    tally: &Tally,
    sinks: &[(String, Arc<SinkStats>)],
    elapsed: Duration,
) {
    let stats = pipeline.stats();
    let rules = pipeline.rules().rules();
    let width = rules
        .iter()
        .map(|r| r.name.len())
        .chain([4])
        .max()
        .unwrap_or(4)
        .min(60);
    let mut lines = vec![format!(
        "{:<width$}  {:<13}  {:>8}  {:>8}  {:>10}",
        "rule", "priority", "alerts", "dedup", "rate limit"
    )];
    let mut rows: Vec<(Severity, &str, u64, u64, u64)> = rules
        .iter()
        .zip(&stats.per_rule)
        .filter(|(_, c)| c.fired > 0)
        .map(|(r, c)| {
            (
                r.priority,
                r.name.as_str(),
                c.delivered,
                c.suppressed_dedup,
                c.suppressed_rate,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    for (priority, name, delivered, dedup, rate) in rows {
        lines.push(format!(
            "{name:<width$}  {:<13}  {delivered:>8}  {dedup:>8}  {rate:>10}",
            priority.falco_name()
        ));
    }
    let secs = elapsed.as_secs_f64().max(1e-9);
    let dropped: u64 = sinks
        .iter()
        .map(|(_, s)| s.dropped.load(Ordering::Relaxed))
        .sum();
    lines.push(format!(
        "{} events in {:.3}s ({:.0} events/s); {} alerts, {} suppressed ({} dedup, {} rate limit), {} summaries, {} dropped",
        stats.events,
        elapsed.as_secs_f64(),
        stats.events as f64 / secs,
        stats.delivered,
        stats.suppressed_dedup + stats.suppressed_rate,
        stats.suppressed_dedup,
        stats.suppressed_rate,
        tally.summaries,
        dropped
    ));
    for (name, s) in sinks {
        let (delivered, failed, dropped) = s.snapshot();
        let mut line =
            format!("sink {name}: {delivered} delivered, {failed} failed, {dropped} dropped");
        if let Ok(last) = s.last_error.lock()
            && let Some(e) = last.as_ref()
        {
            line.push_str(&format!(" (last error: {e})"));
        }
        lines.push(line);
    }
    out.note(&lines.join("\n"));
}

/// The runtime part of `palisade demo`: the built-in rules over the
/// built-in event stream, with the default 5-minute dedup.
pub fn demo(out: &Output) -> Exit {
    let schema = Schema::falco();
    let loaded = builtin::load(&schema);
    let events = FlatEvents::parse(builtin::DEMO_EVENTS, &schema);
    let (Ok(rules), Ok(events)) = (builtin::ruleset(&loaded, &schema), events) else {
        out.error("the built-in runtime demo does not compile");
        return Exit::InputError;
    };
    let config = PipelineConfig {
        hostname: Some("demo".to_owned()),
        ..PipelineConfig::default()
    };
    // The demo's clock stands just after its last event (2024-05-01 10:20:10 UTC).
    let clock = FakeClock::new(1_714_558_810_000_000_000);
    let Ok(mut pipeline) = Pipeline::new(rules, config, Box::new(clock)) else {
        out.error("the built-in runtime demo does not compile");
        return Exit::InputError;
    };
    out.note(&format!(
        "runtime: {} built-in rules replayed over {} built-in events",
        pipeline.rules().rules().len(),
        events.events().len()
    ));
    let mut alerts = Vec::new();
    for event in events.events() {
        pipeline.process(event, &mut |a| alerts.push(a));
    }
    pipeline.flush(&mut |a| alerts.push(a));
    for alert in &alerts {
        if out.json() {
            out.line(&alert.to_json().to_string());
        } else {
            out.line(&alert.output);
        }
    }
    Exit::Ok
}
