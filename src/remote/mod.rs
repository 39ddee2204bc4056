//! The Customers API of a server, spoken over HTTP: [`RemoteClient`] implements the same
//! [`CustomersApi`] as the local store, so the caller cannot tell which one it holds.
//!
//! It refreshes an expired token once and otherwise reports "signed out", retries a locked
//! customer (423) and a server it cannot reach with a bounded backoff, and reads problem
//! documents back into the same [`ApiError`]s the local store returns.

mod users;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};
use url::Url;

use crate::api::{ApiError, CustomersApi, LoginRequest, LoginResponse, TokenPair, Upserted};
use crate::model::{Customer, FeedPage, Problem, QueryResult, UserInfo};
use crate::ndata::ListParams;

/// Timeouts and retries of a [`RemoteClient`].
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteOptions {
    /// How long one request may take, answer included.
    pub request_timeout: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Further tries after a 423 or a failed connection.
    pub retries: u32,
    /// The wait before the first retry; it doubles each time.
    pub first_backoff: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retries: 4,
            first_backoff: Duration::from_millis(100),
        }
    }
}

/// A signed-in user's connection to a Customer Desk (or PORTOS) server.
#[derive(Debug)]
pub struct RemoteClient {
    http: reqwest::Client,
    base: Url,
    options: RemoteOptions,
    tokens: RwLock<TokenPair>,
    /// Held while refreshing, so requests that all found the token expired refresh it once.
    refreshing: Mutex<()>,
    user: UserInfo,
    /// The last `Retry-After` (seconds) a busy server asked for; 0 when none.
    retry_after_secs: std::sync::atomic::AtomicU64,
}

/// A response that arrived: its status and body.
struct Answer {
    status: StatusCode,
    body: axum::body::Bytes,
}

