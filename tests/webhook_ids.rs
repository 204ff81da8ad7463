//! A webhook id names one subscription for good: removing the newest one and adding
//! another does not hand its id out again, so a stale `webhook remove WH-1` cannot remove a
//! different receiver's subscription and the audit trail tells the two apart.
use crate::common::TestServer;
use reqwest::Method;
use serde_json::json;

on_both_stores!(a_removed_webhooks_id_is_never_given_to_another);

async fn a_removed_webhooks_id_is_never_given_to_another(t: TestServer) {
    let secret = "whsec_c2l0cmVwLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
    let add = |port: u16| {
        let body = json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["*"], "secret": secret});
        let t = &t;
        async move {
            let (s, v) = t.call(Method::POST, "/webhooks", Some(body)).await;
            assert_eq!(s.as_u16(), 201, "{v}");
            v["id"].as_str().unwrap().to_string()
        }
    };
    let first = add(9001).await;
    let (s, v) = t
        .call(Method::DELETE, &format!("/webhooks/{first}"), None)
        .await;
    assert_eq!(s.as_u16(), 200, "{v}");
    let second = add(9002).await;
    assert_ne!(
        second, first,
        "the removed subscription's id was handed out again"
    );
    // A remove meant for the first subscription, run late, leaves the second alone.
    let (s, v) = t
        .call(Method::DELETE, &format!("/webhooks/{first}"), None)
        .await;
    assert_eq!(s.as_u16(), 404, "{v}");
    let (_, list) = t.call(Method::GET, "/webhooks", None).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str()]);
    let third = add(9003).await;
    assert!(third != first && third != second, "{third} reused");
}
