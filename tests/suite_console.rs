//! The console: whole-screen snapshots, forms, the wall and hostile text on a test
//! backend, and the real binary in a pseudo-terminal (keys in, screen out).
//! One binary for these modules (see tests/suites.rs); run one module with
//! `cargo test --release --test suite_console MODULE::`.
#[macro_use]
mod common;

mod clock_pty;
mod docs;
mod e2e_pty;
mod e2e_triage;
mod history_pty;
mod hostile;
mod outbox_identity;
mod paste_pty;
mod term_pty;
mod ui;
mod ui_review;
mod ui_triage;
mod update_paste_pty;
mod wall;
mod wall_pty;
