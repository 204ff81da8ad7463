//! `--backend pagerduty` through the real gateway and the console's own client
//! (`sitrep::client::ApiClient`), against a local fake of PagerDuty's REST API v2.
use crate::pagerduty_fake;

use chrono::{Duration as CDuration, Utc};
use pagerduty_fake::{ACCEPT, ANA, Fake, TOKEN, incident};
use serde_json::{Value, json};
use sitrep::client::Token;
use sitrep::client::{ApiClient, ApiError, LiveEvent, LiveMsg, Method, Write, WriteError};
use sitrep::domain::{Audience, Incident, Phase, Severity};
use sitrep::pagerduty::api::{Limiter, OFFSET_CAP};
use sitrep::pagerduty::{Gateway, GatewayOptions, PdClient, PdError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Every log line of this test binary, to prove the token never reaches one.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;
impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

pub(crate) fn pd(fake: &Fake) -> PdClient {
    PdClient::new(&fake.url(), Token::new(TOKEN), Some(ANA.2.into())).unwrap()
}

pub(crate) fn fast() -> GatewayOptions {
    GatewayOptions {
        poll: Duration::from_millis(300),
        read_only: false,
        heartbeat: Duration::from_secs(1),
        webhook: None,
    }
}

/// A fake account: a P1 triggered incident, an acknowledged high-urgency one without a
/// priority, a low-urgency triggered one, one resolved an hour ago, and one resolved
/// (created) three days ago that the board should not list.
pub(crate) async fn account() -> Fake {
    capture_logs();
    let fake = Fake::start().await;
    let t = Utc::now() - CDuration::minutes(30);
    let mut p1 = incident(
        "PT4KHLK",
        1234,
        "Checkout returns 502",
        "triggered",
        "high",
        t,
    );
    p1["priority"] = pagerduty_fake::priorities()[0].clone();
    fake.add(p1);
    fake.add(incident(
        "PACK001",
        1235,
        "Login latency above 4s",
        "acknowledged",
        "high",
        t,
    ));
    fake.add(incident(
        "PLOW001",
        1236,
        "Disk 85% on metrics-db-2",
        "triggered",
        "low",
        t,
    ));
    fake.add(incident(
        "PRES001",
        1237,
        "Expired TLS cert",
        "resolved",
        "high",
        Utc::now() - CDuration::hours(1),
    ));
    fake.add(incident(
        "POLD001",
        1001,
        "Old resolved",
        "resolved",
        "high",
        Utc::now() - CDuration::days(3),
    ));
    fake
}

pub(crate) async fn gateway(fake: &Fake) -> (Gateway, ApiClient) {
    let gw = Gateway::start(pd(fake), fast()).await.unwrap();
    let client = ApiClient::new(&gw.base(), gw.token()).unwrap();
    (gw, client)
}

fn find<'a>(list: &'a [Incident], id: &str) -> &'a Incident {
    list.iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
}

#[tokio::test]
async fn the_board_maps_statuses_priorities_and_urgency() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let list = api.list_incidents().await.unwrap();
    assert_eq!(list.len(), 4, "{list:#?}");
    let p1 = find(&list, "PT4KHLK");
    assert_eq!((p1.phase, p1.severity), (Phase::Detection, Severity::Sev1));
    assert_eq!(p1.title, "Checkout returns 502");
    assert_eq!(p1.commander, None);
    assert_eq!(p1.roles["assignee"], "Bo Chen");
    assert!(p1.summary.contains("Checkout API"), "{}", p1.summary);
    let ack = find(&list, "PACK001");
    assert_eq!((ack.phase, ack.severity), (Phase::Triage, Severity::Sev2));
    assert_eq!(ack.commander.as_deref(), Some("Bo Chen"));
    let low = find(&list, "PLOW001");
    assert_eq!(
        (low.phase, low.severity),
        (Phase::Detection, Severity::Sev4)
    );
    assert_eq!(find(&list, "PRES001").phase, Phase::FollowThrough);
    assert!(!list.iter().any(|i| i.id == "POLD001"));
    // One incident, with its version as ETag-compatible state.
    assert_eq!(
        api.incident("PACK001").await.unwrap().title,
        "Login latency above 4s"
    );
    // The queries PagerDuty saw: both lists, with the documented parameters and headers.
    let reqs = fake.requests();
    let lists: Vec<_> = reqs.iter().filter(|r| r.path == "/incidents").collect();
    assert!(
        lists
            .iter()
            .any(|r| r.q("statuses[]") == ["triggered", "acknowledged"]
                && r.q("date_range") == ["all"]
                && r.q("limit") == ["100"]
                && r.q("offset") == ["0"])
    );
    assert!(
        lists
            .iter()
            .any(|r| r.q("statuses[]") == ["resolved"] && r.q("since").len() == 1)
    );
    for r in &reqs {
        assert_eq!(r.headers["authorization"], format!("Token token={TOKEN}"));
        assert_eq!(r.headers["accept"], ACCEPT);
    }
    assert!(reqs.iter().any(|r| r.path == "/priorities"));
    gw.shutdown().await;
}

