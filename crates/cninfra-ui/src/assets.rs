//! The page's files, embedded in the binary, and the routes that serve them.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file of the page.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its path under `/ui/assets/`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

/// Lists the files of `web/` with their content types.
macro_rules! assets {
    ($($path:literal => $type:expr),* $(,)?) => {
        &[$(Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the page (`crates/cninfra-ui/web/`): the shell, the style sheet and the ES
/// modules, as served (no build step).
pub const ASSETS: &[Asset] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "app.js" => JS,
    "api.js" => JS,
    "dom.js" => JS,
    "layout.js" => JS,
    "views/agent.js" => JS,
    "views/loggers.js" => JS,
    "views/values.js" => JS,
    "views/graph.js" => JS,
    "views/history.js" => JS,
    "views/programs.js" => JS,
    "favicon.svg" => "image/svg+xml",
};

/// The views, each at `/ui/<view>` (the agent view at `/ui/`).
const VIEWS: &[&str] = &["loggers", "values", "graph", "history", "programs"];

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

fn serve(asset: &Asset) -> Response {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            // The files change with the binary: revalidate rather than cache blindly.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}

/// The page's shell, which every view's URL answers (the page routes in the browser).
async fn shell() -> Response {
    match find("index.html") {
        Some(asset) => serve(asset),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn file(Path(path): Path<String>) -> Response {
    match find(&path) {
        Some(asset) => serve(asset),
        None => (StatusCode::NOT_FOUND, format!("no asset `{path}`")).into_response(),
    }
}

/// `/ui/`, `/ui/<view>` and `/ui/assets/<file>`; `/ui` redirects to `/ui/`.
pub(crate) fn router() -> Router {
    let mut router = Router::new()
        .route(
            crate::UI_PREFIX,
            get(|| async { axum::response::Redirect::permanent("/ui/") }),
        )
        .route("/ui/", get(shell))
        .route("/ui/assets/{*path}", get(file));
    for view in VIEWS {
        router = router.route(&format!("/ui/{view}"), get(shell));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = router()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, kind, body.to_vec())
    }

    #[tokio::test]
    async fn each_view_url_answers_the_shell_and_each_asset_its_type() {
        let shell = find("index.html").unwrap().body;
        for path in [
            "/ui/",
            "/ui/loggers",
            "/ui/values",
            "/ui/graph",
            "/ui/history",
            "/ui/programs",
        ] {
            let (status, kind, body) = get(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(kind.starts_with("text/html"), "{path}: {kind}");
            assert_eq!(body, shell, "{path}");
        }
        let (status, kind, body) = get("/ui/assets/views/graph.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/javascript"), "{kind}");
        assert_eq!(body, find("views/graph.js").unwrap().body);
        assert_eq!(get("/ui/assets/nothing.js").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get("/ui/nothing").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get("/ui").await.0, StatusCode::PERMANENT_REDIRECT);
    }

    #[test]
    fn the_modules_the_page_imports_are_all_embedded() {
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(asset.body).expect("utf-8");
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let dir = asset.path.rsplit_once('/').map_or("", |(dir, _)| dir);
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for part in spec.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        other => parts.push(other),
                    }
                }
                let target = parts.join("/");
                assert!(
                    find(&target).is_some(),
                    "{} imports `{spec}`, which is not embedded",
                    asset.path
                );
            }
        }
    }

    #[test]
    fn no_asset_loads_anything_from_another_host() {
        for asset in ASSETS {
            let text = String::from_utf8_lossy(asset.body);
            for scheme in ["http://", "https://", "//cdn"] {
                let offending = text
                    .match_indices(scheme)
                    .map(|(at, _)| &text[at..text.len().min(at + 60)])
                    .find(|rest| !rest.starts_with("http://www.w3.org/2000/svg"));
                assert!(
                    offending.is_none(),
                    "{} refers to another host: {offending:?}",
                    asset.path
                );
            }
        }
    }
}
