//! The agent's REST API: one client with the time limit, TLS and basic credentials of the
//! global flags; errors name the method, the URL and what the server said.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::cli::Global;

/// A REST client of one agent.
#[derive(Debug, Clone)]
pub(crate) struct Rest {
    client: reqwest::Client,
    base: String,
    credentials: Option<(String, String)>,
    timeout: Duration,
}

/// An answer: its status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The status code.
    pub(crate) status: StatusCode,
    /// The body.
    pub(crate) body: String,
}

impl Rest {
    /// The client the global flags describe.
    pub(crate) fn new(global: &Global) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(global.timeout)
            .connect_timeout(global.timeout.min(Duration::from_secs(10)));
        let scheme = if global.tls { "https" } else { "http" };
        if global.tls {
            let tls = crate::agent::tls_files(global)
                .load(crate::agent::TLS_FLAGS)
                .context("REST client")?;
            if let Some(pem) = &tls.ca_pem {
                for cert in reqwest::Certificate::from_pem_bundle(pem).context("--tls-ca")? {
                    builder = builder.add_root_certificate(cert);
                }
            }
            if let Some(identity) = tls.identity {
                let mut pem = identity.cert_pem;
                pem.extend(identity.key_pem);
                builder =
                    builder.identity(reqwest::Identity::from_pem(&pem).context("--tls-cert")?);
            }
            builder = builder.danger_accept_invalid_certs(tls.skip_verify);
        }
        let credentials = global
            .http_basic_auth
            .as_deref()
            .map(|pair| match pair.split_once(':') {
                Some((user, password)) => Ok((user.to_owned(), password.to_owned())),
                None => Err(anyhow!("--http-basic-auth must be `user:password`")),
            })
            .transpose()?;
        Ok(Self {
            client: builder.build().context("REST client")?,
            base: format!("{scheme}://{}:{}", global.host, global.http_port),
            credentials,
            timeout: global.timeout,
        })
    }

    /// The URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and returns whatever status came back.
    ///
    /// # Errors
    /// When no answer came: `<METHOD> <url>: <why>`.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<Answer> {
        let url = self.url(path);
        let mut request = self.client.request(method.clone(), &url).query(query);
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        let fail = |err: reqwest::Error| anyhow!("{method} {url}: {}", self.describe(&err));
        let response = request.send().await.map_err(fail)?;
        let status = response.status();
        let body = response.text().await.map_err(fail)?;
        Ok(Answer { status, body })
    }

    /// Sends a request and returns the body of a successful answer.
    ///
    /// # Errors
    /// No answer, or a status outside 2xx: `<METHOD> <url>: <status>: <the server's error>`.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<String> {
        let answer = self.send(method.clone(), path, query).await?;
        if answer.status.is_success() {
            return Ok(answer.body);
        }
        Err(anyhow!(
            "{method} {}: {}{}",
            self.url(path),
            answer.status,
            server_error(&answer.body)
                .map(|text| format!(": {text}"))
                .unwrap_or_default()
        ))
    }

    /// GET, as text.
    pub(crate) async fn get_text(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<String> {
        self.call(Method::GET, path, query).await
    }

    /// GET, as JSON of `T`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<T> {
        let body = self.get_text(path, query).await?;
        serde_json::from_str(&body).with_context(|| {
            format!(
                "GET {}: the answer is not the expected JSON",
                self.url(path)
            )
        })
    }

    /// Why a request got no answer, in a few words.
    fn describe(&self, err: &reqwest::Error) -> String {
        if err.is_timeout() {
            return format!(
                "no answer within {}",
                humantime::format_duration(self.timeout)
            );
        }
        // reqwest's own text repeats the URL; the innermost cause says what happened.
        let mut cause: &dyn std::error::Error = err;
        while let Some(next) = cause.source() {
            cause = next;
        }
        if err.is_connect() {
            format!("cannot connect: {cause}")
        } else {
            cause.to_string()
        }
    }
}

/// The error text of a body: its JSON `error` field, else its first line.
fn server_error(body: &str) -> Option<String> {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(body)
        && let Some(serde_json::Value::String(text)) = map.get("error")
    {
        return Some(text.clone());
    }
    body.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::server_error;

    #[test]
    fn the_server_error_is_the_json_error_or_the_first_line() {
        assert_eq!(
            server_error(r#"{"error":"unknown logger \"x\"","loggers":[]}"#).as_deref(),
            Some("unknown logger \"x\"")
        );
        assert_eq!(
            server_error("\n  bad thing\nmore").as_deref(),
            Some("bad thing")
        );
        assert_eq!(server_error(""), None);
    }
}
