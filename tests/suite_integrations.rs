//! Other systems sitrep talks to: PagerDuty (a local fake of its REST API, through the
//! gateway and end to end in a pseudo-terminal) and Alertmanager's webhook.
//! One binary for these modules (see tests/suites.rs); run one module with
//! `cargo test --release --test suite_integrations MODULE::`.
#[macro_use]
mod common;
mod pagerduty_fake;

mod alertmanager;
mod e2e_pagerduty;
mod pagerduty;
mod pagerduty_faults;
mod pagerduty_history;
mod pagerduty_prism;
mod pagerduty_webhook;
mod prometheus;
mod status_browser;
mod webhook_ids;
mod webhooks;
