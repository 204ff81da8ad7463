//! The one gate that untrusted text passes before it can reach a terminal (guarantee G4).
//!
//! Everything the console shows comes from an API that anyone with a token (or an alert
//! integration) can write to. A title containing `ESC ] 52 ; …` could rewrite the clipboard,
//! `ESC [ 2 J` could wipe the war-room screen, and a right-to-left override could make
//! `INC-12 rollback` read as something else. So the client passes every string through
//! [`clean_line`] or [`clean_text`] once, while deserializing into client state; views never
//! see raw API text.

/// Cleans text that may span lines (summaries, update bodies): newlines are kept, every other
/// control character is made visible, escape sequences are removed whole.
pub fn clean_text(s: &str) -> String {
    clean(s, true)
}

/// Cleans a single-line field (ids, titles, names): like [`clean_text`], and a newline
/// becomes a space so one field cannot forge extra rows on the screen.
pub fn clean_line(s: &str) -> String {
    clean(s, false)
}

/// True when [`clean_text`] would change nothing; lets callers skip the allocation on the
/// common, already-clean path.
fn is_clean(s: &str, keep_newlines: bool) -> bool {
    s.chars().all(|c| {
        !(c.is_control() && !(keep_newlines && c == '\n'))
            && bidi_marker(c).is_none()
            && !is_zero_width(c)
            && !matches!(c, '\u{2028}' | '\u{2029}')
    })
}

fn clean(s: &str, keep_newlines: bool) -> String {
    if is_clean(s, keep_newlines) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // 8-bit C1 introducers of the string and CSI sequences.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep_newlines => out.push('\n'),
            '\n' | '\t' | '\u{2028}' | '\u{2029}' => out.push(' '),
            // Control pictures (U+2400 block) keep the character's identity visible.
            c @ '\0'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push('\u{fffd}'),
            c if is_zero_width(c) => {}
            c => match bidi_marker(c) {
                Some(name) => {
                    out.push('[');
                    out.push_str(name);
                    out.push(']');
                }
                None => out.push(c),
            },
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: removes the whole sequence, whatever kind it is.
fn skip_escape(chars: &mut Chars) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        // OSC, DCS, SOS, PM, APC: strings that run until a terminator.
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // nF sequences (ESC, intermediates 0x20-0x2F, one final byte) and two-byte Fp/Fe/Fs.
        Some(_) => {
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        None => {}
    }
}

/// CSI: parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, then one final byte 0x40-0x7E.
/// A malformed sequence ends at the first byte outside those ranges, which is kept.
fn skip_csi(chars: &mut Chars) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// OSC/DCS/SOS/PM/APC: everything up to BEL, ST (`ESC \` or 0x9C). An unterminated string
/// swallows the rest of the field: a terminal would do the same, and showing half of it
/// would show attacker-chosen bytes out of context.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' if chars.next_if_eq(&'\\').is_some() => return,
            _ => {}
        }
    }
}

/// Characters that reorder text: overrides, embeddings, isolates and directional marks.
fn bidi_marker(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202a}' => "LRE",
        '\u{202b}' => "RLE",
        '\u{202c}' => "PDF",
        '\u{202d}' => "LRO",
        '\u{202e}' => "RLO",
        '\u{2066}' => "LRI",
        '\u{2067}' => "RLI",
        '\u{2068}' => "FSI",
        '\u{2069}' => "PDI",
        '\u{200e}' => "LRM",
        '\u{200f}' => "RLM",
        '\u{061c}' => "ALM",
        _ => return None,
    })
}

/// Invisible characters that can hide text or make two ids look equal.
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{180e}' | '\u{00ad}'
    )
}

/// Types whose text fields arrive from the API and must be cleaned before display.
pub trait Sanitize {
    fn sanitize(&mut self);
}

fn line(s: &mut String) {
    if !is_clean(s, false) {
        *s = clean_line(s);
    }
}

fn text(s: &mut String) {
    if !is_clean(s, true) {
        *s = clean_text(s);
    }
}

fn opt_line(s: &mut Option<String>) {
    if let Some(s) = s {
        line(s);
    }
}

impl Sanitize for crate::domain::Incident {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.title);
        text(&mut self.summary);
        opt_line(&mut self.commander);
        let roles = std::mem::take(&mut self.roles);
        self.roles = roles
            .into_iter()
            .map(|(k, v)| (clean_line(&k), clean_line(&v)))
            .collect();
        text(&mut self.impact_scope);
        line(&mut self.source);
    }
}

