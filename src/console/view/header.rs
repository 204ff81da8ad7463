//! The two header rows: which backend, whether the data is live, open incidents per
//! severity, overdue customer updates, and the clock.
use super::fmt::{clock, fit_spans, hms, late_by, truncate, width as width_of};
use crate::console::state::{Conn, State};
use crate::domain::Severity;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Widget;

/// This machine's clock is called off in the header from this far from the server's on.
/// Countdowns are right either way (they run on the server's time); below this the
/// difference is lost in the minute-resolution display anyway.
pub const CLOCK_NOTICE_SECS: i64 = 30;

/// " clock 15m fast " for an offset (server minus local) of -15 minutes; `None` when the
/// clocks agree to within [`CLOCK_NOTICE_SECS`].
pub fn skew(offset: chrono::Duration) -> Option<String> {
    let ms = offset.num_milliseconds();
    if ms.abs() < CLOCK_NOTICE_SECS * 1000 {
        return None;
    }
    let way = if ms < 0 { "fast" } else { "slow" };
    // To the nearest minute: the estimate is good to a second, and 899.6 s is "15m".
    let secs = (ms.abs() + 30_000) / 60_000 * 60;
    let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let by = super::fmt::age(now + chrono::Duration::seconds(secs), now);
    Some(format!(" clock {by} {way} "))
}

/// What the header shows, borrowed from the state.
pub struct Header<'a> {
    state: &'a State,
}

impl<'a> Header<'a> {
    pub fn new(state: &'a State) -> Self {
        Header { state }
    }

    /// Row 1, left to right: the backend, the connection, and whatever is wrong, in `room`
    /// columns: the backend's address is shortened first, so the flags (pending writes,
    /// unreadable records, failing webhooks) are read whole.
    fn status(&self, room: usize) -> Vec<Span<'a>> {
        let state = self.state;
        let t = &state.settings.theme;
        let as_of = state
            .sync
            .as_of
            .map(|a| format!(" as of {} ", hms(a)))
            .unwrap_or_else(|| " no data yet ".into());
        let (label, style) = match &state.sync.conn {
            Conn::Live => (" LIVE ".to_string(), t.live),
            Conn::Connecting => (" CONNECTING ".to_string(), t.reconnecting),
            Conn::Reconnecting { .. } if state.sync.is_stale() => {
                (format!(" STALE{as_of}"), t.stale)
            }
            Conn::Reconnecting { .. } => (format!(" RECONNECTING{as_of}"), t.reconnecting),
        };
        let mut spans = vec![
            Span::styled(" sitrep ", t.header.patch(t.title)),
            Span::styled(format!("│ {} ", state.settings.backend), t.header),
            Span::styled("│", t.header),
            Span::styled(label, style),
        ];
        // Each flag is a badge of its own, a cell apart.
        let mut flag = |text: String, style: Style| {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(text, style));
        };
        if state.settings.writes_disabled() {
            flag(" READ-ONLY ".into(), t.reconnecting);
        }
        // Records the client had to skip: short here, where it is seen at any width; row 2
        // says which.
        if let (n @ 1.., _) = state.sync.unreadable() {
            flag(format!(" {n} UNREADABLE "), t.reconnecting);
        }
        if let Some(first) = state.settings.webhooks_failing.first() {
            let n = state.settings.webhooks_failing.len();
            let s = if n == 1 {
                format!(" webhook {first} FAILING ")
            } else {
                format!(" {n} webhooks FAILING ")
            };
            flag(s, t.overdue);
        }
        let pending = state.pending_count();
        if pending > 0 {
            flag(format!(" {pending} pending "), t.reconnecting);
        }
        let used: usize = spans.iter().map(|s| width_of(&s.content)).sum();
        if let Some(over) = used.checked_sub(room).filter(|o| *o > 0) {
            let backend = &state.settings.backend;
            let keep = width_of(backend).saturating_sub(over).max(12);
            spans[1] = Span::styled(format!("│ {} ", truncate(backend, keep)), t.header);
        }
        spans
    }

    /// Row 2: open incidents per severity, customer updates, the filter, skipped records.
    /// Before the first load nothing is known: a 0 would look calm.
    fn counts(&self, width: usize) -> Vec<Span<'a>> {
        let state = self.state;
        let t = &state.settings.theme;
        let known = state.sync.loaded;
        let mut spans = vec![Span::styled(" Open ", t.dim)];
        for sev in Severity::ALL {
            let n = state.data.open_count(*sev);
            let style = if n > 0 { t.severity(*sev) } else { t.dim };
            spans.push(Span::styled(sev.as_str(), style));
            let count = if known { n.to_string() } else { "–".into() };
            spans.push(Span::styled(
                format!(" {count}  "),
                if n > 0 { t.base } else { t.dim },
            ));
        }
        spans.push(Span::styled("│ ", t.dim));
        let used: usize = spans.iter().map(|s| width_of(&s.content)).sum();
        if !known {
            spans.push(Span::styled(
                "customer updates: unknown (no data yet)",
                t.reconnecting,
            ));
        } else if let Some(s) = overdue_line(state, width.saturating_sub(used)) {
            spans.push(Span::styled(s, t.overdue));
        } else {
            spans.push(Span::styled("customer updates on time", t.dim));
        }
        if !state.ui.filter.is_empty() {
            spans.push(Span::styled("  │ filter: ", t.dim));
            spans.push(Span::styled(state.ui.filter.raw.as_str(), t.key));
        }
        // Records the client skipped: the board is incomplete, and the commander must know.
        if let (n @ 1.., Some(first)) = state.sync.unreadable() {
            let s = format!(
                " {n} record{} could not be read ({first}) ",
                if n == 1 { "" } else { "s" }
            );
            spans.push(Span::raw(" "));
            spans.push(Span::styled("│", t.dim));
            spans.push(Span::styled(s, t.reconnecting));
        }
        spans
    }
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let t = &state.settings.theme;
        let [top, second] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let width = area.width as usize;
        buf.set_style(top, t.header);
        let time = format!(" {} UTC ", clock(state.sync.now, state.settings.seconds));
        let cw = time.len() as u16;
        // The status ends where the clock begins, so the clock never covers a flag.
        let room = width.saturating_sub(time.len());
        let status = fit_spans(self.status(room), room);
        let status_end = area.x + status.width() as u16;
        status.render(top, buf);
        if area.width > cw {
            let right = area.right();
            let at = Rect::new(right - cw, top.y, cw, 1);
            Span::styled(time, t.header.patch(t.title)).render(at, buf);
            // The clock shown is the server's; when this machine's is far off, say so (it
            // explains why the time here differs from the taskbar's).
            if let Some(skew) = state.sync.clock_offset.and_then(skew) {
                let sw = skew.chars().count() as u16;
                if right - cw > status_end + sw + 1 {
                    let at = Rect::new(right - cw - sw, top.y, sw, 1);
                    Span::styled(skew, t.reconnecting).render(at, buf);
                }
            }
        }
        fit_spans(self.counts(width), width).render(second, buf);
    }
}

