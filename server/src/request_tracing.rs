//! Request tracing: a request id on every request and one span per request.
//!
//! Every request gets an `x-request-id` (the client's own, if it sent one,
//! else a random UUID v4), answered in the response's `x-request-id` header.
//! Each request runs in an `info` span `request` with the fields `request_id`,
//! `method`, `path` (never the query string, which may hold secrets; never
//! any header, so no cookie or `Authorization`), and, once answered,
//! `status` and `latency_ms` (milliseconds to the response's head), logged
//! as one `info` event "answered". Internal errors are logged inside that
//! span ([`app::error::AppError::report`]), so with the request id.

use axum::body::Body;
use axum::http::{Request, Response};
use std::time::Duration;
use tower::ServiceBuilder;
use tower::layer::util::Stack;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::{Instrument, Span, field::Empty};

/// The header carrying the request id, in requests and responses.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

type MakeSpan = fn(&Request<Body>) -> Span;
type OnResponse = fn(&Response<Body>, Duration, &Span);

/// The layers, outermost first: set the request id, trace, copy the id to the response.
pub type RequestTracingLayer = Stack<
    PropagateRequestIdLayer,
    Stack<
        TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse, (), (), ()>,
        Stack<SetRequestIdLayer<MakeRequestUuid>, tower::layer::util::Identity>,
    >,
>;

/// The request-id and trace layers for the whole router (see the module docs).
pub fn layer() -> RequestTracingLayer {
    ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span as MakeSpan)
                .on_request(())
                .on_response(answered as OnResponse)
                .on_body_chunk(())
                .on_eos(())
                // The status is on the span and the cause is logged where the error is answered.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .into_inner()
}

fn request_span(request: &Request<Body>) -> Span {
    let request_id = request.headers().get(REQUEST_ID_HEADER).and_then(|value| value.to_str().ok()).unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %logged_path(request.uri().path()),
        status = Empty,
        latency_ms = Empty,
    )
}

/// The path as logged: a rating link's token (`/rate/{token}`, a
/// credential that works without logging in) is never written out.
pub fn logged_path(path: &str) -> &str {
    if path.starts_with("/rate/") { "/rate/{token}" } else { path }
}

fn answered(response: &Response<Body>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    span.record("latency_ms", latency.as_millis() as u64);
    tracing::info!(parent: span, "answered");
}

/// Makes Leptos' spawned tasks (the resources of a page rendered on the
/// server) run in the span that spawned them, so what they log carries the
/// request id. Called by [`crate::build_router`]; the first executor set
/// wins, so this must run before any Leptos rendering (it does: rendering
/// starts with the first request).
pub fn keep_spans_in_leptos_tasks() {
    let _ = any_spawner::Executor::init_custom_executor(SpanKeepingExecutor);
}

/// Tokio, like leptos_axum's default executor, with each task instrumented by the spawning span.
struct SpanKeepingExecutor;

impl any_spawner::CustomExecutor for SpanKeepingExecutor {
    fn spawn(&self, future: any_spawner::PinnedFuture<()>) {
        tokio::spawn(app::i18n::request::carry(future).in_current_span());
    }

    fn spawn_local(&self, future: any_spawner::PinnedLocalFuture<()>) {
        tokio::task::spawn_local(app::i18n::request::carry_local(future).in_current_span());
    }

    fn poll_local(&self) {}
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn a_rating_links_token_is_never_logged() {
        assert_eq!(logged_path("/rate/r1.1.2.3.4.abcdef"), "/rate/{token}");
        assert_eq!(logged_path("/tickets/SUP-0001"), "/tickets/SUP-0001");
    }
}
