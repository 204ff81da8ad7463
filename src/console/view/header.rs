//! The two header rows: which backend, whether the data is live, open incidents per
//! severity, overdue customer updates, and the clock.
use super::fmt::put;
use super::fmt::{clock, hms, late_by};
use crate::console::state::{Conn, State};
use crate::domain::Severity;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

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

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let y = area.y;
    let right = area.right();
    buf.set_style(Rect { height: 1, ..area }, t.header);
    let mut x = put(
        buf,
        area.x,
        y,
        " sitrep ",
        area.width,
        t.header.patch(t.title),
    );
    x = put(
        buf,
        x,
        y,
        &format!("│ {} ", state.settings.backend),
        right - x,
        t.header,
    );

    let as_of = state
        .sync
        .as_of
        .map(|a| format!(" as of {} ", hms(a)))
        .unwrap_or_else(|| " no data yet ".into());
    let (label, style) = match &state.sync.conn {
        Conn::Live => (" LIVE ".to_string(), t.live),
        Conn::Connecting => (" CONNECTING ".to_string(), t.reconnecting),
        Conn::Reconnecting { .. } if state.sync.is_stale() => (format!(" STALE{as_of}"), t.stale),
        Conn::Reconnecting { .. } => (format!(" RECONNECTING{as_of}"), t.reconnecting),
    };
    x = put(buf, x, y, "│", right - x, t.header);
    x = put(buf, x, y, &label, right.saturating_sub(x), style);
    if state.settings.writes_disabled() {
        x = put(
            buf,
            x + 1,
            y,
            " READ-ONLY ",
            right.saturating_sub(x + 1),
            t.reconnecting,
        );
    }
    // Records the client had to skip: short here, where it is seen at any width; row 2 says
    // which.
    if let (n @ 1.., _) = state.sync.unreadable() {
        x = put(
            buf,
            x + 1,
            y,
            &format!(" {n} UNREADABLE "),
            right.saturating_sub(x + 1),
            t.reconnecting,
        );
    }
    if let Some(first) = state.settings.webhooks_failing.first() {
        let n = state.settings.webhooks_failing.len();
        let s = if n == 1 {
            format!(" webhook {first} FAILING ")
        } else {
            format!(" {n} webhooks FAILING ")
        };
        x = put(buf, x + 1, y, &s, right.saturating_sub(x + 1), t.overdue);
    }
    let pending = state.pending_count();
    if pending > 0 {
        x = put(
            buf,
            x + 1,
            y,
            &format!(" {pending} pending "),
            right.saturating_sub(x + 1),
            t.reconnecting,
        );
    }
    let time = format!(" {} UTC ", clock(state.sync.now, state.settings.seconds));
    let cw = time.len() as u16;
    if area.width > cw {
        put(buf, right - cw, y, &time, cw, t.header.patch(t.title));
        // The clock shown is the server's; when this machine's is far off, say so (it
        // explains why the time here differs from the taskbar's).
        if let Some(skew) = state.sync.clock_offset.and_then(skew) {
            let sw = skew.chars().count() as u16;
            if right - cw > x + sw + 1 {
                put(buf, right - cw - sw, y, &skew, sw, t.reconnecting);
            }
        }
    }

    // Row 2: counts. Before the first load nothing is known: a 0 would look calm.
    let y = y + 1;
    let known = state.sync.loaded;
    let mut x = put(buf, area.x, y, " Open ", area.width, t.dim);
    for sev in Severity::ALL {
        let n = state.data.open_count(*sev);
        let style = if n > 0 { t.severity(*sev) } else { t.dim };
        x = put(buf, x, y, sev.as_str(), right - x, style);
        let count = if known { n.to_string() } else { "–".into() };
        x = put(
            buf,
            x,
            y,
            &format!(" {count}  "),
            right - x,
            if n > 0 { t.base } else { t.dim },
        );
    }
    x = put(buf, x, y, "│ ", right - x, t.dim);
    if !known {
        x = put(
            buf,
            x,
            y,
            "customer updates: unknown (no data yet)",
            right - x,
            t.reconnecting,
        );
    } else if let Some(s) = overdue_line(state, right.saturating_sub(x) as usize) {
        x = put(buf, x, y, &s, right - x, t.overdue);
    } else {
        x = put(buf, x, y, "customer updates on time", right - x, t.dim);
    }
    if !state.ui.filter.is_empty() {
        x = put(buf, x, y, "  │ filter: ", right - x, t.dim);
        x = put(buf, x, y, &state.ui.filter.raw, right - x, t.key);
    }
    // Records the client skipped: the board is incomplete, and the commander must know.
    if let (n @ 1.., Some(first)) = state.sync.unreadable() {
        let s = format!(
            " {n} record{} could not be read ({first}) ",
            if n == 1 { "" } else { "s" }
        );
        x = put(buf, x + 1, y, "│", right.saturating_sub(x + 1), t.dim);
        put(buf, x, y, &s, right.saturating_sub(x), t.reconnecting);
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
    // The first that fits; a list of several is cut at its end, which `put` marks.
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