/// ` INC-7 customer update OVERDUE 12m (! jumps) `, or ` 3 overdue (! jumps): INC-7 12m,
/// INC-9 5m, … ` (most overdue first): the key that jumps to the first is said before the
/// list, and where `room` columns are too few the words get shorter rather than the key or
/// the minutes being cut.
fn overdue_line(state: &State, room: usize) -> Option<String> {
    let now = state.sync.now;
    let seconds = state.settings.seconds;
    let mut late = state.data.overdue(now).peekable();
    let (due, id) = late.next()?;
    let key = state
        .settings
        .keymap
        .key_for(state.ui.mode(), crate::console::intent::Intent::MostOverdue);
    let first = format!("{id} {}", late_by(now, due, seconds));
    let candidates: Vec<String> = if late.peek().is_none() {
        let by = late_by(now, due, seconds);
        let words = ["customer update OVERDUE", "update OVERDUE", "OVERDUE"];
        let hints = match key {
            Some(k) => vec![format!(" ({k} jumps)"), format!(" ({k})")],
            None => vec![String::new()],
        };
        let by = &by;
        hints
            .iter()
            .flat_map(|h| words.iter().map(move |w| format!(" {id} {w} {by}{h} ")))
            .collect()
    } else {
        let rest: Vec<String> = late
            .map(|(d, id)| format!("{id} {}", late_by(now, d, seconds)))
            .collect();
        let n = rest.len() + 1;
        let list = format!("{first}, {}", rest.join(", "));
        match key {
            Some(k) => vec![
                format!(" {n} overdue ({k} jumps): {list} "),
                format!(" {n} overdue ({k}): {list} "),
            ],
            None => vec![format!(" {n} overdue: {list} ")],
        }
    };
    // The first that fits; a list of several is cut at its end, which `fit_spans` marks.
    let fits = |s: &String| super::fmt::width(s.trim_end()) <= room;
    candidates
        .iter()
        .find(|s| fits(s))
        .or(candidates.last())
        .cloned()
}

#[cfg(test)]
mod tests {
    use crate::console::intent::Msg;
    use crate::console::testdata::{self, clock};
    use crate::console::update::update;
    use crate::domain::{Phase, Severity};
    use chrono::Duration;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    /// A live console whose only incident is a SEV1 owing a customer update at `due`.
    fn owing(due: chrono::DateTime<chrono::Utc>) -> crate::console::State {
        let mut s = crate::console::State::new(
            "demo",
            crate::console::keymap::Keymap::default_keymap(),
            crate::console::theme::Theme::color(),
            clock(),
        );
        let mut inc = testdata::incident("INC-900", Severity::Sev1, Phase::Containment);
        inc.customer_impact = true;
        inc.next_update_due_at = Some(due);
        s.set_incidents(vec![inc]);
        s.sync.loaded = true;
        s.sync.conn = crate::console::state::Conn::Live;
        s
    }

