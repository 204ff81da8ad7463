//! Which backups in a directory to keep. Backups are named `sitrep-<UTC time>.<kind>`
//! (`sitrep-20261130T210000Z.db.age`), so the time comes from the name, not from file
//! dates that a copy or restore can change. The rules, like restic's and borg's: the newest
//! `keep_last`; the newest of each of the newest `keep_daily` UTC days; the newest of each
//! of the newest `keep_weekly` ISO weeks. Whatever the rules, the backup just written is
//! kept, and files that are not named like backups are never touched.
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use std::collections::HashSet;

const PREFIX: &str = "sitrep-";
const STAMP: &str = "%Y%m%dT%H%M%SZ";
/// The endings sitrep writes: SQLite copies and PostgreSQL custom-format dumps, encrypted
/// or plain.
const KINDS: &[&str] = &[".db.age", ".db", ".pgdump.age", ".pgdump"];

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_last: Option<usize>,
    pub keep_daily: Option<usize>,
    pub keep_weekly: Option<usize>,
}

impl Policy {
    /// Whether any rule was given; with none, nothing is pruned.
    pub fn prunes(&self) -> bool {
        self.keep_last.is_some() || self.keep_daily.is_some() || self.keep_weekly.is_some()
    }
}

/// The file name for a backup taken at `at`; `kind` is "db" or "pgdump".
pub fn file_name(at: DateTime<Utc>, kind: &str, encrypted: bool) -> String {
    format!(
        "{PREFIX}{}.{kind}{}",
        at.format(STAMP),
        if encrypted { ".age" } else { "" }
    )
}

/// The time in a backup's name; None for a file that is not named like a backup.
pub fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    let rest = name.strip_prefix(PREFIX)?;
    let kind = KINDS.iter().find(|k| rest.ends_with(*k))?;
    let stamp = &rest[..rest.len() - kind.len()];
    NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc())
}

/// The kind suffix of a backup's name (`.db.age`, `.pgdump`, ...).
fn kind_of(name: &str) -> Option<&'static str> {
    parse_name(name)?;
    KINDS.iter().copied().find(|k| name.ends_with(k))
}

