//! The incident API over real HTTP: every endpoint, role, bound and refusal, the event
//! stream, idempotency, replicas on one database, hostile connections, the demo backend.
//! One binary for these modules (see tests/suites.rs); run one module with
//! `cargo test --release --test suite_api MODULE::`.
#[macro_use]
mod common;

mod api;
mod audit;
mod authz;
mod bounds;
mod connections;
mod demo;
mod events;
mod history;
mod idempotency;
mod metrics;
mod notes;
mod replicas;
mod roles;
mod status_page;
mod suites;
