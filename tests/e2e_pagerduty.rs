//! End to end: `sitrep --backend pagerduty` in a pseudo-terminal against a local fake of
//! PagerDuty's REST API: the fake's incidents on the board, the take-command key reaching
//! PagerDuty as an acknowledgement, and the panes PagerDuty cannot serve saying so.
use crate::common::pty;
use crate::pagerduty_fake;

use chrono::{Duration as CDuration, Utc};
use pagerduty_fake::{ANA, Fake, TOKEN, incident};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_incidents_on_the_board_and_take_command_acknowledges() {
    let fake = Fake::start().await;
    let t = Utc::now() - CDuration::minutes(20);
    fake.add(incident(
        "PT4KHLK",
        1234,
        "Checkout returns 502",
        "triggered",
        "high",
        t,
    ));
    fake.add(incident(
        "PACK001",
        1235,
        "Login latency above 4s",
        "acknowledged",
        "low",
        t,
    ));
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let url = fake.url();
    let mut c = pty::spawn_env(
        &home,
        &[
            "--backend",
            "pagerduty",
            "--pagerduty-url",
            &url,
            "--pagerduty-from",
            ANA.2,
            "--pagerduty-poll-secs",
            "2",
        ],
        &[("PAGERDUTY_TOKEN", TOKEN)],
    );
    c.screen
        .wait_for("Checkout returns 502", Duration::from_secs(20));
    c.screen.wait_for("Login latency", Duration::from_secs(5));
    c.screen.wait_for("LIVE", Duration::from_secs(10));
    assert!(c.screen.contents().contains("pagerduty"));
    // The selected card is the triggered incident in Detection: take command.
    c.keys("a");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let put = fake
            .writes()
            .into_iter()
            .find(|r| r.method == "PUT" && r.path == "/incidents/PT4KHLK");
        if let Some(put) = put {
            assert_eq!(put.headers["from"], ANA.2);
            assert_eq!(put.body.unwrap()["incident"]["status"], "acknowledged");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "PagerDuty never saw the acknowledgement:\n{}",
            c.screen.contents()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The acknowledger becomes the commander on the card.
    c.screen.wait_for("Ana Lima", Duration::from_secs(10));
    // The actions view says why it is empty.
    c.keys("3");
    c.screen.wait_for(
        "PagerDuty has no corrective actions",
        Duration::from_secs(5),
    );
    // So does the detail's tab, and the timeline is PagerDuty's log.
    c.keys("1");
    c.screen.wait_for("Detection 0", Duration::from_secs(5));
    // The selection followed the acknowledged incident into Triage: enter opens it.
    c.keys("\r");
    c.screen
        .wait_for("Triggered through the API", Duration::from_secs(10));
    c.keys("\t\t");
    c.screen.wait_for(
        "PagerDuty has no corrective actions",
        Duration::from_secs(5),
    );
    c.keys("\t");
    c.screen
        .wait_for("PagerDuty has no exceptions", Duration::from_secs(5));
    c.keys("q");
    c.wait_exit(Duration::from_secs(10));
    // The token went through the environment only, and never to the screen.
    assert!(!c.screen.contents().contains(TOKEN));
}
