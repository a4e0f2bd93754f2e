//! One severity scale for every layer, and how each tool's levels map onto it.
//!
//! The scale is Falco's priority scale, which is itself syslog's: it is the
//! finest-grained of the three tools, so the others map onto it without loss.
//!
//! | source | value | severity |
//! |---|---|---|
//! | Falco priority | `emergency` .. `debug` (case-insensitive, `info` = `informational`) | the same name |
//! | Gatekeeper `enforcementAction` | `deny` | [`Severity::Error`] |
//! | | `warn` | [`Severity::Warning`] |
//! | | `dryrun` | [`Severity::Informational`] |
//! | network verdict | denied | [`Severity::Warning`] |
//! | | allowed | [`Severity::Informational`] |

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How urgent a finding is. Ordered: `Debug < Informational < ... < Emergency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Diagnostic detail.
    Debug,
    /// Worth knowing, nothing to do.
    Informational,
    /// Normal but significant.
    Notice,
    /// Something may be wrong.
    Warning,
    /// Something is wrong; an admission request is denied.
    Error,
    /// A critical condition.
    Critical,
    /// Action must be taken immediately.
    Alert,
    /// The system is unusable.
    Emergency,
}

/// The text given where a severity or priority was expected was not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("unknown priority `{given}`")]
#[diagnostic(
    code(palisade::severity::unknown),
    help(
        "expected one of emergency, alert, critical, error, warning, notice, informational (or info), debug"
    )
)]
pub struct ParseSeverityError {
    /// The text that was given.
    pub given: String,
}

impl Severity {
    /// Every severity, from the least to the most urgent.
    pub const ALL: [Severity; 8] = [
        Severity::Debug,
        Severity::Informational,
        Severity::Notice,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
        Severity::Alert,
        Severity::Emergency,
    ];

    /// Parses a Falco rule priority the way Falco does: case-insensitive,
    /// with `info` accepted for `informational`.
    pub fn from_falco_priority(text: &str) -> Result<Severity, ParseSeverityError> {
        let lower = text.trim().to_ascii_lowercase();
        let severity = match lower.as_str() {
            "emergency" => Severity::Emergency,
            "alert" => Severity::Alert,
            "critical" => Severity::Critical,
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "notice" => Severity::Notice,
            "informational" | "info" => Severity::Informational,
            "debug" => Severity::Debug,
            _ => {
                return Err(ParseSeverityError {
                    given: text.to_owned(),
                });
            }
        };
        Ok(severity)
    }

    /// Falco's display name of the priority (`Warning`, `Informational`, ...),
    /// as it appears in Falco's alert JSON.
    pub fn falco_name(self) -> &'static str {
        match self {
            Severity::Emergency => "Emergency",
            Severity::Alert => "Alert",
            Severity::Critical => "Critical",
            Severity::Error => "Error",
            Severity::Warning => "Warning",
            Severity::Notice => "Notice",
            Severity::Informational => "Informational",
            Severity::Debug => "Debug",
        }
    }
}

crate::names! {
    /// The lower-case name used in Palisade's own output.
    Severity {
        Emergency => "emergency",
        Alert => "alert",
        Critical => "critical",
        Error => "error",
        Warning => "warning",
        Notice => "notice",
        Informational => "informational",
        Debug => "debug",
    }
}

impl FromStr for Severity {
    type Err = ParseSeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::from_falco_priority(s)
    }
}

/// Gatekeeper's `enforcementAction` of a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnforcementAction {
    /// The request is denied.
    Deny,
    /// The request is admitted with a warning.
    Warn,
    /// The violation is only recorded (audit).
    Dryrun,
}

impl EnforcementAction {
    /// Parses Gatekeeper's spelling (`deny`, `warn`, `dryrun`; case-insensitive).
    pub fn parse(text: &str) -> Option<EnforcementAction> {
        match text.to_ascii_lowercase().as_str() {
            "deny" => Some(EnforcementAction::Deny),
            "warn" => Some(EnforcementAction::Warn),
            "dryrun" => Some(EnforcementAction::Dryrun),
            _ => None,
        }
    }

    /// The severity of a violation under this action.
    pub fn severity(self) -> Severity {
        match self {
            EnforcementAction::Deny => Severity::Error,
            EnforcementAction::Warn => Severity::Warning,
            EnforcementAction::Dryrun => Severity::Informational,
        }
    }
}

impl From<EnforcementAction> for Severity {
    fn from(action: EnforcementAction) -> Severity {
        action.severity()
    }
}

/// The outcome of checking one network flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkVerdict {
    /// The policies allow the flow.
    Allowed,
    /// The policies deny the flow.
    Denied,
}

impl NetworkVerdict {
    /// The severity of a finding about a flow with this verdict.
    pub fn severity(self) -> Severity {
        match self {
            NetworkVerdict::Allowed => Severity::Informational,
            NetworkVerdict::Denied => Severity::Warning,
        }
    }
}

impl From<NetworkVerdict> for Severity {
    fn from(verdict: NetworkVerdict) -> Severity {
        verdict.severity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_priorities_parse_case_insensitively_with_info_alias() {
        for severity in Severity::ALL {
            assert_eq!(
                Severity::from_falco_priority(severity.falco_name()),
                Ok(severity)
            );
            assert_eq!(
                Severity::from_falco_priority(&severity.as_str().to_ascii_uppercase()),
                Ok(severity)
            );
        }
        assert_eq!(
            Severity::from_falco_priority("INFO"),
            Ok(Severity::Informational)
        );
        let err = Severity::from_falco_priority("loud").unwrap_err();
        assert_eq!(err.to_string(), "unknown priority `loud`");
    }

    #[test]
    fn scale_is_ordered_by_urgency() {
        assert!(Severity::Emergency > Severity::Alert);
        assert!(Severity::Warning > Severity::Notice);
        assert!(Severity::Debug < Severity::Informational);
        let mut sorted = Severity::ALL;
        sorted.sort();
        assert_eq!(sorted, Severity::ALL);
    }

    #[test]
    fn other_tools_map_onto_the_scale() {
        assert_eq!(
            EnforcementAction::parse("deny").map(Severity::from),
            Some(Severity::Error)
        );
        assert_eq!(
            EnforcementAction::parse("Warn").map(Severity::from),
            Some(Severity::Warning)
        );
        assert_eq!(
            EnforcementAction::parse("dryrun").map(Severity::from),
            Some(Severity::Informational)
        );
        assert_eq!(EnforcementAction::parse("scoped"), None);
        assert_eq!(Severity::from(NetworkVerdict::Denied), Severity::Warning);
        assert_eq!(
            Severity::from(NetworkVerdict::Allowed),
            Severity::Informational
        );
    }
}