async fn write(api: &ApiClient, w: &Write) -> Result<Option<LiveEvent>, WriteError> {
    api.write(w).await
}

pub(crate) fn patch(id: &str, version: i64, body: Value) -> Write {
    Write::new(Method::Patch, format!("/incidents/{id}"), body, "test")
        .if_match(version)
        .incident(id)
}

#[tokio::test]
async fn take_command_resolve_and_severity_land_on_pagerduty() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let inc = api.incident("PT4KHLK").await.unwrap();
    // `a`: take command → acknowledge as the From user.
    let got = write(
        &api,
        &patch(
            "PT4KHLK",
            inc.version,
            json!({"commander": "ana@example.com"}),
        ),
    )
    .await
    .unwrap();
    let Some(LiveEvent::Incident(after)) = got else {
        panic!("{got:?}")
    };
    assert_eq!(after.phase, Phase::Triage);
    assert_eq!(after.commander.as_deref(), Some("Ana Lima"));
    assert!(after.version > inc.version);
    let put = fake
        .writes()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.path, "/incidents/PT4KHLK");
    assert_eq!(put.headers["from"], ANA.2);
    assert_eq!(put.headers["authorization"], format!("Token token={TOKEN}"));
    assert_eq!(put.headers["accept"], ACCEPT);
    assert_eq!(put.headers["content-type"], "application/json");
    assert_eq!(
        put.body.unwrap(),
        json!({"incident": {"type": "incident_reference", "status": "acknowledged"}})
    );
    // `s`: severity → the priority in the account's order, the reason as a note.
    let got = write(
        &api,
        &patch(
            "PT4KHLK",
            after.version,
            json!({"severity": "SEV3", "reason": "only EU"}),
        ),
    )
    .await
    .unwrap();
    let Some(LiveEvent::Incident(sev)) = got else {
        panic!()
    };
    assert_eq!(sev.severity, Severity::Sev3);
    assert_eq!(fake.incident("PT4KHLK")["priority"]["id"], "PGE9YCZ");
    let notes = fake.state.lock().unwrap().notes["PT4KHLK"].clone();
    assert_eq!(
        notes[0]["content"],
        "Severity → SEV3 (priority P3): only EU"
    );
    // `C`: close → resolve, the reason as PagerDuty's resolution.
    let got = write(
        &api,
        &patch(
            "PT4KHLK",
            sev.version,
            json!({"phase": "closed", "reason": "rolled back"}),
        ),
    )
    .await
    .unwrap();
    let Some(LiveEvent::Incident(done)) = got else {
        panic!()
    };
    assert_eq!(done.phase, Phase::FollowThrough);
    let put = fake
        .writes()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(
        put.body.unwrap(),
        json!({"incident": {"type": "incident_reference", "status": "resolved", "resolution": "rolled back"}})
    );
    // The timeline pane is PagerDuty's log, oldest first.
    let tl = api.timeline("PT4KHLK").await.unwrap();
    let kinds: Vec<&str> = tl.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["trigger", "acknowledge", "resolve"]);
    assert_eq!(tl[1].actor, "Ana Lima");
    gw.shutdown().await;
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_not_an_overwrite() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let inc = api.incident("PT4KHLK").await.unwrap();
    let err = write(
        &api,
        &patch("PT4KHLK", inc.version - 1, json!({"phase": "triage"})),
    )
    .await
    .unwrap_err();
    let WriteError::Refused {
        status, current, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, 412);
    assert!(matches!(current, Some(LiveEvent::Incident(ref c)) if c.version == inc.version));
    assert!(fake.writes().is_empty());
    gw.shutdown().await;
}

