//! `sitrep demo`'s backend: back-dated seed data a newcomer can read at once, and a
//! simulator that makes the board move within seconds.
use sitrep::demo::Demo;
use sitrep::domain::{Deployment, Phase};
use std::collections::HashSet;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_opens_on_a_realistic_board_and_keeps_moving() {
    let demo = Demo::start().await.unwrap();
    let api = demo.console.clone();
    let incidents = api.list_incidents().await.unwrap();
    assert!(incidents.len() >= 12, "{}", incidents.len());
    let phases: HashSet<Phase> = incidents.iter().map(|i| i.phase).collect();
    assert_eq!(phases.len(), Phase::ALL.len(), "every phase has incidents");
    assert!(
        incidents
            .iter()
            .any(|i| i.deployment == Deployment::SelfHosted)
    );
    let now = chrono::Utc::now();
    // Back-dated: the board shows incidents that started well before the demo.
    assert!(
        incidents
            .iter()
            .any(|i| now - i.created_at > chrono::Duration::days(1))
    );
    assert!(
        incidents
            .iter()
            .any(|i| (now - i.created_at).num_minutes() >= 40)
    );
    // A customer update is due within a couple of minutes and nobody will post it.
    assert!(incidents.iter().any(|i| {
        i.customer_impact
            && i.phase.is_active()
            && i.next_update_due_at
                .is_some_and(|d| d > now && d - now < chrono::Duration::minutes(3))
    }));
    let actions = api.open_actions().await.unwrap();
    assert!(
        actions.iter().any(|a| a.overdue),
        "an overdue corrective action"
    );
    let with_exception = incidents.iter().find(|i| i.title.contains("TLS")).unwrap();
    assert_eq!(api.exceptions(&with_exception.id).await.unwrap().len(), 1);
    let timeline = api.timeline(&incidents.last().unwrap().id).await.unwrap();
    assert!(!timeline.is_empty());

    // The simulator raises its first alert within seconds.
    let before = incidents.len();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let n = api.list_incidents().await.unwrap().len();
        if n > before {
            break;
        }
        assert!(Instant::now() < deadline, "no new alert from the simulator");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    demo.stop().await;
}
