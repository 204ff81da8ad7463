//! `enter` on a corrective action: edit its title, owner, due date or status. Only what
//! changed is sent.
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted, parse_date};
use crate::domain::{ActionPatch, ActionStatus, CorrectiveAction, Incident};

pub fn open(a: &CorrectiveAction, inc: Option<&Incident>) -> Form {
    let mut form = Form::new(
        FormKind::EditAction,
        inc,
        vec![
            Field::text("title", "Title", a.title.clone()).required(),
            Field::text("owner", "Owner", a.owner.clone()).required(),
            Field::text("due_date", "Due date", a.due_date.to_string())
                .required()
                .hint("YYYY-MM-DD"),
            Field::choice(
                "status",
                "Status",
                &["open", "in_progress", "done", "cancelled"],
                a.status.as_str(),
            ),
        ],
    );
    form.action_id = Some(a.id.clone());
    form.incident_id = Some(a.incident_id.clone());
    form.context = format!("{} {} · {}", a.id, a.title, a.incident_id);
    form.seen = Some(Seen::Action(a.clone()));
    form
}

pub fn submit(f: &Form, seen: &CorrectiveAction) -> Result<Submitted, String> {
    let due = parse_date(f.get("due_date")).ok_or("due date: YYYY-MM-DD")?;
    let status: ActionStatus = f.get("status").parse()?;
    let changed = |new: &str, old: &str| (new != old).then(|| new.to_string());
    let patch = ActionPatch {
        title: changed(f.get("title"), &seen.title),
        owner: changed(f.get("owner"), &seen.owner),
        due_date: (due != seen.due_date).then_some(due),
        status: (status != seen.status).then_some(status),
        priority: None,
    };
    if patch == ActionPatch::default() {
        return Err("nothing changed".into());
    }
    Ok(Submitted::Send(Prepared {
        command: Command::PatchAction {
            id: seen.id.clone(),
            incident_id: seen.incident_id.clone(),
            patch,
        },
        label: format!("edit {} on {}", seen.id, seen.incident_id),
        seen: Some(Seen::Action(seen.clone())),
    }))
}