#[tokio::test]
async fn phases_pagerduty_lacks_are_refused_naming_the_field() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let inc = api.incident("PACK001").await.unwrap();
    for phase in ["containment", "communication", "detection"] {
        let err = write(
            &api,
            &patch("PACK001", inc.version, json!({"phase": phase})),
        )
        .await
        .unwrap_err();
        let WriteError::Refused {
            status, message, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*status, 422);
        assert!(message.contains("PagerDuty has no"), "{message}");
    }
    // The JSON error names the field, as sitrep's own server does.
    let resp = reqwest::Client::new()
        .patch(format!("{}/api/v1/incidents/PACK001", gw.base()))
        .bearer_auth(gw.token().expose())
        .header("If-Match", format!("\"{}\"", inc.version))
        .json(&json!({"phase": "containment"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["field"], "phase");
    assert_eq!(body["error"]["code"], "invalid_field");
    let err = write(
        &api,
        &patch("PACK001", inc.version, json!({"impact_scope": "EU"})),
    )
    .await
    .unwrap_err();
    assert!(
        err.message()
            .contains("PagerDuty incidents have no impact_scope"),
        "{err:?}"
    );
    assert!(fake.writes().is_empty());
    gw.shutdown().await;
}

pub(crate) fn update(id: &str, audience: &str) -> Write {
    Write::new(
        Method::Post,
        format!("/incidents/{id}/updates"),
        json!({"audience": audience, "impact_scope": "EU card payments", "current_status": "Failing over", "next_steps": "Watch error rates", "next_update_in_minutes": 30}),
        "update",
    )
    .incident(id)
}

#[tokio::test]
async fn notes_and_status_updates_land_once_per_idempotency_key() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let mut live = subscribe(&api);
    wait_for(&mut live, |m| matches!(m, LiveMsg::Connected { .. })).await;
    // An internal update is a note; the outbox's retry (same key) posts nothing more.
    let w = update("PT4KHLK", "internal");
    let first = write(&api, &w).await.unwrap();
    let again = write(&api, &w).await.unwrap();
    assert_eq!(first, again);
    let Some(LiveEvent::UpdatePosted(u)) = first else {
        panic!()
    };
    assert_eq!(u.audience, Audience::Internal);
    assert_eq!(u.author, "Ana Lima");
    let notes = fake.state.lock().unwrap().notes["PT4KHLK"].clone();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(
        notes[0]["content"],
        "Failing over\nImpact: EU card payments\nNext steps: Watch error rates"
    );
    let posts: Vec<_> = fake
        .writes()
        .into_iter()
        .filter(|r| r.path.ends_with("/notes"))
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].headers["from"], ANA.2);
    assert_eq!(
        posts[0].body.as_ref().unwrap()["note"]["content"],
        notes[0]["content"]
    );
    // Concurrent retries of one key still post once.
    let w2 = update("PACK001", "internal");
    let (a, b) = tokio::join!(write(&api, &w2), write(&api, &w2));
    assert_eq!(a.unwrap(), b.unwrap());
    assert_eq!(fake.state.lock().unwrap().notes["PACK001"].len(), 1);
    // The updates pane lists the notes.
    let ups = api.updates("PT4KHLK").await.unwrap();
    assert_eq!(ups.len(), 1);
    assert_eq!(ups[0].current_status, notes[0]["content"].as_str().unwrap());
    // A customer update is a PagerDuty status update stating scope, status and next steps.
    let Some(LiveEvent::UpdatePosted(c)) =
        write(&api, &update("PT4KHLK", "customer")).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(c.audience, Audience::Customer);
    assert_eq!(c.impact_scope, "EU card payments");
    let su = fake
        .writes()
        .into_iter()
        .find(|r| r.path == "/incidents/PT4KHLK/status_updates")
        .unwrap();
    assert_eq!(su.method, "POST");
    assert_eq!(su.headers["from"], ANA.2);
    assert_eq!(
        su.body.unwrap(),
        json!({"message": "Impact: EU card payments\nCurrent status: Failing over\nNext steps: Watch error rates\nNext update in 30 minutes."})
    );
    // The console hears about the posted update on the live stream.
    wait_for(&mut live, |m| matches!(m, LiveMsg::Event { event: LiveEvent::UpdatePosted(u), .. } if u.audience == Audience::Customer)).await;
    // A customer update missing a part is refused naming it.
    let mut bad = update("PT4KHLK", "customer");
    bad.body["next_steps"] = json!("  ");
    let err = write(&api, &bad).await.unwrap_err();
    assert!(
        matches!(&err, WriteError::Refused { status: 422, .. }),
        "{err:?}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn writes_without_a_from_user_are_refused_clearly() {
    let fake = account().await;
    let client = PdClient::new(&fake.url(), Token::new(TOKEN), None).unwrap();
    let gw = Gateway::start(client, fast()).await.unwrap();
    let api = ApiClient::new(&gw.base(), gw.token()).unwrap();
    let err = write(&api, &update("PT4KHLK", "internal"))
        .await
        .unwrap_err();
    assert!(err.message().contains("--pagerduty-from"), "{err:?}");
    assert!(matches!(err, WriteError::Refused { status: 422, .. }));
    assert!(fake.writes().is_empty());
    gw.shutdown().await;
}