    fn screen(state: &mut crate::console::State) -> String {
        let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
        t.draw(|f| crate::console::view::render(state, f)).unwrap();
        let buf = t.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    #[test]
    fn at_80_columns_the_pending_count_is_read_whole_beside_the_clock() {
        let mut s = owing(clock() + Duration::minutes(30));
        s.settings.backend = "https://sitrep.incident-response.example.com".into();
        s.sync.as_of = Some(clock());
        s.sync.conn = crate::console::state::Conn::Reconnecting {
            since: clock(),
            error: "connection refused".into(),
        };
        s.sync.outbox_waiting = 12;
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| crate::console::view::render(&s, f)).unwrap();
        let buf = t.backend().buffer();
        let top: String = (0..80).map(|x| buf[(x, 0)].symbol()).collect();
        assert!(top.contains(" 12 pending "), "{top}");
        assert!(top.contains("RECONNECTING as of"), "{top}");
        assert!(top.trim_end().ends_with("UTC"), "{top}");
        assert!(
            top.contains("https://sitrep"),
            "the address is shortened, not dropped: {top}"
        );
    }

    #[test]
    fn a_commander_sees_a_failing_webhook_in_the_header() {
        let mut s = owing(clock() + Duration::minutes(30));
        assert!(!screen(&mut s).contains("FAILING"));
        update(&mut s, Msg::WebhooksFailing(vec!["WH-2".into()]));
        let top = screen(&mut s).lines().next().unwrap().to_string();
        assert!(top.contains("webhook WH-2 FAILING"), "{top}");
    }

    #[test]
    fn at_80_columns_the_overdue_line_keeps_its_minutes_and_its_key() {
        let mut s = owing(clock() - Duration::minutes(3));
        update(&mut s, Msg::Tick(clock()));
        let row = |s: &mut crate::console::State| {
            let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
            t.draw(|f| crate::console::view::render(s, f)).unwrap();
            let buf = t.backend().buffer();
            (0..80).map(|x| buf[(x, 1)].symbol()).collect::<String>()
        };
        let one = row(&mut s);
        assert!(one.contains("INC-900 update OVERDUE 3m (! jumps)"), "{one}");
        assert!(!one.contains('…'), "{one}");
        let mut other = testdata::incident("INC-901", Severity::Sev2, Phase::Triage);
        other.customer_impact = true;
        other.next_update_due_at = Some(clock() - Duration::minutes(1));
        s.upsert(other);
        let two = row(&mut s);
        assert!(
            two.contains("2 overdue (!): INC-900 3m, INC-901 1m"),
            "{two}"
        );
    }

    #[test]
    fn the_card_turns_overdue_in_the_same_frame_as_the_header() {
        let due = clock() + Duration::seconds(10);
        let mut s = owing(due);
        update(&mut s, Msg::Tick(due - Duration::milliseconds(1)));
        let before = screen(&mut s);
        assert!(before.contains("customer updates on time"), "{before}");
        assert!(before.contains("upd 1m"), "{before}");
        // A millisecond past due: the header counts it, and the card says so too (it said
        // `upd 0m` until the next minute).
        assert!(update(&mut s, Msg::Tick(due + Duration::milliseconds(1))).is_empty());
        assert!(s.ui.dirty, "falling due redraws at once");
        let after = screen(&mut s);
        assert!(
            after.contains("INC-900 customer update OVERDUE <1m"),
            "{after}"
        );
        assert!(after.contains("OVERDUE <1m"), "{after}");
        assert!(!after.contains("upd 0m"), "{after}");
        // Seconds resolution agrees too.
        s.settings.seconds = true;
        let secs = screen(&mut s);
        assert!(secs.contains("OVERDUE 00:00"), "{secs}");
    }

    #[test]
    fn a_far_off_local_clock_is_called_out_and_countdowns_use_the_servers_time() {
        let mut s = owing(clock() - Duration::minutes(2));
        // This machine is 15 minutes slow: its own clock says 13 minutes to go.
        update(&mut s, Msg::Tick(clock() - Duration::minutes(15)));
        assert!(screen(&mut s).contains("customer updates on time"));
        update(
            &mut s,
            Msg::ClockOffset {
                now: clock(),
                offset: Duration::minutes(15),
            },
        );
        let text = screen(&mut s);
        assert!(text.contains("clock 15m slow"), "{text}");
        assert!(
            text.contains("INC-900 customer update OVERDUE 2m"),
            "{text}"
        );
        assert!(text.contains("OVERDUE 2m"), "{text}");
        assert!(text.contains("10:00 UTC"), "the server's time: {text}");
        // Within half a minute nothing is said; a fast clock says fast.
        assert_eq!(super::skew(Duration::seconds(29)), None);
        assert_eq!(super::skew(Duration::seconds(-29)), None);
        assert_eq!(
            super::skew(Duration::milliseconds(899_600)).as_deref(),
            Some(" clock 15m slow ")
        );
        assert_eq!(
            super::skew(Duration::seconds(30)).as_deref(),
            Some(" clock 1m slow ")
        );
        assert_eq!(
            super::skew(-Duration::minutes(15)).as_deref(),
            Some(" clock 15m fast ")
        );
        assert_eq!(
            super::skew(Duration::minutes(125)).as_deref(),
            Some(" clock 2h05m slow ")
        );
    }
}
