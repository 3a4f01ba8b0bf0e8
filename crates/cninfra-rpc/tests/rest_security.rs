//! Upstream's REST security with a real HTTP client: token login, use, expiry, logout,
//! permission groups, the browser cookie, the rate limiter with its headers, and probes that
//! need neither credentials nor budget.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_rpc::rest::{
    AuthenticatedUser, HEADER_BURST, HEADER_DELAY, HEADER_LIMIT, HEADER_USERNAME, HttpConfig,
    HttpPlugin, Permission, PermissionGroup, RateLimiterConfig, UserConfig,
};
use reqwest::StatusCode;
use support::{eventually, loopback, start};

/// Routes `/items` (GET, PUT) and the public `/liveness`, and the group `readers` that may
/// GET `/items`.
struct App(Arc<HttpPlugin>);

#[async_trait]
impl Plugin for App {
    fn name(&self) -> &str {
        "app"
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.0.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        let whoami = |Extension(user): Extension<AuthenticatedUser>| async move { user.0 };
        self.0
            .merge(Router::new().route("/items", get(|| async { "items" }).put(whoami)))?;
        self.0
            .public_route("/liveness", get(|| async { "alive" }))?;
        self.0.register_permission_group(
            PermissionGroup::new("readers").with_permission(Permission::new("/items", ["GET"])),
        )?;
        Ok(())
    }
}

async fn serve(config: HttpConfig) -> (cninfra_core::RunningAgent, String) {
    let http = HttpPlugin::builder().with_config(config).build();
    let agent = start(vec![Arc::new(App(http.clone()))])
        .await
        .expect("agent starts");
    let addr = http.local_addr().expect("bound");
    (agent, format!("http://{addr}"))
}

fn hash(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

fn token_config(expiration: Duration) -> HttpConfig {
    HttpConfig {
        enable_token_auth: true,
        password_hash_cost: 4,
        token_expiration: expiration,
        sign_key: "test-key".into(),
        users: vec![UserConfig {
            name: "reader".into(),
            password: hash("reader-pw").as_str().into(),
            permissions: vec!["readers".into()],
        }],
        ..loopback()
    }
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn tokens_open_what_the_groups_allow_and_end_with_logout() {
    let (agent, base) = serve(token_config(Duration::from_secs(3600))).await;
    let client = reqwest::Client::new();
    let items = format!("{base}/items");

    let anonymous = client.get(&items).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.text().await.unwrap().trim(),
        "authorization required"
    );
    let wrong = login(&client, &base, "reader", "guess").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.text().await.unwrap(),
        "auth: invalid username or password"
    );
    let stranger = login(&client, &base, "nobody", "reader-pw").await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let garbage = client
        .post(format!("{base}/auth/login"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);

    let ok = login(&client, &base, "reader", "reader-pw").await;
    assert_eq!(ok.status(), StatusCode::OK);
    let token = ok.text().await.unwrap();
    let read = client.get(&items).bearer_auth(&token).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()[HEADER_USERNAME], "reader");
    assert_eq!(read.text().await.unwrap(), "items");
    let write = client.put(&items).bearer_auth(&token).send().await.unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        write.text().await.unwrap().trim(),
        "auth: permission denied"
    );
    let forged = client
        .get(&items)
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let basic = client
        .get(&items)
        .basic_auth("reader", Some("reader-pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    // The admin exists with upstream's password and may do everything.
    let admin = login(&client, &base, "admin", "ligato123")
        .await
        .text()
        .await
        .unwrap();
    let write = client.put(&items).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(write.status(), StatusCode::OK);
    assert_eq!(write.text().await.unwrap(), "admin");

    // Probes need nothing.
    let probe = client.get(format!("{base}/liveness")).send().await.unwrap();
    assert_eq!(probe.status(), StatusCode::OK);

    // Logout ends the reader's tokens, not the admin's.
    let out = client
        .post(format!("{base}/auth/logout"))
        .json(&serde_json::json!({"username": "reader"}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    let after = client.get(&items).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(after.text().await.unwrap().trim(), "user has logged out");
    let admin_read = client.get(&items).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(admin_read.status(), StatusCode::OK);
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn browsers_log_in_with_the_form_and_carry_the_cookie() {
    let (agent, base) = serve(token_config(Duration::from_secs(3600))).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(format!("{base}/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .unwrap()
            .contains("action=\"authenticate\"")
    );

    let answer = client
        .post(format!("{base}/auth/authenticate"))
        .form(&[("username", "reader"), ("password", "reader-pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(answer.headers()["location"], "/");
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("ligato-rest-auth=") && cookie.contains("Max-Age=3600"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let read = client
        .get(format!("{base}/items"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn tokens_expire_after_the_configured_time() {
    let (agent, base) = serve(token_config(Duration::from_secs(1))).await;
    let client = reqwest::Client::new();
    let token = login(&client, &base, "reader", "reader-pw")
        .await
        .text()
        .await
        .unwrap();
    let items = format!("{base}/items");
    let first = client.get(&items).bearer_auth(&token).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    eventually("the token expires", Duration::from_secs(5), || async {
        let answer = client.get(&items).bearer_auth(&token).send().await.unwrap();
        answer.status() == StatusCode::UNAUTHORIZED
            && answer.text().await.unwrap().trim() == "token is expired"
    })
    .await;
    // A fresh login works again.
    let fresh = login(&client, &base, "reader", "reader-pw")
        .await
        .text()
        .await
        .unwrap();
    let read = client.get(&items).bearer_auth(&fresh).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn the_rate_limiter_answers_429_with_upstreams_headers_per_client() {
    let config = HttpConfig {
        client_basic_auth: vec!["a:pa".into(), "b:pb".into()],
        rate_limiter: Some(RateLimiterConfig {
            limit: 0.5,
            burst: 2,
        }),
        ..loopback()
    };
    let (agent, base) = serve(config).await;
    let client = reqwest::Client::new();
    let items = format!("{base}/items");
    let get_as = |user: &'static str, password: &'static str| {
        client.get(&items).basic_auth(user, Some(password)).send()
    };
    for _ in 0..2 {
        let ok = get_as("a", "pa").await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[HEADER_LIMIT], "0.5");
        assert_eq!(ok.headers()[HEADER_BURST], "2");
    }
    let limited = get_as("a", "pa").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[HEADER_LIMIT], "0.5");
    assert_eq!(limited.headers()[HEADER_BURST], "2");
    let delay = limited.headers()[HEADER_DELAY].to_str().unwrap().to_owned();
    assert!(delay.ends_with('s') && delay != "0s", "{delay}");
    assert_eq!(limited.text().await.unwrap().trim(), "rate limit exceeded");
    // Another user has a bucket of their own; the probe is never limited.
    assert_eq!(get_as("b", "pb").await.unwrap().status(), StatusCode::OK);
    for _ in 0..5 {
        let probe = client.get(format!("{base}/liveness")).send().await.unwrap();
        assert_eq!(probe.status(), StatusCode::OK);
        assert!(!probe.headers().contains_key(HEADER_LIMIT));
    }
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn anonymous_clients_are_limited_by_address_and_burst_zero_refuses_all() {
    let config = HttpConfig {
        rate_limiter: Some(RateLimiterConfig {
            limit: 100.0,
            burst: 0,
        }),
        ..loopback()
    };
    let (agent, base) = serve(config).await;
    let refused = reqwest::get(format!("{base}/items")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.text().await.unwrap().trim(),
        "rate limit burst exceeded"
    );
    agent.stop().await.unwrap();
}
