//! Runs [`Effect`]s as tokio tasks that report back as [`Msg`]s. Nothing here touches
//! `State`: results travel over the channel like key presses do.
use super::intent::{DetailPart, Msg, ReadScope};
use super::state::Tab;
use super::update::Effect;
use crate::client::ApiClient;
use crate::client::outbox::OutboxCmd;
use std::path::PathBuf;
use tokio::sync::mpsc::UnboundedSender;

#[derive(Clone)]
pub struct EffectRunner {
    client: ApiClient,
    tx: UnboundedSender<Msg>,
    outbox: UnboundedSender<OutboxCmd>,
    drafts: Option<std::sync::mpsc::Sender<String>>,
}

impl EffectRunner {
    /// `outbox` and `drafts` are files in the data directory (None: memory only, for tests).
    pub fn new(
        client: ApiClient,
        tx: UnboundedSender<Msg>,
        outbox: Option<PathBuf>,
        drafts: Option<PathBuf>,
    ) -> Self {
        let otx = tx.clone();
        let outbox = crate::client::outbox::spawn(client.clone(), outbox, move |r| {
            otx.send(Msg::Outbox(r)).is_ok()
        });
        // One writer thread for drafts, so saves land in order; a burst of keystrokes
        // writes only the latest.
        let base = client.base().to_string();
        let drafts = drafts.map(|path: PathBuf| {
            let (dtx, drx) = std::sync::mpsc::channel::<String>();
            std::thread::spawn(move || {
                while let Ok(mut json) = drx.recv() {
                    while let Ok(newer) = drx.try_recv() {
                        json = newer;
                    }
                    if let Err(e) = super::drafts_file::save(&path, &base, &json) {
                        tracing::error!(error = %e, "could not save drafts");
                    }
                }
            });
            dtx
        });
        Self {
            client,
            tx,
            outbox,
            drafts,
        }
    }

