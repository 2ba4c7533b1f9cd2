//! The security layers around the whole router (issue 20):
//!
//! - [`cross_site`]: a state-changing request (POST, PUT, PATCH, DELETE) to
//!   `/fn/*` or `/api/v1/*` must come from Guichet's own origin, the origin of
//!   `GUICHET_PUBLIC_URL`, shown by `Origin`, else `Sec-Fetch-Site:
//!   same-origin`, else `Referer` (OWASP's CSRF Prevention Cheat Sheet,
//!   "Verifying Origin With Standard Headers"); otherwise 403. API requests
//!   with `Authorization: Bearer` are exempt (a browser never adds that
//!   header across sites), and so is the plain error intake
//!   (`POST /api/v1/errors`, issue 16), which never reads the session: an
//!   error project's key (`X-Guichet-Key`) is its only credential. The JSON API takes only `application/json` bodies (415).
//! - [`headers`]: the Content-Security-Policy with a per-request nonce, and
//!   the other security headers, on every response.
//! - [`redirects`]: a plain form post is redirected only within the site,
//!   and the error it hands to the page (`?__err=`) is signed, so a page shows
//!   only errors the server produced (an unsigned or stale one is dropped by a
//!   redirect to the page without it).
//!
//! Errors are answered in the API's format, `{"error": {"code", "message", "fields"}}`.

use app::services::{SecretKey, Settings};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use hmac::{Hmac, Mac};
use leptos::prelude::provide_context;
use sha2::Sha256;
use std::sync::Arc;

/// URL prefix of the server functions.
const FUNCTIONS: &str = "/fn/";
/// URL prefix of the JSON API.
const API: &str = "/api/v1/";
/// The plain error intake, authenticated by its project's key only.
const ERROR_INTAKE: &str = "/api/v1/errors";
/// How long the signed error of a form post stays displayable, in seconds.
const ERROR_LIFETIME_SECONDS: i64 = 300;

/// What the security layers need to know, built once from [`Settings`].
#[derive(Clone, Debug)]
pub struct Security {
    /// The public URL's origin, e.g. `https://help.example.com`.
    pub origin: String,
    /// Further origins allowed to make changes (`GUICHET_TRUSTED_ORIGINS`).
    pub trusted_origins: Vec<String>,
    /// Whether the public URL is https (then HSTS is sent).
    pub https: bool,
    key: SecretKey,
}

impl Security {
    /// From the settings' public URL and secret key.
    pub fn new(settings: &Settings) -> Security {
        Security {
            origin: origin_of(&settings.public_url)
                .unwrap_or_else(|| settings.public_url.trim_end_matches('/').to_string()),
            trusted_origins: settings.trusted_origins.iter().filter_map(|origin| origin_of(origin)).collect(),
            https: settings.secure_cookies(),
            key: settings.secret_key.clone(),
        }
    }
}

/// The `scheme://host[:port]` origin of an absolute http(s) URL (default
/// port dropped, host lower-cased), or `None` when `text` is not one.
pub fn origin_of(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// The answer to a refused request: `status` with the API's error body.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message, "fields": {} } });
    (status, axum::Json(body)).into_response()
}

fn is_state_changing(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// Whether `Authorization` names the `Bearer` scheme, case-insensitively (RFC 9110 §11.1).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// The value of cookie `name` in a request's `Cookie` headers (the first one
/// so named), as sent: `cookie(headers, "guichet_language")` → `Some("fr")`.
pub fn cookie<'headers>(headers: &'headers HeaderMap, name: &str) -> Option<&'headers str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie_name, _)| *cookie_name == name)
        .map(|(_, value)| value)
}

impl Security {
    /// Whether `url`'s origin is this site's (public or trusted).
    fn is_own(&self, url: &str) -> bool {
        origin_of(url).is_some_and(|origin| origin == self.origin || self.trusted_origins.contains(&origin))
    }

    /// Why a request does not show that it comes from this site, if it does not.
    fn foreign_origin(&self, headers: &HeaderMap) -> Option<&'static str> {
        let text = |name: header::HeaderName| headers.get(name).map(|value| value.to_str().unwrap_or_default().trim());
        if let Some(sent) = text(header::ORIGIN) {
            return (!self.is_own(sent)).then_some("its Origin is another site");
        }
        if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
            return (!site.eq_ignore_ascii_case("same-origin")).then_some("it was sent from another site");
        }
        if let Some(referer) = text(header::REFERER) {
            return (!self.is_own(referer)).then_some("its Referer is another site");
        }
        Some("it has no Origin, Sec-Fetch-Site or Referer header")
    }
}

/// Refuses cross-site state-changing requests (403) and JSON API bodies of
/// another media type (415); see the module documentation.
pub async fn cross_site(State(security): State<Arc<Security>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path.starts_with(API);
    if is_state_changing(request.method()) && (api || path.starts_with(FUNCTIONS)) {
        let exempt = api && (bearer_token(request.headers()).is_some() || path == ERROR_INTAKE);
        if !exempt && let Some(reason) = security.foreign_origin(request.headers()) {
            tracing::warn!(path, reason, "cross-site request refused");
            return error_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                &app::t!(errors.cross_site, origin = security.origin.clone()),
            );
        }
        if api && !json_body(request.headers()) {
            return error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                app::t!(errors.json_content_type),
            );
        }
    }
    next.run(request).await
}