#[tokio::test]
async fn panes_pagerduty_cannot_serve_say_so() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    for e in [
        api.incident_actions("PT4KHLK").await.unwrap_err(),
        api.open_actions().await.unwrap_err(),
    ] {
        let msg = ApiError::unsupported(&e).unwrap_or_else(|| panic!("{e:#}"));
        assert!(msg.contains("PagerDuty has no corrective actions"), "{msg}");
        assert_eq!(e.downcast_ref::<ApiError>().unwrap().status, 501);
    }
    let e = api.exceptions("PT4KHLK").await.unwrap_err();
    assert!(
        ApiError::unsupported(&e)
            .unwrap()
            .contains("PagerDuty has no exceptions")
    );
    // Writes to them are refused (not queued for ever in the outbox).
    let w = Write::new(
        Method::Post,
        "/incidents/PT4KHLK/actions",
        json!({"title": "x", "owner": "y", "due_date": "2030-01-01"}),
        "action",
    );
    let err = write(&api, &w).await.unwrap_err();
    assert!(
        matches!(&err, WriteError::Refused { status: 501, .. }),
        "{err:?}"
    );
    assert!(
        err.message()
            .contains("PagerDuty has no corrective actions")
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn a_429_is_honoured_before_the_next_request() {
    let fake = account().await;
    let client = pd(&fake);
    fake.state.lock().unwrap().throttle.push_back(1);
    let started = Instant::now();
    let inc = client.incident("PT4KHLK").await.unwrap();
    assert_eq!(inc.id, "PT4KHLK");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[1].at.duration_since(reqs[0].at) >= Duration::from_secs(1),
        "retried too soon"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    // Every request from the key waits, not only the retried one.
    fake.state.lock().unwrap().throttle.push_back(2);
    let short = client.clone().with_max_wait(Duration::from_millis(500));
    let err = short.incident("PT4KHLK").await.unwrap_err();
    assert!(matches!(err, PdError::RateLimited { .. }), "{err:?}");
    let before = Instant::now();
    client.incident("PT4KHLK").await.unwrap();
    assert!(
        before.elapsed() >= Duration::from_millis(1500),
        "the pause was not shared"
    );
}

#[tokio::test]
async fn the_request_rate_stays_under_the_limit() {
    let fake = account().await;
    const {
        assert!(
            sitrep::pagerduty::api::BUDGET_PER_MINUTE < sitrep::pagerduty::api::PD_LIMIT_PER_MINUTE
        )
    };
    // The same limiter, on a short window so the test is quick: 5 per 400 ms.
    let window = Duration::from_millis(400);
    let client = pd(&fake).with_limiter(Limiter::new(5, window));
    for _ in 0..16 {
        client.incident("PT4KHLK").await.unwrap();
    }
    let at: Vec<Instant> = fake.requests().iter().map(|r| r.at).collect();
    for (i, t) in at.iter().enumerate() {
        let in_window = at[i..]
            .iter()
            .filter(|u| u.duration_since(*t) < window - Duration::from_millis(20))
            .count();
        assert!(in_window <= 5, "{in_window} requests within one window");
    }
}

#[tokio::test]
async fn pagination_follows_offsets_and_stops_at_ten_thousand() {
    let fake = account().await;
    fake.state.lock().unwrap().bulk = 12_000;
    let client = pd(&fake);
    let listing = client
        .list_incidents(&[
            ("statuses[]", "triggered".into()),
            ("statuses[]", "acknowledged".into()),
            ("date_range", "all".into()),
        ])
        .await
        .unwrap();
    assert!(listing.truncated);
    assert_eq!(listing.incidents.len(), OFFSET_CAP as usize);
    let offsets: Vec<usize> = fake
        .requests()
        .iter()
        .map(|r| r.q("offset")[0].parse().unwrap())
        .collect();
    assert_eq!(offsets, (0..100).map(|k| k * 100).collect::<Vec<_>>());
    assert!(fake.requests().iter().all(|r| r.q("limit") == ["100"]));
    // A short list stops when `more` is false.
    let fake2 = account().await;
    let l = pd(&fake2)
        .list_incidents(&[("statuses[]", "resolved".into())])
        .await
        .unwrap();
    assert!(!l.truncated);
    assert_eq!(fake2.requests().len(), 1);
}

#[tokio::test]
async fn the_gateway_streams_changes_and_says_when_pagerduty_is_down() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let mut live = subscribe(&api);
    wait_for(&mut live, |m| matches!(m, LiveMsg::Connected { .. })).await;
    // Someone acknowledges in PagerDuty's own UI: the next poll sends the change.
    fake.set("PLOW001", |i| {
        i["status"] = json!("acknowledged");
        i["acknowledgements"] = json!([{"at": Utc::now().to_rfc3339(), "acknowledger": {"id": "PANA001", "type": "user_reference", "summary": "Ana Lima"}}]);
    });
    wait_for(&mut live, |m| matches!(m, LiveMsg::Event { event: LiveEvent::Incident(i), .. } if i.id == "PLOW001" && i.phase == Phase::Triage)).await;
    // PagerDuty fails: the stream ends and reconnecting is refused with the reason.
    fake.state.lock().unwrap().down = true;
    let msg = wait_for(
        &mut live,
        |m| matches!(m, LiveMsg::Disconnected { error, .. } if error.contains("PagerDuty")),
    )
    .await;
    assert!(
        format!("{msg:?}").contains("PagerDuty answered 500"),
        "{msg:?}"
    );
    // Back: the console reconnects.
    fake.state.lock().unwrap().down = false;
    wait_for(&mut live, |m| matches!(m, LiveMsg::Connected { .. })).await;
    gw.shutdown().await;
}

