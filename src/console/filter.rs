//! The `/` filter: free text over id, title, commander and impact scope, plus `sev:1`,
//! `phase:triage` and `owner:NAME` terms. All terms must match.
use crate::domain::{CorrectiveAction, Incident, Phase, Severity};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    /// What the person typed, shown back in the header.
    pub raw: String,
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Text(String),
    Sev(Vec<Severity>),
    Phase(Vec<Phase>),
    Owner(String),
}

impl Filter {
    pub fn parse(raw: &str) -> Filter {
        let terms = raw
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                if let Some(v) = lower.strip_prefix("sev:") {
                    let sevs = Severity::ALL
                        .iter()
                        .copied()
                        .filter(|s| {
                            v.split(',').any(|x| {
                                x == s.level().to_string() || x == s.as_str().to_lowercase()
                            })
                        })
                        .collect();
                    Term::Sev(sevs)
                } else if let Some(v) = lower.strip_prefix("phase:") {
                    let phases = Phase::ALL
                        .iter()
                        .copied()
                        .filter(|p| {
                            v.split(',').any(|x| {
                                !x.is_empty()
                                    && (p.as_str().starts_with(x)
                                        || p.title().to_lowercase().starts_with(x))
                            })
                        })
                        .collect();
                    Term::Phase(phases)
                } else if let Some(v) = lower.strip_prefix("owner:") {
                    Term::Owner(v.to_string())
                } else {
                    Term::Text(lower)
                }
            })
            .collect();
        Filter {
            raw: raw.trim().to_string(),
            terms,
        }
    }

    /// The free-text words, for the server to narrow the closed history by (`q=`, which
    /// reads words as this filter does); the other terms are applied here as always.
    pub fn server_text(&self) -> Option<String> {
        let words: Vec<&str> = self
            .terms
            .iter()
            .filter_map(|t| match t {
                Term::Text(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let text: String = words.join(" ").chars().take(200).collect();
        (!text.trim().is_empty()).then(|| text.trim().to_string())
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether the filter names a phase; then the board shows closed incidents if asked.
    pub fn mentions_phase(&self, phase: Phase) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t, Term::Phase(p) if p.contains(&phase)))
    }

    pub fn matches(&self, inc: &Incident) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Text(s) => {
                contains(&inc.id, s)
                    || contains(&inc.title, s)
                    || inc.commander.as_deref().is_some_and(|c| contains(c, s))
                    || contains(&inc.impact_scope, s)
            }
            Term::Sev(sevs) => sevs.contains(&inc.severity),
            Term::Phase(phases) => phases.contains(&inc.phase),
            // Owners belong to actions; on incidents the term means "has this commander
            // or role holder".
            Term::Owner(o) => {
                inc.commander.as_deref().is_some_and(|c| contains(c, o))
                    || inc.roles.values().any(|p| contains(p, o))
            }
        })
    }

    /// For the corrective-actions view. `sev:` and `phase:` refer to the action's incident.
    pub fn matches_action(&self, a: &CorrectiveAction, inc: Option<&Incident>) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Text(s) => {
                contains(&a.id, s)
                    || contains(&a.title, s)
                    || contains(&a.owner, s)
                    || contains(&a.incident_id, s)
            }
            Term::Owner(o) => contains(&a.owner, o),
            Term::Sev(sevs) => inc.is_some_and(|i| sevs.contains(&i.severity)),
            Term::Phase(phases) => inc.is_some_and(|i| phases.contains(&i.phase)),
        })
    }
}

/// Case-insensitive substring test; `needle` is already lower case.
fn contains(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() {
        hay.as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            || needle.is_empty()
    } else {
        hay.to_lowercase().contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testdata::incident;

    #[test]
    fn text_matches_id_title_commander_and_scope() {
        let mut inc = incident("INC-7", Severity::Sev2, Phase::Triage);
        inc.title = "Checkout errors".into();
        inc.commander = Some("Ana Lima".into());
        inc.impact_scope = "EU region".into();
        for q in ["inc-7", "CHECKOUT", "lima", "eu reg"] {
            // "eu reg" is two terms, both found in the scope.
            assert!(Filter::parse(q).matches(&inc), "{q}");
        }
        assert!(!Filter::parse("payments").matches(&inc));
    }

    #[test]
    fn sev_and_phase_terms() {
        let inc = incident("INC-1", Severity::Sev1, Phase::Containment);
        assert!(Filter::parse("sev:1").matches(&inc));
        assert!(Filter::parse("sev:sev1,2").matches(&inc));
        assert!(!Filter::parse("sev:2").matches(&inc));
        assert!(Filter::parse("phase:contain").matches(&inc));
        assert!(!Filter::parse("phase:triage").matches(&inc));
        assert!(!Filter::parse("sev:1 phase:triage").matches(&inc));
    }
}