impl Sanitize for crate::domain::StatusUpdate {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.incident_id);
        text(&mut self.impact_scope);
        text(&mut self.current_status);
        text(&mut self.next_steps);
        line(&mut self.author);
    }
}

impl Sanitize for crate::domain::CorrectiveAction {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.incident_id);
        line(&mut self.title);
        line(&mut self.owner);
    }
}

impl Sanitize for crate::domain::RiskException {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.incident_id);
        text(&mut self.description);
        line(&mut self.risk_accepted_by);
        line(&mut self.recorded_by);
    }
}

impl Sanitize for crate::domain::TimelineEntry {
    fn sanitize(&mut self) {
        line(&mut self.incident_id);
        line(&mut self.actor);
        line(&mut self.kind);
        opt_line(&mut self.field);
        opt_line(&mut self.old);
        opt_line(&mut self.new);
        opt_line(&mut self.reason);
        opt_line(&mut self.note);
    }
}

impl<T: Sanitize> Sanitize for Vec<T> {
    fn sanitize(&mut self) {
        self.iter_mut().for_each(Sanitize::sanitize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csi_sequences_are_removed_whole() {
        assert_eq!(clean_line("a\x1b[2Jb\x1b[1;31mred\x1b[0m"), "abred");
        assert_eq!(clean_line("x\u{9b}2Ky"), "xy");
    }

    #[test]
    fn osc_clipboard_write_is_removed_with_its_payload() {
        assert_eq!(clean_line("pay\x1b]52;c;ZXZpbA==\x07load"), "payload");
        assert_eq!(clean_line("t\x1b]0;title\x1b\\u"), "tu");
        // Unterminated: nothing of the payload survives.
        assert_eq!(clean_line("ok\x1b]8;;http://evil"), "ok");
    }

    #[test]
    fn dcs_apc_pm_sos_are_removed() {
        for intro in ['P', '_', '^', 'X'] {
            let s = format!("a\x1b{intro}payload\x1b\\b");
            assert_eq!(clean_line(&s), "ab", "ESC {intro}");
        }
        assert_eq!(clean_line("a\u{90}q\u{9c}b"), "ab");
    }

    #[test]
    fn other_controls_become_visible() {
        assert_eq!(clean_line("bell\x07"), "bell\u{2407}");
        assert_eq!(clean_line("del\x7f"), "del\u{2421}");
        assert_eq!(clean_line("cr\rlf"), "cr\u{240d}lf");
        assert_eq!(clean_line("c1\u{85}"), "c1\u{fffd}");
        assert_eq!(clean_line("two\nlines\ttab"), "two lines tab");
        assert_eq!(clean_text("two\nlines"), "two\nlines");
    }

    #[test]
    fn bidi_overrides_are_shown_and_zero_width_dropped() {
        assert_eq!(clean_line("INC\u{202e}-12"), "INC[RLO]-12");
        assert_eq!(clean_line("a\u{2066}b\u{2069}"), "a[LRI]b[PDI]");
        assert_eq!(clean_line("IN\u{200b}C-1\u{feff}"), "INC-1");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let s = "Checkout 5xx in eu-west — Zürich, 東京, emoji 🔥";
        assert_eq!(clean_line(s), s);
    }

    #[test]
    fn incident_fields_are_cleaned() {
        let json = serde_json::json!({
            "id": "INC-1", "title": "evil\x1b[2J title", "summary": "line1\nline2\x1b]52;c;x\x07",
            "severity": "SEV1", "phase": "triage", "commander": "ana\u{202e}",
            "roles": {"comms_lead": "bo\x1b[31m"}, "customer_impact": true,
            "impact_scope": "EU", "deployment": "hosted", "recovery_owner": "vendor",
            "source": "pager", "created_at": "2026-11-29T09:00:00Z",
            "updated_at": "2026-11-29T09:00:00Z", "last_customer_update_at": null,
            "next_update_due_at": null, "update_overdue": false, "version": 1
        });
        let mut inc: crate::domain::Incident = serde_json::from_value(json).unwrap();
        inc.sanitize();
        assert_eq!(inc.title, "evil title");
        assert_eq!(inc.summary, "line1\nline2");
        assert_eq!(inc.commander.as_deref(), Some("ana[RLO]"));
        assert_eq!(inc.roles["comms_lead"], "bo");
    }
}