#[tokio::test]
async fn the_token_never_appears_in_errors_or_logs() {
    capture_logs();
    let fake = account().await;
    // A wrong token: PagerDuty refuses, sitrep says so without the token.
    let wrong = "wrong-token-77aa-secret";
    let client = PdClient::new(&fake.url(), Token::new(wrong), Some(ANA.2.into())).unwrap();
    let err = Gateway::start(client.clone(), fast())
        .await
        .err()
        .expect("refused");
    let text = format!("{err:#} {err:?}");
    assert!(text.contains("refused the API token"), "{text}");
    assert!(!text.contains(wrong));
    assert!(!format!("{client:?}").contains(wrong));
    // Unreachable PagerDuty: the error names the problem, not the token.
    let gone = PdClient::new("http://127.0.0.1:9", Token::new(TOKEN), None).unwrap();
    let e = gone.incident("P1").await.unwrap_err().to_string();
    assert!(e.contains("unreachable") && !e.contains(TOKEN), "{e}");
    // A full session's logs (polls, 429s, writes, failures) carry no token.
    let (gw, api) = gateway(&fake).await;
    fake.state.lock().unwrap().throttle.push_back(1);
    let _ = api.list_incidents().await;
    let _ = write(&api, &update("PT4KHLK", "internal")).await;
    fake.state.lock().unwrap().down = true;
    tokio::time::sleep(Duration::from_millis(800)).await;
    gw.shutdown().await;
    let logs = String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned();
    assert!(logs.contains("PagerDuty"), "nothing was logged: {logs}");
    assert!(
        !logs.contains(TOKEN) && !logs.contains(wrong),
        "a token reached the logs"
    );
}

// --- helpers ---

pub(crate) fn subscribe(api: &ApiClient) -> tokio::sync::mpsc::UnboundedReceiver<LiveMsg> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(sitrep::client::subscribe(api.clone(), move |m| {
        tx.send(m).is_ok()
    }));
    rx
}

pub(crate) async fn wait_for(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<LiveMsg>,
    f: impl Fn(&LiveMsg) -> bool,
) -> LiveMsg {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let m = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out waiting for a live message")
            .expect("subscription ended");
        if f(&m) {
            return m;
        }
    }
}