/// Whether a request's body is JSON or absent: a `Content-Type` of
/// `application/json` (parameters allowed), or no body at all.
fn json_body(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json")),
        None => {
            let length = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok());
            headers.get(header::TRANSFER_ENCODING).is_none() && length.is_none_or(|length| length.trim() == "0")
        }
    }
}

/// The nonce of this request's Content-Security-Policy, in the request's
/// extensions for the page renderer ([`provide_request_nonce`]).
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Provides this request's CSP nonce to Leptos, which puts it on the
/// hydration scripts and the shell's inline script. Call it in the
/// additional context of page rendering.
pub fn provide_request_nonce() {
    if let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>()
        && let Some(CspNonce(nonce)) = parts.extensions.get::<CspNonce>()
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.as_str()));
    }
}

fn new_nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The Content-Security-Policy for a page whose inline scripts carry `nonce`:
/// scripts and wasm only from Guichet itself, no framing, no plugins, forms
/// posted only to Guichet. Style attributes are allowed (a queue's colour swatch).
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the security headers to every response: CSP (with a fresh nonce per
/// request), `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
/// `Permissions-Policy` (no camera, microphone, geolocation, payment, USB),
/// `Cache-Control: no-store` on pages and API and server-function answers
/// (not on `/pkg` files), and HSTS (one year) when the public URL is https.
pub async fn headers(State(security): State<Arc<Security>>, mut request: Request, next: Next) -> Response {
    let nonce = new_nonce();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, &content_security_policy(&nonce));
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    if security.https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if path.starts_with(API) || path.starts_with(FUNCTIONS) || html {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Query parameters of a form post's error, as Leptos writes them.
const ERROR_PATH: &str = "__path";
const ERROR_VALUE: &str = "__err";
/// The parameters this module adds to sign them.
const ERROR_EXPIRES: &str = "__expires";
const ERROR_SIGNATURE: &str = "__sig";

/// Keeps form-post redirects on the site and their errors authentic:
/// - a server function's `Location` (Leptos sends plain form posts back to
///   their `Referer`) that is not a path of this site becomes `/`; an error
///   in it is signed (valid [`ERROR_LIFETIME_SECONDS`]);
/// - a page request carrying an error that is not signed by this server (or
///   is stale) is redirected (303) to the same page without it.
pub async fn redirects(State(security): State<Arc<Security>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if request.method() == Method::GET
        && !path.starts_with(FUNCTIONS)
        && !path.starts_with(API)
        && let Some(query) = request.uri().query()
        && has_error(query)
        && !security.error_is_signed(query, chrono::Utc::now().timestamp())
    {
        let location = without_error(path, query);
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::SEE_OTHER.into_response());
    }
    let function = path.starts_with(FUNCTIONS);
    let mut response = next.run(request).await;
    if function && let Some(location) = response.headers().get(header::LOCATION) {
        let location = location.to_str().unwrap_or_default();
        let safe = match security.site_path(location) {
            Some(target) => security.sign_error(&target, chrono::Utc::now().timestamp()),
            None => {
                tracing::warn!("a form post's redirect off the site was replaced by /");
                "/".to_string()
            }
        };
        if let Ok(value) = HeaderValue::from_str(&safe) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
}

fn has_error(query: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == ERROR_VALUE || key == ERROR_PATH)
}

fn is_error_parameter(key: &str) -> bool {
    matches!(key, ERROR_PATH | ERROR_VALUE | ERROR_EXPIRES | ERROR_SIGNATURE)
}

/// `path?query` without the error parameters.
fn without_error(path: &str, query: &str) -> String {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| !is_error_parameter(key))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        return path.to_string();
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
    format!("{path}?{query}")
}

impl Security {
    /// The path (with query) that `location` names on this site, or `None` when
    /// it leads elsewhere: a relative path (not `//host` or `/\host`), or an
    /// absolute URL of this site's origins.
    fn site_path(&self, location: &str) -> Option<String> {
        if location.starts_with('/') {
            let second = location.as_bytes().get(1).copied();
            if matches!(second, Some(b'/') | Some(b'\\')) || location.chars().any(char::is_control) {
                return None;
            }
            return Some(location.to_string());
        }
        let url = url::Url::parse(location).ok()?;
        if !self.is_own(location) {
            return None;
        }
        let mut target = url.path().to_string();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        Some(target)
    }
}

