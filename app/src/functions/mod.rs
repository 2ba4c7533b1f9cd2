//! Server functions: thin adapters from HTTP (`/fn/...`) to the service layer.
//! Each is a public endpoint; authentication and authorization happen inside
//! the service call.

pub mod accounts;
pub mod catalog;
pub mod live;
pub mod notifications;
pub mod tickets;

/// URL prefix of every server function, kept apart from the REST API's `/api/v1`.
pub const PREFIX: &str = "/fn";

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Request plumbing shared by the server functions.

    use crate::error::AppError;
    use crate::services::{Caller, ServerContext};
    use axum::extract::ConnectInfo;
    use leptos::prelude::*;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use tower_sessions::Session;

    /// The caller of the current HTTP request, loaded once and shared by every
    /// server function that request runs. A server-rendered page runs several
    /// (the header's user and unread count, the page's data, its draft...):
    /// without it each loaded the user again. Provide a new one per request
    /// (the router does, in its Leptos context); without one, every call loads.
    #[derive(Clone, Default)]
    pub struct CallerCache(Arc<tokio::sync::OnceCell<Caller>>);

    /// The server context, the session and the authenticated caller of the current request.
    pub struct Request {
        pub context: ServerContext,
        pub session: Session,
        pub caller: Caller,
    }

    /// Reads the current request's context, session and caller.
    ///
    /// Errors: [`AppError::Internal`] when the server was wired without them.
    pub async fn request() -> Result<Request, AppError> {
        let context = use_context::<ServerContext>().ok_or_else(|| {
            tracing::error!("ServerContext missing from the Leptos context");
            AppError::internal()
        })?;
        let session: Session = leptos_axum::extract().await.map_err(|error| {
            tracing::error!(%error, "session layer missing");
            AppError::internal()
        })?;
        let load = async {
            let address =
                leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|ConnectInfo(address)| address.ip());
            Caller::from_session(&context.pool, &session, address).await
        };
        let caller = match use_context::<CallerCache>() {
            Some(CallerCache(cell)) => cell.get_or_try_init(|| load).await?.clone(),
            None => load.await?,
        };
        Ok(Request { context, session, caller })
    }

    /// Gives a server function's HTTP response the error's status code (403,
    /// 404, 422...) instead of the default 500. Plain HTML form posts are left
    /// alone: Leptos answers those with a redirect back carrying the error.
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(error) = &result {
            let parts = use_context::<http::request::Parts>();
            let response = use_context::<leptos_axum::ResponseOptions>();
            if let (Some(parts), Some(response)) = (parts, response) {
                let accepts_html = parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|value| value.to_str().ok())
                    .is_some_and(|value| value.contains("text/html"));
                if parts.uri.path().starts_with(super::PREFIX)
                    && !accepts_html
                    && let Ok(status) = http::StatusCode::from_u16(error.status())
                {
                    response.set_status(status);
                }
            }
        }
        result
    }

    /// Sets the status of a server-rendered page (e.g. 403, 404) from the
    /// error shown on it. Does nothing in the browser.
    pub fn set_page_status(error: &AppError) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = http::StatusCode::from_u16(error.status())
        {
            response.set_status(status);
        }
    }
}
