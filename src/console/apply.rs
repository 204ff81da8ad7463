//! Live changes applied to local state in place: the router (`update`) calls it for live
//! events, and the write path (`triage`) for the server's answer to our own writes.
use super::msg::Effect;
use super::state::{Detail, Loadable, State};
use crate::client::LiveEvent;
use crate::domain::CorrectiveAction;

/// Applies one live change to local state: no re-fetch, except the open detail's timeline
/// (and its signals, when the entry notes a new one).
pub fn apply_event(state: &mut State, event: LiveEvent) -> Vec<Effect> {
    // The server notes every signal it stores on the timeline (kinds `signal`,
    // `signal_resolved`); signals have no event of their own.
    let new_signal = matches!(&event, LiveEvent::Timeline(t) if t.kind.starts_with("signal"));
    let incident_id = match &event {
        LiveEvent::Incident(i) => i.id.clone(),
        LiveEvent::UpdatePosted(u) => u.incident_id.clone(),
        LiveEvent::Action(a) => a.incident_id.clone(),
        LiveEvent::Exception(e) => e.incident_id.clone(),
        LiveEvent::Timeline(t) => t.incident_id.clone(),
    };
    let changed = match event {
        LiveEvent::Incident(inc) => {
            let changed = state.upsert(inc);
            state.ui.clamp_board_col();
            changed
        }
        LiveEvent::UpdatePosted(u) => {
            if let Some(Loadable::Ready(list)) =
                detail_for(state, &u.incident_id).map(|d| &mut d.updates)
            {
                if !list.iter().any(|x| x.id == u.id) {
                    list.push(u);
                }
                state.ui.dirty = true;
            }
            true
        }
        LiveEvent::Action(a) => {
            upsert_action(state, a);
            true
        }
        LiveEvent::Exception(e) => {
            if let Some(Loadable::Ready(list)) =
                detail_for(state, &e.incident_id).map(|d| &mut d.exceptions)
            {
                if !list.iter().any(|x| x.id == e.id) {
                    list.push(e);
                }
                state.ui.dirty = true;
            }
            true
        }
        // The open detail re-reads its timeline below; nothing else shows entries.
        LiveEvent::Timeline(_) => true,
    };
    if changed
        && state
            .ui
            .detail
            .as_ref()
            .is_some_and(|d| d.id == incident_id)
    {
        if new_signal {
            return vec![
                Effect::FetchTimeline(incident_id.clone()),
                Effect::FetchSignals(incident_id),
            ];
        }
        return vec![Effect::FetchTimeline(incident_id)];
    }
    vec![]
}

fn detail_for<'a>(state: &'a mut State, id: &str) -> Option<&'a mut Detail> {
    state.ui.detail.as_mut().filter(|d| d.id == id)
}

fn upsert_action(state: &mut State, a: CorrectiveAction) {
    let newer = |old: Option<&CorrectiveAction>| old.is_none_or(|o| o.version < a.version);
    if a.status.is_open() {
        if newer(state.data.open_actions.get(&a.id)) {
            state.data.open_actions.insert(a.id.clone(), a.clone());
            state.ui.dirty = true;
        }
    } else if state.data.open_actions.remove(&a.id).is_some() {
        state.ui.dirty = true;
    }
    state.fix_actions_cursor();
    if let Some(Loadable::Ready(list)) = detail_for(state, &a.incident_id).map(|d| &mut d.actions) {
        match list.iter_mut().find(|x| x.id == a.id) {
            Some(x) if x.version < a.version => *x = a,
            Some(_) => {}
            None => list.push(a),
        }
        state.ui.dirty = true;
    }
}
