//! `palisade score DIR [--events FILE] [--answers FILE]`: the security
//! posture of one directory of mixed inputs, 0 to 100, with the reasons
//! behind every point lost and the five-question form (`docs/posture.md`).
//!
//! Exit 0 when the posture was computed, 2 on input errors.

use std::path::PathBuf;

use clap::Args;
use palisade::Palisade;
use palisade::posture::{Answers, Posture, PostureContext, TestResults};

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Arguments of `palisade score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A directory (read recursively) of policies of every layer, inventory
    /// manifests and policy test suites.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Events to replay through the Falco rules, one JSON object per line
    /// (checked for readability; alerts do not change the score).
    #[arg(long, value_name = "FILE.jsonl")]
    pub events: Option<PathBuf>,
    /// Answers for what cannot be measured from files: a YAML mapping of
    /// question id (`admission`, `runtime`, `network`, `alerts`, `tests`) to
    /// `yes`, `partly` or `no`.
    #[arg(long, value_name = "FILE.yaml")]
    pub answers: Option<PathBuf>,
}

/// Runs `palisade score`.
pub fn run(out: &Output, args: &ScoreArgs) -> Exit {
    let Some(palisade) = out.checked(Palisade::load_dir(&args.dir)) else {
        return Exit::InputError;
    };
    // Events are read only to be checked: the posture does not use them.
    if let Some(path) = &args.events
        && out.checked(Palisade::read_events(path)).is_none()
    {
        return Exit::InputError;
    }
    let Some(answers) = out.checked(
        args.answers
            .as_deref()
            .map_or_else(|| Ok(Answers::default()), Answers::load),
    ) else {
        return Exit::InputError;
    };
    let context = PostureContext {
        operations: None,
        tests: Some(TestResults::run(&args.dir)),
        answers,
    };
    let posture = palisade.posture(&context);
    if out.json() {
        out.print_json(&posture);
    } else {
        print(out, &posture);
    }
    Exit::Ok
}

/// The posture as text: the score, each pillar with its reasons, the form.
pub fn print(out: &Output, posture: &Posture) {
    out.line(&out.paint(Style::Bold, &format!("Posture {}/100", posture.score)));
    for pillar in &posture.pillars {
        out.line(&format!(
            "  {:<9} {:>3}/100 (weight {})",
            pillar.name.as_str(),
            pillar.score,
            pillar.weight
        ));
        for reason in &pillar.reasons {
            out.line(&out.paint(
                Style::Dim,
                &format!("    -{:<5} {}", reason.points, reason.reason),
            ));
        }
    }
    out.line("");
    out.line(&out.paint(
        Style::Bold,
        &format!("Five questions {}/100", posture.form_score),
    ));
    for q in &posture.questions {
        out.line(&format!(
            "  {:<9} {:<6} {:>2} {}",
            q.id,
            q.answer.as_str(),
            q.points,
            q.question
        ));
        out.line(&out.paint(
            Style::Dim,
            &format!("            ({}) {}", q.source.as_str(), q.evidence),
        ));
    }
}