/// The binary's start-up refusals: no token, a token PagerDuty refuses. Neither prints a
/// token, and neither needs a terminal (they stop before the console starts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_to_start_without_a_usable_token() {
    let fake = account().await;
    let home = tempfile::tempdir().unwrap();
    let run = |env: Option<&'static str>| {
        let mut cmd = crate::common::bin::command(
            Some(home.path()),
            &["--backend", "pagerduty", "--pagerduty-url", &fake.url()],
        );
        cmd.env_remove("PAGERDUTY_TOKEN")
            .env_remove("PAGERDUTY_API_URL")
            .env_remove("PAGERDUTY_FROM");
        if let Some(t) = env {
            cmd.env("PAGERDUTY_TOKEN", t);
        }
        cmd
    };
    let (mut a, mut b) = (run(None), run(Some("wrong-token-in-env-1234")));
    let out = tokio::task::spawn_blocking(move || (a.output().unwrap(), b.output().unwrap()))
        .await
        .unwrap();
    let (none, wrong) = out;
    assert_eq!(none.status.code(), Some(1));
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("PAGERDUTY_TOKEN") && err.contains("--pagerduty-token-file"),
        "{err}"
    );
    assert_eq!(wrong.status.code(), Some(1));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("refused the API token (401)"), "{err}");
    assert!(!err.contains("wrong-token-in-env-1234"), "{err}");
}

#[tokio::test]
async fn read_only_shows_everything_and_changes_nothing() {
    let fake = account().await;
    let opts = GatewayOptions {
        read_only: true,
        ..fast()
    };
    let gw = Gateway::start(pd(&fake), opts).await.unwrap();
    let api = ApiClient::new(&gw.base(), gw.token()).unwrap();
    assert_eq!(api.list_incidents().await.unwrap().len(), 4);
    let who = api.whoami().await.unwrap();
    assert_eq!(who.role, sitrep::domain::Role::Viewer);
    let inc = api.incident("PT4KHLK").await.unwrap();
    let err = write(
        &api,
        &patch("PT4KHLK", inc.version, json!({"phase": "triage"})),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, WriteError::Refused { status: 403, .. }),
        "{err:?}"
    );
    assert!(fake.writes().is_empty());
    gw.shutdown().await;
}

const JSON_CT: (&str, &str) = ("Content-Type", "application/json");

/// One refusal, sent to two servers.
struct Case {
    what: &'static str,
    method: reqwest::Method,
    /// `{id}` is the incident's id on each server.
    path: &'static str,
    token: bool,
    /// `{v}` is the incident's current version on each server.
    headers: &'static [(&'static str, &'static str)],
    body: Option<&'static str>,
    /// What both must answer: status, error code, field.
    want: (u16, &'static str, Option<&'static str>),
}

