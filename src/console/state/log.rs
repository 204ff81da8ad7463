//! Every refusal, error and notice the console has shown, newest last, so a message that
//! the footer had to cut (or that the next key dismissed) can still be read in full.
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// How many messages are kept: enough for a long incident, bounded for a console left open
/// for weeks.
pub const LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// When it was shown, on the server's clock; `None` until `update` stamps it (messages
    /// are raised where the clock is not at hand).
    pub at: Option<DateTime<Utc>>,
    pub level: Level,
    /// The incident the message names, when it names one the console knows.
    pub incident: Option<String>,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct MessageLog {
    entries: VecDeque<LogEntry>,
}

impl MessageLog {
    pub fn push(&mut self, level: Level, text: String) {
        if self.entries.len() >= LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry {
            at: None,
            level,
            incident: None,
            text,
        });
    }

    /// Dates the messages raised since the last call, and names their incident: the first
    /// word of the text that `is_incident` recognises.
    pub fn stamp(&mut self, now: DateTime<Utc>, is_incident: impl Fn(&str) -> bool) {
        for e in self.entries.iter_mut().rev() {
            if e.at.is_some() {
                break;
            }
            e.at = Some(now);
            e.incident = e
                .text
                .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                .find(|w| !w.is_empty() && is_incident(w))
                .map(str::to_string);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().rev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_capacity_messages_and_names_their_incident() {
        let mut log = MessageLog::default();
        for i in 0..LOG_CAPACITY + 20 {
            log.push(Level::Info, format!("message {i}"));
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(
            log.newest_first().last().unwrap().text,
            "message 20",
            "the oldest go first"
        );
        log.push(Level::Error, "refused: INC-7 → Closed: open actions".into());
        let now = chrono::Utc::now();
        log.stamp(now, |w| w == "INC-7");
        let newest = log.newest_first().next().unwrap();
        assert_eq!(newest.incident.as_deref(), Some("INC-7"));
        assert_eq!(newest.at, Some(now));
    }
}
