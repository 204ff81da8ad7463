//! Paging the closed history from the server: the console holds what is live, and the
//! closed view (`z`, `:closed`) or a filter that shows closed incidents fetches older ones a
//! page at a time, the next page when the person scrolls near the end of what is loaded.
use super::msg::Effect;
use super::state::{ClosedHistory, State, View};
use crate::domain::{Incident, Phase};

/// How close to the end of the loaded rows the selection comes before the next page is
/// asked for, so scrolling rarely waits.
const AHEAD: usize = 5;

/// The closed view is shown, or its filter changed: start paging for the filter's text
/// unless that has begun already.
pub fn shown(state: &mut State) -> Vec<Effect> {
    if !state.ui.show_closed {
        return vec![];
    }
    let text = state.ui.filter.server_text();
    if state.history.started && state.history.text == text {
        return near_end(state);
    }
    state.history = ClosedHistory {
        text: text.clone(),
        started: true,
        loading: true,
        ..ClosedHistory::default()
    };
    state.ui.dirty = true;
    vec![Effect::LoadClosed { text, cursor: None }]
}

/// The next page, when the person moved the selection near the end of the rows that closed
/// incidents fill (the list, or the board's Closed column).
pub fn near_end(state: &mut State) -> Vec<Effect> {
    if !state.ui.show_closed || !state.history.can_page() {
        return vec![];
    }
    let (row, len) = match state.ui.view {
        View::List => (state.ui.list_cursor.row, state.data.list.len()),
        View::Board => {
            let Some(phase) = state.ui.visible_phases().get(state.ui.board_col) else {
                return vec![];
            };
            if *phase != Phase::Closed {
                return vec![];
            }
            let i = *phase as usize;
            (state.ui.column_cursors[i].row, state.data.columns[i].len())
        }
        View::Actions | View::Review => return vec![],
    };
    if row + AHEAD < len {
        return vec![];
    }
    state.history.loading = true;
    state.history.error = None;
    state.ui.dirty = true;
    vec![Effect::LoadClosed {
        text: state.history.text.clone(),
        cursor: state.history.next.clone(),
    }]
}

/// A page arrived. One asked for another text (the filter changed meanwhile) still shows
/// its incidents but no longer moves the paging.
pub fn page(
    state: &mut State,
    text: Option<String>,
    incidents: Vec<Incident>,
    next: Option<String>,
) -> Vec<Effect> {
    let n = incidents.len();
    state.set_incidents(incidents);
    if state.history.text != text {
        return vec![];
    }
    state.history.loading = false;
    state.history.error = None;
    state.history.fetched += n;
    state.history.next = next;
    state.ui.dirty = true;
    // The next page waits for the person to scroll on: the list's order (severity, age…)
    // is not the history's, so a selection near the end now says nothing about wanting more.
    vec![]
}

pub fn failed(state: &mut State, text: Option<String>, error: String) {
    if state.history.text == text {
        state.history.loading = false;
        state.history.error = Some(error);
        state.ui.dirty = true;
    }
}
