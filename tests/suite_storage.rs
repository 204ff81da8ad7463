//! The real binary and its files: token commands, durability through kill -9, storage
//! faults and recovery, and the console's client riding out a server that goes away.
//! One binary for these modules (see tests/suites.rs); run one module with
//! `cargo test --release --test suite_storage MODULE::`.
#[macro_use]
mod common;

mod backups;
mod cli;
mod evidence;
mod faults;
mod live;
mod storage;