impl RemoteClient {
    /// Signs `user_name` in at `base_url` (e.g. `http://192.168.1.10:8080`) from the desk
    /// named `device_name`.
    pub async fn login(
        base_url: &str,
        user_name: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Self, ApiError> {
        Self::login_with(
            base_url,
            user_name,
            password,
            device_name,
            RemoteOptions::default(),
        )
        .await
    }

    /// [`RemoteClient::login`] with explicit timeouts and retries.
    pub async fn login_with(
        base_url: &str,
        user_name: &str,
        password: &str,
        device_name: &str,
        options: RemoteOptions,
    ) -> Result<Self, ApiError> {
        let base = parse_base(base_url)?;
        let http = http_client(&options)?;
        let request = LoginRequest {
            user_name: user_name.to_owned(),
            password: password.to_owned(),
            device_name: Some(device_name.to_owned()),
        };
        let mut client = Self {
            http,
            base,
            options,
            tokens: RwLock::new(TokenPair {
                token_id: String::new(),
                refresh_token: String::new(),
            }),
            refreshing: Mutex::new(()),
            retry_after_secs: Default::default(),
            user: UserInfo {
                id: String::new(),
                name: String::new(),
                user_name: String::new(),
                rights: Vec::new(),
            },
        };
        let url = client.url(&["api", "auth"])?;
        let answer = client
            .send_with_retries(Method::POST, &url, None, Some(&to_value(&request)?), None)
            .await?;
        let session: LoginResponse = read_answer(answer)?;
        client.tokens = RwLock::new(TokenPair {
            token_id: session.token_id,
            refresh_token: session.refresh_token,
        });
        client.user = session.user;
        Ok(client)
    }

    /// A client for a session signed in before (a desk that kept its token pair): the first
    /// request refreshes the pair if it has expired.
    pub fn resume(
        base_url: &str,
        tokens: TokenPair,
        user: UserInfo,
        options: RemoteOptions,
    ) -> Result<Self, ApiError> {
        let base = parse_base(base_url)?;
        Ok(Self {
            http: http_client(&options)?,
            base,
            options,
            tokens: RwLock::new(tokens),
            refreshing: Mutex::new(()),
            retry_after_secs: Default::default(),
            user,
        })
    }

    /// The user as the server described them at sign-in.
    pub fn user(&self) -> &UserInfo {
        &self.user
    }

    /// The server's address.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// How long the server last asked to wait (`Retry-After` on a 429 or 503), once: the
    /// hint is cleared by reading it.
    pub fn take_retry_after(&self) -> Option<Duration> {
        let secs = self
            .retry_after_secs
            .swap(0, std::sync::atomic::Ordering::Relaxed);
        (secs > 0).then(|| Duration::from_secs(secs))
    }

    /// The current token pair (for a desk that remembers its session).
    pub async fn tokens(&self) -> TokenPair {
        self.tokens.read().await.clone()
    }

    /// Signs out: the server forgets the token at once.
    pub async fn logout(&self) -> Result<(), ApiError> {
        let url = self.url(&["api", "auth"])?;
        let token = self.tokens.read().await.token_id.clone();
        let answer = self
            .send_with_retries(Method::DELETE, &url, Some(&token), None, None)
            .await?;
        check_status(answer).map(|_| ())
    }

    /// The URL of a route; each segment is percent-encoded, so an id may hold any character.
    fn url(&self, segments: &[&str]) -> Result<Url, ApiError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ApiError::invalid("server", format!("{} cannot take a path", self.base)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// Sends a request as the signed-in user: on a 401 it refreshes the token once and tries
    /// again; a second 401 means the user is signed out.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Answer, ApiError> {
        self.call_keyed(method, url, body, None).await
    }

    /// [`Self::call`] with an `Idempotency-Key` header when `key` is given.
    async fn call_keyed(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<Answer, ApiError> {
        let token = self.tokens.read().await.token_id.clone();
        let answer = self
            .send_with_retries(method.clone(), &url, Some(&token), body, key)
            .await?;
        if answer.status != StatusCode::UNAUTHORIZED {
            return Ok(answer);
        }
        let token = self.refresh_after(&token).await?;
        let answer = self
            .send_with_retries(method, &url, Some(&token), body, key)
            .await?;
        if answer.status == StatusCode::UNAUTHORIZED {
            let reason = problem_of(&answer)
                .and_then(|p| p.detail)
                .unwrap_or_default();
            return Err(ApiError::Unauthorized(format!("signed out: {reason}")));
        }
        Ok(answer)
    }

    /// Renews the token that `stale` was, unless another request has done so already.
    async fn refresh_after(&self, stale: &str) -> Result<String, ApiError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let current = self.tokens.read().await.clone();
        if current.token_id != stale {
            return Ok(current.token_id);
        }
        let url = self.url(&["api", "auth", "refresh"])?;
        let answer = self
            .send_with_retries(Method::POST, &url, None, Some(&to_value(&current)?), None)
            .await?;
        if !answer.status.is_success() {
            let reason = problem_of(&answer)
                .and_then(|p| p.detail)
                .unwrap_or_default();
            return Err(ApiError::Unauthorized(format!("signed out: {reason}")));
        }
        let fresh: TokenPair = read_answer(answer)?;
        let token = fresh.token_id.clone();
        *self.tokens.write().await = fresh;
        Ok(token)
    }

    /// One request, tried again with a growing wait after a 423, a 429 or a 503 (the server
    /// did nothing: locked, or too busy to take it), when the server cannot be reached, or
    /// when a `GET` could not be sent whole.
    /// Other failures (a timeout after sending included: the server may have acted)
    /// are not retried.
    async fn send_with_retries(
        &self,
        method: Method,
        url: &Url,
        token: Option<&str>,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<Answer, ApiError> {
        let mut backoff = self.options.first_backoff;
        let mut attempt = 0;
        loop {
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if matches!(status.as_u16(), 429 | 503)
                        && let Some(secs) = response
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                    {
                        self.retry_after_secs
                            .store(secs, std::sync::atomic::Ordering::Relaxed);
                    }
                    match response.bytes().await {
                        Ok(body) => Ok(Answer { status, body }),
                        Err(e) => Err((false, e)),
                    }
                }
                // A read whose connection the server closed as it went out (an idle
                // keep-alive connection closed at that moment) did nothing: send it again.
                Err(e) => {
                    let resend = e.is_connect()
                        || (method == Method::GET && e.is_request() && !e.is_timeout());
                    Err((resend, e))
                }
            };
            let retry = match &outcome {
                Ok(answer) => matches!(
                    answer.status,
                    StatusCode::LOCKED
                        | StatusCode::TOO_MANY_REQUESTS
                        | StatusCode::SERVICE_UNAVAILABLE
                ),
                Err((unsent, _)) => *unsent,
            };
            if retry && attempt < self.options.retries {
                attempt += 1;
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
                continue;
            }
            return outcome.map_err(|(_, e)| unavailable(url, &e));
        }
    }
}

