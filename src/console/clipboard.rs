//! `y` / `Y`: copy an incident to the clipboard of the terminal the person sits at, even
//! over SSH, with OSC 52 (wrapped for tmux when $TMUX is set). The text is built from
//! `State`, whose text already passed `sanitize` on the way in; it travels base64-encoded,
//! so nothing in it can act on the terminal.
use super::state::{Loadable, State, due};
use super::view::fmt;
use crate::domain::Audience;
use base64::prelude::{BASE64_STANDARD, Engine as _};
use std::fmt::Write as _;

/// "INC-105 Payments API error rate 30%" plus the summary when there is one.
pub fn id_and_title(state: &State, id: &str) -> Option<String> {
    let inc = state.data.incidents.get(id)?;
    let mut s = format!("{} {}", inc.id, inc.title);
    if !inc.summary.is_empty() {
        let _ = write!(s, "\n{}", inc.summary);
    }
    Some(s)
}

/// A handover brief: severity, phase, commander and roles, impact, the last status update
/// (when the incident's detail is loaded), open corrective actions.
pub fn brief(state: &State, id: &str) -> Option<String> {
    let inc = state.data.incidents.get(id)?;
    let now = state.sync.now;
    let mut s = String::new();
    let _ = writeln!(s, "{} {} — {}", inc.id, inc.severity, inc.title);
    let _ = writeln!(
        s,
        "Phase: {} (started {} ago)",
        inc.phase.title(),
        fmt::age(now, inc.created_at)
    );
    let _ = writeln!(
        s,
        "Commander: {}",
        inc.commander.as_deref().unwrap_or("unassigned")
    );
    for (role, who) in &inc.roles {
        let _ = writeln!(s, "  {role}: {who}");
    }
    let impact = if inc.customer_impact {
        "customer-impacting"
    } else {
        "no customer impact"
    };
    let scope = if inc.impact_scope.is_empty() {
        String::new()
    } else {
        format!(": {}", inc.impact_scope)
    };
    let _ = writeln!(s, "Impact: {impact}{scope}");
    if !inc.summary.is_empty() {
        let _ = writeln!(s, "Summary: {}", inc.summary);
    }
    if let Some(d) = due(inc) {
        let _ = writeln!(s, "Next customer update: {}", fmt::countdown(now, d).0);
    }
    let last = state
        .ui
        .detail
        .as_ref()
        .filter(|d| d.id == inc.id)
        .and_then(|d| match &d.updates {
            Loadable::Ready(u) => u.last().cloned(),
            _ => None,
        });
    match (last, inc.last_customer_update_at) {
        (Some(u), _) => {
            let audience = match u.audience {
                Audience::Customer => "customer",
                Audience::Internal => "internal",
            };
            let _ = writeln!(
                s,
                "Last update ({audience}, {} ago, {}): {} Next: {}",
                fmt::age(now, u.posted_at),
                u.author,
                u.current_status,
                u.next_steps
            );
        }
        (None, Some(at)) => {
            let _ = writeln!(s, "Last customer update: {} ago", fmt::age(now, at));
        }
        (None, None) => {
            let _ = writeln!(s, "Last update: none yet");
        }
    }
    let mut actions: Vec<_> = state
        .data
        .open_actions
        .values()
        .filter(|a| a.incident_id == inc.id)
        .collect();
    actions.sort_by(|a, b| a.due_date.cmp(&b.due_date).then_with(|| a.id.cmp(&b.id)));
    if actions.is_empty() {
        let _ = writeln!(s, "Open actions: none");
    } else {
        let _ = writeln!(s, "Open actions:");
        for a in actions {
            let late = if a.due_date < now.date_naive() {
                " OVERDUE"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  {} {} (owner {}, due {}{late})",
                a.id, a.title, a.owner, a.due_date
            );
        }
    }
    Some(s)
}

/// The escape sequence that puts `text` on the terminal's clipboard; inside tmux it is
/// wrapped in tmux's passthrough (tmux needs `set -g allow-passthrough on`, or
/// `set-clipboard on` for the plain form).
pub fn osc52(text: &str, tmux: bool) -> String {
    let seq = format!("\x1b]52;c;{}\x07", BASE64_STANDARD.encode(text));
    if tmux {
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    }
}

/// Writes `text` to the clipboard through the terminal on stdout.
pub fn copy(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let mut out = std::io::stdout();
    out.write_all(osc52(text, tmux).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testdata;

    #[test]
    fn osc52_is_wrapped_for_tmux() {
        assert_eq!(osc52("hi", false), "\x1b]52;c;aGk=\x07");
        assert_eq!(osc52("hi", true), "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\");
    }

    /// The terminal decodes the payload back to the exact text, multi-byte characters and
    /// newlines included, and the payload itself is plain base64 (nothing a terminal acts on).
    #[test]
    fn the_osc52_payload_is_the_text_in_standard_base64() {
        let text = "INC-7 Café 決済 — ☕\nsecond line";
        let seq = osc52(text, false);
        let payload = seq
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        assert!(
            payload
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
            "{payload}"
        );
        assert_eq!(BASE64_STANDARD.decode(payload).unwrap(), text.as_bytes());
    }

    #[test]
    fn the_brief_names_severity_phase_people_impact_and_open_actions() {
        let s = testdata::state();
        let (id, inc) = s
            .data
            .incidents
            .iter()
            .find(|(id, _)| s.data.open_actions.values().any(|a| &a.incident_id == *id))
            .expect("an incident with open actions");
        let b = brief(&s, id).unwrap();
        assert!(
            b.starts_with(&format!("{id} {} — {}", inc.severity, inc.title)),
            "{b}"
        );
        assert!(b.contains(&format!("Phase: {}", inc.phase.title())), "{b}");
        assert!(b.contains("Commander: "), "{b}");
        assert!(b.contains("Impact: "), "{b}");
        for a in s
            .data
            .open_actions
            .values()
            .filter(|a| &a.incident_id == id)
        {
            assert!(b.contains(&a.id) && b.contains(&a.title), "{b}");
        }
        let short = id_and_title(&s, id).unwrap();
        assert!(short.starts_with(&format!("{id} {}", inc.title)));
        assert!(brief(&s, "INC-999").is_none());
    }

    #[test]
    fn y_and_shift_y_copy_the_selected_incident() {
        use crate::console::intent::Msg;
        use crate::console::update::{Effect, update};
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let mut s = testdata::state();
        let selected = s.selected_id().unwrap().to_string();
        let key = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        let fx = update(&mut s, key('y'));
        let [Effect::Clipboard(text)] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        assert!(text.starts_with(&format!("{selected} ")), "{text}");
        let fx = update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT)),
        );
        let [Effect::Clipboard(text)] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        assert!(
            text.contains("Phase: ") && text.contains(&selected),
            "{text}"
        );
        assert!(
            s.ui.notice
                .as_ref()
                .unwrap()
                .text
                .contains("handover brief")
        );
    }
}