async fn refusal(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    version: i64,
    c: &Case,
) -> (u16, Value, bool) {
    let mut r = http.request(
        c.method.clone(),
        format!("{base}{}", c.path.replace("{id}", id)),
    );
    if c.token {
        r = r.bearer_auth(token);
    }
    for (k, v) in c.headers {
        r = r.header(*k, v.replace("{v}", &version.to_string()));
    }
    if let Some(b) = c.body {
        r = r.body(b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let bearer = resp.headers().get("www-authenticate").is_some();
    (status, resp.json().await.unwrap_or(Value::Null), bearer)
}

/// The gateway is sitrep's own server over another backend: every refusal has the same
/// status, code and field as from `sitrep serve` (the checks are the server's, not a copy).
#[tokio::test]
async fn the_gateway_refuses_bad_requests_exactly_as_sitrep_serve_does() {
    use reqwest::Method as M;
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let pd_version = api.incident("PT4KHLK").await.unwrap().version;
    let dir = tempfile::tempdir().unwrap();
    let serve = sitrep::server::start(sitrep::server::ServerConfig::sqlite(
        dir.path().join("t.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let own_token = serve
        .store
        .create_token("cora", sitrep::domain::Role::Commander)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let own_base = format!("http://{}/api/v1", serve.addr);
    let own: Value = http
        .post(format!("{own_base}/incidents"))
        .bearer_auth(&own_token)
        .json(&json!({"title": "Checkout returns 502", "severity": "SEV1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let own_id = own["id"].as_str().unwrap().to_string();
    let own_version = own["version"].as_i64().unwrap();
    let cases = [
        Case {
            what: "no token",
            method: M::GET,
            path: "/incidents",
            token: false,
            headers: &[],
            body: None,
            want: (401, "unauthorized", Some("Authorization")),
        },
        Case {
            what: "a change without If-Match",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[JSON_CT],
            body: Some(r#"{"phase":"triage"}"#),
            want: (428, "precondition_required", Some("If-Match")),
        },
        Case {
            what: "an If-Match that is not a version",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[JSON_CT, ("If-Match", "\"abc\"")],
            body: Some(r#"{"phase":"triage"}"#),
            want: (400, "invalid_header", Some("If-Match")),
        },
        Case {
            what: "a stale If-Match",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[JSON_CT, ("If-Match", "\"999\"")],
            body: Some(r#"{"phase":"triage"}"#),
            want: (412, "version_mismatch", Some("If-Match")),
        },
        Case {
            what: "malformed JSON",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[JSON_CT, ("If-Match", "\"{v}\"")],
            body: Some(r#"{"phase": "#),
            want: (400, "malformed_json", None),
        },
        Case {
            what: "a body that is not JSON",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[("Content-Type", "text/plain"), ("If-Match", "\"{v}\"")],
            body: Some("triage"),
            want: (415, "unsupported_media_type", Some("Content-Type")),
        },
        Case {
            what: "an unknown field",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[JSON_CT, ("If-Match", "\"{v}\"")],
            body: Some(r#"{"colour":"red"}"#),
            want: (422, "invalid_field", Some("colour")),
        },
        Case {
            what: "a severity change without a reason",
            method: M::PATCH,
            path: "/incidents/{id}",
            token: true,
            headers: &[JSON_CT, ("If-Match", "\"{v}\"")],
            body: Some(r#"{"severity":"SEV2"}"#),
            want: (422, "invalid_field", Some("reason")),
        },
        Case {
            what: "an Idempotency-Key with a space",
            method: M::POST,
            path: "/incidents/{id}/updates",
            token: true,
            headers: &[JSON_CT, ("Idempotency-Key", "a b")],
            body: Some(
                r#"{"audience":"internal","impact_scope":"EU","current_status":"x","next_steps":"y"}"#,
            ),
            want: (400, "invalid_header", Some("Idempotency-Key")),
        },
        Case {
            what: "a customer update missing its next steps",
            method: M::POST,
            path: "/incidents/{id}/updates",
            token: true,
            headers: &[JSON_CT],
            body: Some(
                r#"{"audience":"customer","impact_scope":"EU","current_status":"x","next_steps":" ","next_update_in_minutes":30}"#,
            ),
            want: (422, "invalid_field", Some("next_steps")),
        },
        Case {
            what: "a limit out of range",
            method: M::GET,
            path: "/incidents?limit=0",
            token: true,
            headers: &[],
            body: None,
            want: (422, "invalid_field", Some("limit")),
        },
        Case {
            what: "a cursor of another list",
            method: M::GET,
            path: "/incidents?cursor=a0.2026-01-01.1",
            token: true,
            headers: &[],
            body: None,
            want: (422, "invalid_field", Some("cursor")),
        },
        Case {
            what: "no such endpoint",
            method: M::GET,
            path: "/nothing-here",
            token: true,
            headers: &[],
            body: None,
            want: (404, "not_found", None),
        },
    ];
    for c in &cases {
        let (s1, b1, auth1) = refusal(&http, &own_base, &own_token, &own_id, own_version, c).await;
        let (s2, b2, auth2) = refusal(
            &http,
            &format!("{}/api/v1", gw.base()),
            gw.token().expose(),
            "PT4KHLK",
            pd_version,
            c,
        )
        .await;
        let shape = |s: u16, b: &Value| {
            (
                s,
                b["error"]["code"].as_str().unwrap_or("").to_string(),
                b["error"]["field"].as_str().map(str::to_string),
            )
        };
        let want = (c.want.0, c.want.1.to_string(), c.want.2.map(str::to_string));
        assert_eq!(shape(s1, &b1), want, "sitrep serve, {}: {b1}", c.what);
        assert_eq!(shape(s2, &b2), want, "the gateway, {}: {b2}", c.what);
        assert!(
            b2["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}: {b2}",
            c.what
        );
        assert_eq!(auth1, auth2, "{}: WWW-Authenticate", c.what);
        if s2 == 412 {
            assert_eq!(b2["current"]["version"], pd_version, "{b2}");
        }
    }
    assert!(
        fake.writes().is_empty(),
        "a refused request reached PagerDuty"
    );
    serve.shutdown().await;
    gw.shutdown().await;
}

/// The server's idempotency serves the gateway too: a change retried with its key lands
/// once and the retry gets the first answer; the key reused for another change is refused.
#[tokio::test]
async fn a_retried_change_lands_once_and_a_reused_key_is_refused() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let inc = api.incident("PT4KHLK").await.unwrap();
    let send = |body: Value| {
        reqwest::Client::new()
            .patch(format!("{}/api/v1/incidents/PT4KHLK", gw.base()))
            .bearer_auth(gw.token().expose())
            .header("If-Match", format!("\"{}\"", inc.version))
            .header("Idempotency-Key", "take-command-1")
            .json(&body)
            .send()
    };
    let first = send(json!({"commander": "ana@example.com"})).await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].clone();
    let first: Value = first.json().await.unwrap();
    // The answer was lost; the outbox sends the same change again, on the old version.
    let again = send(json!({"commander": "ana@example.com"})).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["etag"], etag);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let puts = fake
        .writes()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 1, "the retry reached PagerDuty again");
    // The same key for another change.
    let reused = send(json!({"phase": "closed"})).await.unwrap();
    assert_eq!(reused.status(), 422);
    let body: Value = reused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "idempotency_key_reused", "{body}");
    assert_eq!(body["error"]["field"], "Idempotency-Key");
    assert_eq!(fake.writes().len(), 1);
    gw.shutdown().await;
}

/// What PagerDuty has no place for answers 501 `unsupported` naming it, on every route the
/// API has, never a 404 or a 500; the API's own document and health are served too.
#[tokio::test]
async fn every_route_pagerduty_lacks_says_unsupported() {
    let fake = account().await;
    let (gw, _api) = gateway(&fake).await;
    let http = reqwest::Client::new();
    let base = format!("{}/api/v1", gw.base());
    let cases = [
        (
            "POST",
            "/incidents",
            json!({"title": "x", "severity": "SEV2"}),
            "declaring incidents",
        ),
        (
            "POST",
            "/incidents/PT4KHLK/notes",
            json!({"text": "x"}),
            "timeline notes",
        ),
        (
            "GET",
            "/incidents/PT4KHLK/signals",
            Value::Null,
            "monitoring signals",
        ),
        (
            "GET",
            "/incidents/PT4KHLK/exceptions",
            Value::Null,
            "exceptions",
        ),
        ("GET", "/actions/ACT-1", Value::Null, "corrective actions"),
        (
            "POST",
            "/ingest/alertmanager",
            json!({"version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0, "status": "firing", "receiver": "sitrep",
                "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": {"alertname": "HighErrorRate"}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
                "alerts": [{"status": "firing", "labels": {"alertname": "HighErrorRate", "severity": "critical"}, "annotations": {"summary": "errors"},
                    "startsAt": "2026-11-29T05:00:00.000Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": "f1"}]}),
            "alert ingestion",
        ),
    ];
    for (method, path, body, what) in cases {
        let mut r = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth(gw.token().expose());
        if !body.is_null() {
            r = r.json(&body);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let b: Value = resp.json().await.unwrap();
        assert_eq!(status, 501, "{method} {path}: {b}");
        assert_eq!(b["error"]["code"], "unsupported", "{method} {path}");
        assert!(
            b["error"]["message"].as_str().unwrap().contains(what),
            "{method} {path}: {b}"
        );
    }
    let doc = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    let health: Value = http
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert!(fake.writes().is_empty());
    gw.shutdown().await;
}

/// The server's limits hold on the gateway's loopback port too: one token cannot hold more
/// event streams than its cap (another local process that learned the token, or a looping
/// client, cannot take every connection), and the refusal is the server's 429.
#[tokio::test]
async fn the_gateway_caps_a_tokens_event_streams_like_sitrep_serve() {
    let fake = account().await;
    let (gw, _api) = gateway(&fake).await;
    let http = reqwest::Client::new();
    let open = || {
        http.get(format!("{}/api/v1/events", gw.base()))
            .bearer_auth(gw.token().expose())
            .send()
    };
    let mut held = Vec::new();
    for _ in 0..sitrep::server::events::DEFAULT_STREAMS_PER_TOKEN {
        let r = open().await.unwrap();
        assert_eq!(r.status(), 200);
        held.push(r);
    }
    let refused = open().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams", "{body}");
    // A closed stream frees its place.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = open().await.unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gw.shutdown().await;
}
