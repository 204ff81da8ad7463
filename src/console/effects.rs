//! Runs [`Effect`]s as tokio tasks that report back as [`Msg`]s. Nothing here touches
//! `State`: results travel over the channel like key presses do.
use super::action::{DetailPart, Msg};
use super::state::Tab;
use super::update::Effect;
use crate::client::ApiClient;
use tokio::sync::mpsc::UnboundedSender;

#[derive(Clone)]
pub struct EffectRunner {
    client: ApiClient,
    tx: UnboundedSender<Msg>,
}

impl EffectRunner {
    pub fn new(client: ApiClient, tx: UnboundedSender<Msg>) -> Self {
        Self { client, tx }
    }

    pub fn run(&self, effect: Effect) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::LoadAll => {
                tokio::spawn(async move {
                    let (incidents, actions) =
                        tokio::join!(client.list_incidents(), client.open_actions());
                    let msg = match (incidents, actions) {
                        (Ok(incidents), Ok(actions)) => Msg::Loaded { incidents, actions },
                        (Err(e), _) | (_, Err(e)) => {
                            tracing::warn!(error = %format!("{e:#}"), "load failed");
                            Msg::LoadFailed(format!("{e:#}"))
                        }
                    };
                    let _ = tx.send(msg);
                });
            }
            Effect::FetchDetail(id) => {
                for tab in Tab::ALL {
                    self.fetch(id.clone(), tab);
                }
            }
            Effect::FetchTimeline(id) => self.fetch(id, Tab::Timeline),
            // Runs on the UI loop between frames, so it never splits a frame's output.
            Effect::Clipboard(text) => {
                if let Err(e) = super::clipboard::copy(&text) {
                    tracing::warn!(error = %e, "clipboard write failed");
                }
            }
        }
    }

    fn fetch(&self, id: String, tab: Tab) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let part = match tab {
                Tab::Timeline => client.timeline(&id).await.map(DetailPart::Timeline),
                Tab::Updates => client.updates(&id).await.map(DetailPart::Updates),
                Tab::Actions => client.incident_actions(&id).await.map(DetailPart::Actions),
                Tab::Exceptions => client.exceptions(&id).await.map(DetailPart::Exceptions),
            };
            let msg = match part {
                Ok(part) => Msg::DetailLoaded { id, part },
                Err(e) => Msg::DetailFailed {
                    id,
                    tab,
                    error: format!("{e:#}"),
                },
            };
            let _ = tx.send(msg);
        });
    }
}
