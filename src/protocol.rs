//! What the client and the servers (sitrep's own and the PagerDuty gateway) agree on beyond
//! the OpenAPI document: the kinds of live event and the event stream's headers. Named
//! once here, so a kind cannot be spelled one way by the writer and another by the reader.

/// The response header in which a server gives its event-stream heartbeat, in whole
/// seconds; a client that hears nothing for twice that long reconnects.
pub const HEARTBEAT_HEADER: &str = "sitrep-heartbeat";

/// The header naming a server run: a server sends it on an event stream, and a client
/// resuming with `Last-Event-ID` sends back the one it last received, so a database put
/// back from an older copy is recognised and the client re-lists instead of resuming.
pub const RUN_HEADER: &str = "sitrep-run";

/// What a run name looks like (a server makes 16 hexadecimal digits); anything else in the
/// header is ignored by a client and unknown to a server.
pub fn is_run_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `event:` of a live change on `GET /events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    IncidentCreated,
    IncidentUpdated,
    UpdatePosted,
    ActionCreated,
    ActionUpdated,
    ExceptionCreated,
    /// A note appended to an incident's timeline.
    TimelineAppended,
    /// The log no longer holds the client's id (or it is from another epoch): re-list.
    Reset,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::IncidentCreated,
        EventKind::IncidentUpdated,
        EventKind::UpdatePosted,
        EventKind::ActionCreated,
        EventKind::ActionUpdated,
        EventKind::ExceptionCreated,
        EventKind::TimelineAppended,
        EventKind::Reset,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::IncidentCreated => "incident.created",
            EventKind::IncidentUpdated => "incident.updated",
            EventKind::UpdatePosted => "update.posted",
            EventKind::ActionCreated => "action.created",
            EventKind::ActionUpdated => "action.updated",
            EventKind::ExceptionCreated => "exception.created",
            EventKind::TimelineAppended => "timeline.appended",
            EventKind::Reset => "reset",
        }
    }

    /// None for a kind this build does not know (a newer server's): clients skip it.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_and_unknown_ones_are_none() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("incident.deleted"), None);
    }
}