    pub fn run(&self, effect: Effect) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::LoadAll | Effect::LoadChanges { .. } => {
                tokio::spawn(async move {
                    let (client, skipped) = client.collecting();
                    let incidents = async {
                        match effect {
                            Effect::LoadChanges { since } => client.changed_incidents(since).await,
                            _ => {
                                let since = chrono::Utc::now() - crate::client::RECENT_CLOSED;
                                client.live_incidents(since).await
                            }
                        }
                    };
                    let (incidents, actions) = tokio::join!(incidents, client.open_actions());
                    // A backend without corrective actions (PagerDuty) still loads the
                    // board; the actions view says why it is empty.
                    let actions = match actions {
                        Err(e) if let Some(why) = crate::client::ApiError::unsupported(&e) => {
                            let _ = tx.send(Msg::ActionsUnavailable(why));
                            Ok(vec![])
                        }
                        other => other,
                    };
                    let msg = match (incidents, actions) {
                        (Ok(incidents), Ok(actions)) => {
                            let _ = tx.send(Msg::Unreadable {
                                scope: ReadScope::Lists,
                                records: skipped.take(),
                            });
                            Msg::Loaded { incidents, actions }
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            let error = error_text(&e);
                            tracing::warn!(%error, "load failed");
                            Msg::LoadFailed(error)
                        }
                    };
                    let _ = tx.send(msg);
                });
            }
            Effect::LoadClosed { text, cursor } => {
                tokio::spawn(async move {
                    let (client, skipped) = client.collecting();
                    let msg = match client.closed_page(text.as_deref(), cursor.as_deref()).await {
                        Ok((incidents, next)) => {
                            let _ = tx.send(Msg::Unreadable {
                                scope: ReadScope::ClosedHistory,
                                records: skipped.take(),
                            });
                            Msg::ClosedPage {
                                text,
                                incidents,
                                next,
                            }
                        }
                        Err(e) => Msg::ClosedFailed {
                            text,
                            error: error_text(&e),
                        },
                    };
                    let _ = tx.send(msg);
                });
            }
            Effect::FetchDetail(id) => {
                for tab in Tab::ALL {
                    self.fetch(id.clone(), tab);
                }
            }
            Effect::LoadReview { days } => {
                tokio::spawn(async move {
                    let now = client.clock().now();
                    let period = crate::review::Period::last_days(days, now);
                    let targets = crate::review::Targets::default();
                    let figures = crate::review::cli::records(&client, period)
                        .await
                        .map(|records| {
                            crate::review::figures::last_days(&records, days, &targets, now)
                        })
                        .map_err(|e| error_text(&e));
                    let _ = tx.send(Msg::ReviewLoaded { days, figures });
                });
            }
            Effect::FetchTimeline(id) => self.fetch(id, Tab::Timeline),
            Effect::FetchSignals(id) => self.fetch(id, Tab::Links),
            Effect::Write(w) => {
                let _ = self.outbox.send(OutboxCmd::Send(w));
            }
            Effect::RetryOutbox => {
                let _ = self.outbox.send(OutboxCmd::Retry);
            }
            Effect::DiscardHeldWrites => {
                let _ = self.outbox.send(OutboxCmd::DiscardHeld);
            }
            // The run loop answers this with SaveDrafts when its throttle allows.
            Effect::DraftsChanged => {}
            Effect::SaveDrafts(json) => {
                if let Some(d) = &self.drafts {
                    let _ = d.send(json);
                }
            }
            Effect::WhoAmI => {
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let who = client.whoami().await.map_err(|e| error_text(&e));
                    // Queued writes record whose they are, by name for the message that
                    // holds them from another token.
                    if let Ok(w) = &who {
                        let _ = outbox.send(OutboxCmd::Me(w.name.clone()));
                    }
                    let commander =
                        matches!(&who, Ok(w) if w.role == crate::domain::Role::Commander);
                    let _ = tx.send(Msg::WhoAmI(who));
                    // A backend without webhooks (PagerDuty) answers 501: nothing to show.
                    if commander && let Ok(ids) = crate::webhooks::cli::failing(&client).await {
                        let _ = tx.send(Msg::WebhooksFailing(ids));
                    }
                });
            }
            // Runs on the UI loop between frames, so it never splits a frame's output.
            Effect::Clipboard(text) => {
                if let Err(e) = super::clipboard::copy(&text) {
                    tracing::warn!(error = %e, "clipboard write failed");
                }
            }
        }
    }

    fn fetch(&self, id: String, tab: Tab) {
        let (client, skipped) = self.client.collecting();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let part = match tab {
                Tab::Timeline => client.timeline(&id).await.map(DetailPart::Timeline),
                Tab::Updates => client.updates(&id).await.map(DetailPart::Updates),
                Tab::Actions => client.incident_actions(&id).await.map(DetailPart::Actions),
                Tab::Exceptions => client.exceptions(&id).await.map(DetailPart::Exceptions),
                Tab::Links => client.signals(&id).await.map(DetailPart::Signals),
            };
            let msg = match part {
                Ok(part) => {
                    let _ = tx.send(Msg::Unreadable {
                        scope: ReadScope::Detail(tab),
                        records: skipped.take(),
                    });
                    Msg::DetailLoaded { id, part }
                }
                Err(e) if let Some(message) = crate::client::ApiError::unsupported(&e) => {
                    Msg::DetailUnavailable { id, tab, message }
                }
                Err(e) => Msg::DetailFailed {
                    id,
                    tab,
                    error: error_text(&e),
                },
            };
            let _ = tx.send(msg);
        });
    }
}

/// An error for the screen and the log. Its chain can quote API data (a decoding error
/// names the unexpected value), so it is sanitized like any other API text.
fn error_text(e: &anyhow::Error) -> String {
    crate::sanitize::clean_line(&format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_text_is_sanitized() {
        // A decoding error quotes the value the server sent.
        let e = anyhow::anyhow!("invalid type: string \"\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}x\"")
            .context("GET /incidents");
        let text = super::error_text(&e);
        assert_eq!(text, "GET /incidents: invalid type: string \"[RLO]x\"");
    }
}
