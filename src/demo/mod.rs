//! `sitrep demo` (stub until the scenario lands).
use crate::console::ConsoleArgs;
pub async fn run(_args: ConsoleArgs) -> anyhow::Result<()> {
    anyhow::bail!("demo not ready")
}