impl Security {
    fn signature(&self, error_path: &str, error: &str, expires: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.bytes()).expect("HMAC takes any key length");
        mac.update(format!("{error_path}\n{error}\n{expires}").as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// `target` (a site path) with its previous signature dropped and, when
    /// it carries an error, a fresh one valid until `now` + lifetime (UTC seconds).
    /// Leptos appends a form post's error to the page it came from, which may
    /// still carry the previous error: only the last (the newest) is kept.
    fn sign_error(&self, target: &str, now: i64) -> String {
        let Some((path, query)) = target.split_once('?') else {
            return target.to_string();
        };
        let all: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key != ERROR_EXPIRES && key != ERROR_SIGNATURE)
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let last = |name: &str| all.iter().rposition(|(key, _)| key == name);
        let (last_path, last_error) = (last(ERROR_PATH), last(ERROR_VALUE));
        let pairs: Vec<(String, String)> = all
            .iter()
            .enumerate()
            .filter(|(index, (key, _))| match key.as_str() {
                ERROR_PATH => Some(*index) == last_path,
                ERROR_VALUE => Some(*index) == last_error,
                _ => true,
            })
            .map(|(_, pair)| pair.clone())
            .collect();
        let value_of = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        serializer.extend_pairs(&pairs);
        if let Some(error) = value_of(ERROR_VALUE) {
            let expires = now + ERROR_LIFETIME_SECONDS;
            let signature = self.signature(&value_of(ERROR_PATH).unwrap_or_default(), &error, expires);
            serializer.append_pair(ERROR_EXPIRES, &expires.to_string());
            serializer.append_pair(ERROR_SIGNATURE, &signature);
        }
        let query = serializer.finish();
        if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
    }

    /// Whether the error in `query` was signed by this server and is not
    /// stale at `now` (UTC seconds).
    fn error_is_signed(&self, query: &str, now: i64) -> bool {
        let mut error_path = None;
        let mut error = None;
        let mut expires = None;
        let mut signature = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                ERROR_PATH => error_path = Some(value.into_owned()),
                ERROR_VALUE => error = Some(value.into_owned()),
                ERROR_EXPIRES => expires = value.parse::<i64>().ok(),
                ERROR_SIGNATURE => signature = Some(value.into_owned()),
                _ => {}
            }
        }
        let (Some(error), Some(expires), Some(signature)) = (error, expires, signature) else {
            return false;
        };
        if expires < now || expires > now + ERROR_LIFETIME_SECONDS {
            return false;
        }
        let expected = self.signature(&error_path.unwrap_or_default(), &error, expires);
        // Constant-time comparison of the two hex strings.
        expected.len() == signature.len()
            && expected.bytes().zip(signature.bytes()).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security() -> Security {
        Security {
            origin: "http://127.0.0.1:3000".into(),
            trusted_origins: vec!["http://intranet:3000".into()],
            https: false,
            key: SecretKey::from_text("test"),
        }
    }

    #[test]
    fn origins_compare_without_default_ports_or_case() {
        assert_eq!(origin_of("HTTPS://Help.Example.com:443/x?y").as_deref(), Some("https://help.example.com"));
        assert_eq!(origin_of("http://127.0.0.1:3000/").as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }

    #[test]
    fn only_site_paths_are_kept() {
        let security = security();
        assert_eq!(security.site_path("/tickets?x=1").as_deref(), Some("/tickets?x=1"));
        assert_eq!(security.site_path("http://127.0.0.1:3000/login?a=b").as_deref(), Some("/login?a=b"));
        assert_eq!(security.site_path("http://intranet:3000/login").as_deref(), Some("/login"));
        assert_eq!(security.site_path("https://evil.example/login"), None);
        assert_eq!(security.site_path("//evil.example/login"), None);
        assert_eq!(security.site_path("/\\evil.example/login"), None);
        assert_eq!(security.site_path("http://127.0.0.1:3001/login"), None);
    }

    #[test]
    fn signed_errors_verify_until_they_expire() {
        let security = security();
        let signed = security.sign_error("/login?__path=/fn/log_in&__err=abc", 1_000);
        let query = signed.split_once('?').unwrap().1;
        assert!(security.error_is_signed(query, 1_000));
        assert!(security.error_is_signed(query, 1_000 + ERROR_LIFETIME_SECONDS));
        assert!(!security.error_is_signed(query, 1_001 + ERROR_LIFETIME_SECONDS));
        let forged = query.replace("__err=abc", "__err=abd");
        assert!(!security.error_is_signed(&forged, 1_000));
        assert!(!security.error_is_signed("__path=/fn/log_in&__err=abc", 1_000));
        assert_eq!(security.sign_error("/login?a=1&__expires=5&__sig=00", 1_000), "/login?a=1");
    }

    #[test]
    fn a_second_error_on_a_page_replaces_the_first() {
        // A plain form post that fails twice: Leptos appends the new error to
        // the page's URL, which still carries the first one and its signature.
        let security = security();
        let first = security.sign_error("/admin?__path=/fn/x&__err=first", 1_000);
        let signed = security.sign_error(&format!("{first}&__path=/fn/y&__err=second"), 1_010);
        let query = signed.split_once('?').unwrap().1;
        assert_eq!(query.matches("__err=").count(), 1, "{query}");
        assert!(query.starts_with("__path=%2Ffn%2Fy&__err=second&"), "{query}");
        assert!(security.error_is_signed(query, 1_010));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bEaReR  abc "));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
    }
}
