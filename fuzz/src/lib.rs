//! What the fuzz targets share: the model registry of upstream's models and the reading of
//! an input as an HTTP request.

use std::sync::OnceLock;

use axum::body::Body;
use cninfra_models::ModelRegistry;
use http::{Method, Request, Uri};

/// The registry of `cninfra-ligato`'s VPP and Linux models.
pub fn registry() -> &'static ModelRegistry {
    static REGISTRY: OnceLock<ModelRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = ModelRegistry::new();
        cninfra_ligato::register_vpp(&mut registry).expect("VPP models register");
        cninfra_ligato::register_linux(&mut registry).expect("Linux models register");
        registry
    })
}

/// An input read as a request line and a body: `METHOD /path?query`, then optionally a
/// newline and the body (`PUT /log/etcd/debug`). `None` when it is not a request a server
/// would route: no method, or a target that is not an origin-form URI (hyper refuses those
/// before any handler runs).
pub fn request(data: &[u8]) -> Option<Request<Body>> {
    let (line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    let space = line.iter().position(|&b| b == b' ')?;
    let method = Method::from_bytes(&line[..space]).ok()?;
    let target = &line[space + 1..];
    if !target.starts_with(b"/") {
        return None;
    }
    let uri = Uri::try_from(target).ok()?;
    Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
        .ok()
}
