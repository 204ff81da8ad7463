//! An incremental parser for `text/event-stream`, fed with whatever chunks the network
//! delivers (a line may be split across chunks).

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// What a chunk of the stream contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    Event(SseEvent),
    /// A `:` comment line: the server's heartbeat, proof the connection is alive.
    Comment,
    /// An `id:` without data: no event, but the stream's position (the last event id a
    /// reconnect sends), as the spec has browsers keep it.
    Position(String),
}

#[derive(Default)]
pub struct SseParser {
    buf: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    /// The last `retry:` the server sent: its reconnection time.
    retry: Option<std::time::Duration>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// The reconnection time the server asked for with `retry:` (milliseconds, digits
    /// only, as the spec says; anything else is ignored), if it did.
    pub fn retry(&self) -> Option<std::time::Duration> {
        self.retry
    }

    /// Feeds bytes, returning every complete item they finish.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                // A CR at the very end may be the first half of CRLF: wait for more bytes.
                if b == b'\r' && i + 1 == self.buf.len() {
                    break;
                }
                let line = String::from_utf8_lossy(&self.buf[start..i]).into_owned();
                self.line(&line, &mut out);
                if b == b'\r' && self.buf.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            i += 1;
        }
        self.buf.drain(..start);
        out
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseItem>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(SseItem::Event(SseEvent {
                    id: self.id.take(),
                    event: self.event.take().unwrap_or_else(|| "message".into()),
                    data,
                }));
            } else {
                if let Some(id) = self.id.take() {
                    out.push(SseItem::Position(id));
                }
                self.event = None;
            }
            return;
        }
        if line.starts_with(':') {
            out.push(SseItem::Comment);
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "event" => self.event = Some(value.to_string()),
            "id" if !value.contains('\0') => self.id = Some(value.to_string()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(std::time::Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(items: Vec<SseItem>) -> Vec<SseEvent> {
        items
            .into_iter()
            .filter_map(|i| match i {
                SseItem::Event(e) => Some(e),
                SseItem::Comment | SseItem::Position(_) => None,
            })
            .collect()
    }

    #[test]
    fn parses_events_split_across_chunks() {
        let mut p = SseParser::new();
        assert!(p.feed(b"id: 7\nevent: incident.upd").is_empty());
        let got = events(p.feed(b"ated\ndata: {\"a\":1}\n\n: keepalive\n\n"));
        assert_eq!(
            got,
            vec![SseEvent {
                id: Some("7".into()),
                event: "incident.updated".into(),
                data: "{\"a\":1}".into()
            }]
        );
    }

    #[test]
    fn an_id_without_data_is_the_streams_position_not_an_event() {
        let mut p = SseParser::new();
        assert_eq!(
            p.feed(b"retry: 2000\nid: 42\n\n"),
            vec![SseItem::Position("42".into())]
        );
        assert!(p.feed(b"event: x\n\n").is_empty());
    }

    #[test]
    fn retry_sets_the_reconnection_time_and_bad_values_are_ignored() {
        let mut p = SseParser::new();
        assert_eq!(p.retry(), None);
        assert!(p.feed(b"retry: 2000\n\n").is_empty(), "no event of its own");
        assert_eq!(p.retry(), Some(std::time::Duration::from_millis(2000)));
        p.feed(b"retry: 1.5\nretry: soon\nretry:\n\n");
        assert_eq!(p.retry(), Some(std::time::Duration::from_millis(2000)));
        p.feed(b"retry:750\n");
        assert_eq!(p.retry(), Some(std::time::Duration::from_millis(750)));
    }

    #[test]
    fn heartbeats_are_reported_and_crlf_is_a_line_end() {
        let mut p = SseParser::new();
        let items = p.feed(b": ping\r\n\r\nid:1\r");
        assert_eq!(items, vec![SseItem::Comment]);
        let got = events(p.feed(b"\ndata: x\r\ndata: y\r\n\r\n"));
        assert_eq!(got[0].data, "x\ny");
        assert_eq!(got[0].id.as_deref(), Some("1"));
        assert_eq!(got[0].event, "message");
    }
}