/// Reads a server address: `http://` or `https://`, with a path that ends in a slash so that
/// route paths join onto it. An address typed without a scheme (`192.168.1.10:8080`, as
/// people write it) is taken as `http://`, which the server speaks.
fn parse_base(base_url: &str) -> Result<Url, ApiError> {
    let typed = base_url.trim();
    let with_scheme = if typed.contains("://") {
        typed.to_owned()
    } else {
        format!("http://{typed}")
    };
    let mut base = Url::parse(&with_scheme).map_err(|e| {
        ApiError::invalid(
            "server",
            format!("\"{base_url}\" is not a server address: {e}"),
        )
    })?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(ApiError::invalid(
            "server",
            format!("\"{base_url}\" must start with http:// or https://"),
        ));
    }
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    Ok(base)
}

fn http_client(options: &RemoteOptions) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .timeout(options.request_timeout)
        .connect_timeout(options.connect_timeout)
        .build()
        .map_err(|e| ApiError::Internal(format!("cannot set up HTTP: {e}")))
}

fn unavailable(url: &Url, e: &reqwest::Error) -> ApiError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let host = url.host_str().unwrap_or_default();
    let port = url
        .port_or_known_default()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = format!("{cause}: {s}");
        source = s.source();
    }
    ApiError::Unavailable(format!("{host}{port}: {what} ({e}{cause})"))
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The problem document of a failed answer; a server that sent something else gets one made
/// up from its status, so the error still means what the status means.
fn problem_of(answer: &Answer) -> Option<Problem> {
    if answer.status.is_success() {
        return None;
    }
    let parsed = serde_json::from_slice::<Problem>(&answer.body).ok();
    Some(parsed.unwrap_or_else(|| {
        Problem {
            kind: "about:blank".into(),
            title: answer
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: answer.status.as_u16(),
            detail: Some(format!(
                "HTTP {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )),
            instance: None,
            error_code: None,
            resource: None,
            errors: Vec::new(),
        }
    }))
}

/// A failed answer as the error it stands for. A server that is overloaded, restarting or
/// behind a gateway that lost it (`429`, `502`, `503`, `504`) is unavailable for the moment,
/// like one that cannot be reached: the caller tries again later.
fn check_status(answer: Answer) -> Result<Answer, ApiError> {
    match problem_of(&answer) {
        Some(problem) if matches!(problem.status, 429 | 502 | 503 | 504) => {
            Err(ApiError::Unavailable(format!(
                "the server answered {}: {}",
                problem.status,
                problem.detail.unwrap_or(problem.title)
            )))
        }
        Some(problem) => Err(ApiError::from_problem(&problem)),
        None => Ok(answer),
    }
}

fn read_answer<T: DeserializeOwned>(answer: Answer) -> Result<T, ApiError> {
    let answer = check_status(answer)?;
    serde_json::from_slice(&answer.body).map_err(|e| {
        ApiError::Internal(format!(
            "the server's answer is not what the API promises: {e}"
        ))
    })
}

/// A page of customers, each read on its own: a page nests three levels deeper than the
/// customers in it, so one customer with a deep `meta` (stored before the API limited it)
/// would take the page past serde_json's 128 levels and make it unreadable. Each is read at
/// its own depth, and one that still cannot be read is left out with a warning instead of
/// taking the page's other customers with it.
fn read_page(answer: Answer) -> Result<QueryResult<Customer>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RawPage {
        #[serde(default)]
        items: Option<Vec<Box<serde_json::value::RawValue>>>,
        count: u64,
        total_count: u64,
    }
    let page: RawPage = read_answer(answer)?;
    let items = page.items.map(|items| {
        items
            .iter()
            .filter_map(|raw| match serde_json::from_str::<Customer>(raw.get()) {
                Ok(customer) => Some(customer),
                Err(e) => {
                    let start: String = raw.get().chars().take(60).collect();
                    tracing::warn!("left out a customer this desk cannot read ({e}): {start}");
                    None
                }
            })
            .collect()
    });
    Ok(QueryResult {
        items,
        count: page.count,
        total_count: page.total_count,
    })
}

/// The routes a replica needs beyond the [`CustomersApi`] (`sync.md` §2–3).
impl RemoteClient {
    /// `GET /sync/customers`: the page of the feed after `since`; `Ok(None)` when the server
    /// has no feed (a plain PORTOS server answers 404). `wait_secs` holds an up-to-date
    /// request open until a change comes.
    pub async fn feed(
        &self,
        since: Option<&str>,
        limit: usize,
        wait_secs: u64,
    ) -> Result<Option<FeedPage>, ApiError> {
        let mut url = self.url(&["sync", "customers"])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(since) = since {
                query.append_pair("since", since);
            }
            query.append_pair("limit", &limit.to_string());
            if wait_secs > 0 {
                query.append_pair("wait", &wait_secs.to_string());
            }
        }
        let answer = self.call(Method::GET, url, None).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_answer(answer).map(Some)
    }

    /// `POST /customers` sent with an idempotency key.
    pub async fn create_keyed(&self, body: &Value, key: &str) -> Result<Customer, ApiError> {
        let url = self.url(&["customers"])?;
        read_answer(
            self.call_keyed(Method::POST, url, Some(body), Some(key))
                .await?,
        )
    }

    /// `PUT /customers/{id}` sent with an idempotency key (when given).
    pub async fn upsert_keyed(
        &self,
        id: &str,
        body: &Value,
        key: Option<&str>,
    ) -> Result<Customer, ApiError> {
        let url = self.url(&["customers", id])?;
        read_answer(self.call_keyed(Method::PUT, url, Some(body), key).await?)
    }

    /// `POST /customers/{id}/credit` sent with an idempotency key.
    pub async fn adjust_credit_keyed(
        &self,
        id: &str,
        body: &Value,
        key: &str,
    ) -> Result<Customer, ApiError> {
        let url = self.url(&["customers", id, "credit"])?;
        read_answer(
            self.call_keyed(Method::POST, url, Some(body), Some(key))
                .await?,
        )
    }

    /// `DELETE /customers/{id}`, with `?_v=N` and an idempotency key when given (our server).
    pub async fn delete_keyed(
        &self,
        id: &str,
        version: Option<i64>,
        key: Option<&str>,
    ) -> Result<Customer, ApiError> {
        let mut url = self.url(&["customers", id])?;
        if let Some(v) = version {
            url.query_pairs_mut().append_pair("_v", &v.to_string());
        }
        read_answer(self.call_keyed(Method::DELETE, url, None, key).await?)
    }
}

