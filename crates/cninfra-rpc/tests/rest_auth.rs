//! Static basic authentication.

mod support;

use axum::routing::get;
use axum::{Extension, Router};
use cninfra_rpc::rest::{AuthenticatedUser, HttpConfig};
use support::{loopback, serve};

#[tokio::test]
async fn requests_need_a_configured_user() {
    let router = Router::new().route(
        "/whoami",
        get(|Extension(user): Extension<AuthenticatedUser>| async move { user.0 }),
    );
    let config = HttpConfig {
        client_basic_auth: vec!["admin:s3cret".into(), "ops:pw".into()],
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, router).await;
    let url = format!("http://{addr}/whoami");
    let client = reqwest::Client::new();

    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Basic realm=\"cninfra\""
    );
    let wrong = client
        .get(&url)
        .basic_auth("admin", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // Routes that do not exist are not revealed to anonymous clients either.
    let hidden = client
        .get(format!("http://{addr}/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 401);

    for (user, password) in [("admin", "s3cret"), ("ops", "pw")] {
        let ok = client
            .get(&url)
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.text().await.unwrap(), user);
    }
    agent.stop().await.unwrap();
}
