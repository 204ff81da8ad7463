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

/// The simulator keeps the board about the size it was seeded with, never raises an alert
/// whose incident is still open, and never touches an incident the console's user
/// commands. Before, it grew the board from 13 to 23 open incidents in 8 minutes, opened
/// same-title duplicates and moved the user's own incidents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_leaves_the_users_incidents_alone_and_the_board_steady() {
    use rand::SeedableRng;
    use sitrep::client::{ApiClient, Token};
    use sitrep::demo::{Simulator, USER};
    use sitrep::domain::Role;
    let demo = Demo::start().await.unwrap();
    // This test drives its own simulator; two at once could raise one alert twice.
    demo.stop_simulator();
    let api = demo.console.clone();
    let start = api.list_incidents().await.unwrap();
    let open_at_start = start.iter().filter(|i| i.phase != Phase::Closed).count();
    // The user takes command of an open incident in Triage.
    let mine = start
        .iter()
        .find(|i| i.phase == Phase::Triage)
        .expect("an incident in triage");
    let taken: sitrep::domain::Incident = api
        .patch(
            &format!("/incidents/{}", mine.id),
            mine.version,
            &serde_json::json!({"commander": USER}),
        )
        .await
        .unwrap();
    let base = format!("http://{}", demo.server.addr);
    let token = |name: &'static str, role| {
        let store = demo.server.store.clone();
        async move { Token::new(store.create_token(name, role).await.unwrap()) }
    };
    let sim = Simulator {
        alerts: ApiClient::new(&base, token("bot", Role::Responder).await).unwrap(),
        lead: ApiClient::new(&base, token("lead", Role::Commander).await).unwrap(),
        quiet: HashSet::new(),
        me: USER.into(),
        open_target: open_at_start,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for round in 0..80 {
        sim.round(&mut rng, round).await.unwrap();
        let now = api.list_incidents().await.unwrap();
        let open: Vec<_> = now.iter().filter(|i| i.phase != Phase::Closed).collect();
        assert!(
            open.len() <= open_at_start,
            "round {round}: {} open, {open_at_start} at start",
            open.len()
        );
        let mut titles: Vec<&str> = open.iter().map(|i| i.title.as_str()).collect();
        titles.sort();
        let n = titles.len();
        titles.dedup();
        assert_eq!(titles.len(), n, "round {round}: an open title twice");
    }
    let after = api.incident(&mine.id).await.unwrap();
    assert_eq!(
        after.version, taken.version,
        "the user's incident was changed"
    );
    demo.stop().await;
}