/// The names to delete among `names` (any file names; those not named like backups are left
/// out), never `just_written`. Only the series `just_written` belongs to counts: backups of
/// its own kind (a SQLite job never prunes `.pgdump` files, nor plain copies when it
/// encrypts) taken no later than it (a name dated in the future is not this job's, and must
/// not use up the slots the rules keep).
pub fn to_delete(names: &[String], policy: &Policy, just_written: &str) -> Vec<String> {
    if !policy.prunes() {
        return Vec::new();
    }
    let (Some(series), Some(written_at)) = (kind_of(just_written), parse_name(just_written)) else {
        return Vec::new();
    };
    let mut backups: Vec<(&String, DateTime<Utc>)> = names
        .iter()
        .filter(|n| kind_of(n) == Some(series))
        .filter_map(|n| parse_name(n).map(|t| (n, t)))
        .filter(|(_, t)| *t <= written_at)
        .collect();
    // Newest first; the name breaks ties so the choice does not depend on listing order.
    backups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(a.0)));
    let mut keep: HashSet<&String> = HashSet::new();
    if let Some((newest, _)) = backups.first() {
        keep.insert(newest);
    }
    keep.extend(
        backups
            .iter()
            .take(policy.keep_last.unwrap_or(0))
            .map(|b| b.0),
    );
    let mut per_period = |n: Option<usize>, period: &dyn Fn(DateTime<Utc>) -> (i32, u32)| {
        let n = n.unwrap_or(0);
        let mut seen = HashSet::new();
        for (name, at) in &backups {
            if seen.len() >= n {
                break;
            }
            // Newest first, so the first backup met in a period is that period's newest.
            if seen.insert(period(*at)) {
                keep.insert(name);
            }
        }
    };
    per_period(policy.keep_daily, &|t| (t.year(), t.ordinal()));
    per_period(policy.keep_weekly, &|t| {
        let w = t.iso_week();
        (w.year(), w.week())
    });
    backups
        .iter()
        .filter(|(n, _)| !keep.contains(n) && n.as_str() != just_written)
        .map(|(n, _)| (*n).clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn names(times: &[DateTime<Utc>]) -> Vec<String> {
        times.iter().map(|t| file_name(*t, "db", true)).collect()
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn names_carry_utc_times_and_round_trip() {
        let t = at(2026, 11, 30, 21);
        assert_eq!(file_name(t, "db", true), "sitrep-20261130T210000Z.db.age");
        assert_eq!(
            file_name(t, "pgdump", false),
            "sitrep-20261130T210000Z.pgdump"
        );
        assert_eq!(parse_name("sitrep-20261130T210000Z.db.age"), Some(t));
        assert_eq!(parse_name("sitrep-20261130T210000Z.pgdump"), Some(t));
        for other in [
            "notes.txt",
            "sitrep-20261130T210000Z.db.age.partial",
            "sitrep-latest.db.age",
            ".sitrep-backup-x.partial",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }

    #[test]
    fn only_the_series_of_the_new_backup_is_pruned() {
        let now = at(2026, 11, 30, 12);
        let written = file_name(now, "db", true);
        let all: Vec<String> = vec![
            written.clone(),
            file_name(at(2026, 11, 29, 12), "db", true),
            file_name(at(2026, 11, 28, 12), "pgdump", true),
            file_name(at(2026, 11, 27, 12), "db", false),
            file_name(at(2099, 1, 1, 0), "db", true),
        ];
        let policy = Policy {
            keep_last: Some(1),
            ..Default::default()
        };
        assert_eq!(
            to_delete(&all, &policy, &written),
            vec![file_name(at(2026, 11, 29, 12), "db", true)],
            "another kind, a plain copy and a name dated in the future are left alone"
        );
    }

    #[test]
    fn keep_last_keeps_the_newest_n() {
        let all = names(&[
            at(2026, 11, 30, 1),
            at(2026, 11, 30, 2),
            at(2026, 11, 30, 3),
            at(2026, 11, 30, 4),
        ]);
        let policy = Policy {
            keep_last: Some(2),
            ..Default::default()
        };
        assert_eq!(
            sorted(to_delete(&all, &policy, &all[3])),
            vec![all[0].clone(), all[1].clone()]
        );
    }

    #[test]
    fn keep_daily_keeps_each_days_newest() {
        // Three days, two backups each; keep two days: the newest of the 30th and the 29th.
        let all = names(&[
            at(2026, 11, 28, 9),
            at(2026, 11, 28, 18),
            at(2026, 11, 29, 9),
            at(2026, 11, 29, 18),
            at(2026, 11, 30, 9),
            at(2026, 11, 30, 18),
        ]);
        let policy = Policy {
            keep_daily: Some(2),
            ..Default::default()
        };
        let gone = sorted(to_delete(&all, &policy, &all[5]));
        assert_eq!(
            gone,
            vec![
                all[0].clone(),
                all[1].clone(),
                all[2].clone(),
                all[4].clone()
            ]
        );
    }

    #[test]
    fn keep_weekly_uses_iso_weeks() {
        // 2026-11-23 is a Monday. Weeks: 16-22 (Sun 22nd), 23-29, 30-.
        let all = names(&[
            at(2026, 11, 22, 12),
            at(2026, 11, 23, 12),
            at(2026, 11, 29, 12),
            at(2026, 11, 30, 12),
        ]);
        let policy = Policy {
            keep_weekly: Some(2),
            ..Default::default()
        };
        // Kept: the 30th (this week) and the 29th (last week's newest).
        assert_eq!(
            sorted(to_delete(&all, &policy, &all[3])),
            vec![all[0].clone(), all[1].clone()]
        );
    }

    #[test]
    fn rules_add_up_and_other_files_are_left_alone() {
        let mut all = names(&[
            at(2026, 10, 1, 0),
            at(2026, 11, 29, 0),
            at(2026, 11, 30, 0),
            at(2026, 11, 30, 1),
        ]);
        all.push("README".into());
        all.push("sitrep-20261130T020000Z.db.age.partial".into());
        let policy = Policy {
            keep_last: Some(1),
            keep_daily: Some(2),
            keep_weekly: Some(0),
        };
        // keep_last: 30th 01:00; daily: 30th 01:00 and 29th.
        assert_eq!(
            to_delete(&all, &policy, &all[3]),
            vec![all[2].clone(), all[0].clone()]
        );
    }

    #[test]
    fn the_newest_and_the_just_written_are_never_deleted() {
        let all = names(&[at(2026, 11, 29, 0), at(2026, 11, 30, 0), at(2030, 1, 1, 0)]);
        // Zero of everything still keeps the newest (a future-dated file here) and the
        // backup just written.
        let policy = Policy {
            keep_last: Some(0),
            keep_daily: Some(0),
            keep_weekly: Some(0),
        };
        assert_eq!(to_delete(&all, &policy, &all[1]), vec![all[0].clone()]);
        assert!(to_delete(&all, &Policy::default(), &all[1]).is_empty());
    }
}