impl CustomersApi for RemoteClient {
    async fn list(&self, params: &ListParams) -> Result<QueryResult<Customer>, ApiError> {
        let mut url = self.url(&["customers"])?;
        let query = params.to_query_string();
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        read_page(self.call(Method::GET, url, None).await?)
    }

    async fn get(&self, id: &str) -> Result<Customer, ApiError> {
        read_answer(
            self.call(Method::GET, self.url(&["customers", id])?, None)
                .await?,
        )
    }

    async fn create(&self, body: &Value) -> Result<Customer, ApiError> {
        read_answer(
            self.call(Method::POST, self.url(&["customers"])?, Some(body))
                .await?,
        )
    }

    async fn upsert(&self, id: &str, body: &Value) -> Result<Upserted, ApiError> {
        let answer = self
            .call(Method::PUT, self.url(&["customers", id])?, Some(body))
            .await?;
        let created = answer.status == StatusCode::CREATED;
        Ok(Upserted {
            customer: read_answer(answer)?,
            created,
        })
    }

    async fn delete(&self, id: &str) -> Result<Customer, ApiError> {
        read_answer(
            self.call(Method::DELETE, self.url(&["customers", id])?, None)
                .await?,
        )
    }

    async fn adjust_credit(&self, id: &str, body: &Value) -> Result<Customer, ApiError> {
        read_answer(
            self.call(
                Method::POST,
                self.url(&["customers", id, "credit"])?,
                Some(body),
            )
            .await?,
        )
    }

    async fn me(&self) -> Result<UserInfo, ApiError> {
        read_answer(
            self.call(Method::GET, self.url(&["api", "auth"])?, None)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_address_typed_without_http_is_completed() {
        for (typed, base) in [
            ("192.168.1.10:8080", "http://192.168.1.10:8080/"),
            (" shop-server:8080/desk ", "http://shop-server:8080/desk/"),
            ("https://shop.example.sk", "https://shop.example.sk/"),
        ] {
            assert_eq!(parse_base(typed).unwrap().as_str(), base, "{typed}");
        }
        assert!(parse_base("ftp://shop").is_err());
        assert!(parse_base("").is_err());
    }

    #[tokio::test]
    async fn an_unreachable_server_is_retried_then_reported_as_unavailable() {
        // Bind and drop a listener: nothing listens on that port afterwards.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = RemoteOptions {
            retries: 2,
            first_backoff: Duration::from_millis(1),
            ..RemoteOptions::default()
        };
        let err = RemoteClient::login_with(
            &format!("http://127.0.0.1:{port}"),
            "eva",
            "pw",
            "desk",
            options,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, ApiError::Unavailable(m) if m.contains("cannot connect")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_server_address_must_be_http() {
        let err = RemoteClient::login("ftp://shop", "eva", "pw", "desk")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("http://"), "{err}");
    }
}
