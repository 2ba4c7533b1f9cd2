//! `/rate/{token}`: the "resolved" email's one-click rating links (issue 15,
//! item 4), usable without logging in. `GET /rate/{token}?score=N` records
//! score N (keeping a comment given before) and shows a page to add a
//! comment or change the score; `GET /rate/{token}` only shows that page;
//! `POST /rate/{token}` (the page's form: `score`, `comment`) records both.
//! The signed token is the only credential (see `app::services::ratings`);
//! the page is plain HTML in the viewer's language, without JavaScript. A
//! token that is tampered with, expired, or not the requester's answers a
//! page saying so (404, 400, 403), changing nothing. Tokens are never logged
//! (the request span logs the path without its query, and this module
//! never logs the path).

use crate::state::AppState;
use app::domain::{NewRating, RATING_CHANGE_DAYS, RATING_COMMENT_MAX, RATING_SCORES, score_label};
use app::error::AppError;
use app::services::ratings::{self, LinkView};
use app::{i18n, t};
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

/// The routes of the rating links.
pub fn router() -> Router<AppState> {
    Router::new().route("/rate/{token}", get(show).post(save))
}

/// `?score=N` of a one-click link.
#[derive(Deserialize)]
struct LinkQuery {
    #[serde(default)]
    score: Option<String>,
}

/// The page's form.
#[derive(Deserialize)]
struct RatingForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

async fn show(State(state): State<AppState>, Path(token): Path<String>, Query(query): Query<LinkQuery>) -> Response {
    let context = &state.context;
    let key = &context.settings.secret_key;
    let view = match ratings::link_view(&context.pool, key, &token).await {
        Ok(view) => view,
        Err(error) => return error_page(&error),
    };
    let Some(score) = query.score else {
        return page(StatusCode::OK, &token, &view, None, None, None);
    };
    // One click sets the score; a comment given before stays.
    let comment = view.rating.as_ref().and_then(|rating| rating.comment.clone());
    let input = NewRating { score, comment };
    record(&state, &token, view, input).await
}

async fn save(State(state): State<AppState>, Path(token): Path<String>, Form(form): Form<RatingForm>) -> Response {
    let context = &state.context;
    let view = match ratings::link_view(&context.pool, &context.settings.secret_key, &token).await {
        Ok(view) => view,
        Err(error) => return error_page(&error),
    };
    record(&state, &token, view, NewRating { score: form.score, comment: Some(form.comment) }).await
}

/// Records `input` through the link and shows the page with the outcome.
async fn record(state: &AppState, token: &str, view: LinkView, input: NewRating) -> Response {
    let context = &state.context;
    match ratings::rate_by_link(&context.pool, &context.settings.secret_key, token, &input).await {
        Ok(rated) => {
            let view = LinkView { rating: Some(rated.rating), ..view };
            page(StatusCode::OK, token, &view, Some(t!(rate_page.saved, days = RATING_CHANGE_DAYS as i32)), None, None)
        }
        Err(error @ AppError::Validation { .. }) => {
            page(StatusCode::UNPROCESSABLE_ENTITY, token, &view, None, Some(&error), Some(&input))
        }
        Err(error) => error_page(&error),
    }
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The document around `main` (already HTML), titled `title`.
fn document(title: &str, main: &str) -> String {
    let language = i18n::code(i18n::language());
    format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{title} · Guichet</title><link rel=\"stylesheet\" href=\"/pkg/guichet.css\"></head>\
         <body><main id=\"main\" class=\"page rate-page\">{main}</main></body></html>",
        title = escape(title),
    )
}

/// The page of a link: the ticket, the outcome (`notice`), and the form
/// (score and comment, `error` at their fields, `input` as sent).
fn page(
    status: StatusCode,
    token: &str,
    view: &LinkView,
    notice: Option<String>,
    error: Option<&AppError>,
    input: Option<&NewRating>,
) -> Response {
    let title = t!(rate_page.title, reference = view.reference.clone());
    let score = input
        .and_then(|input| input.score.trim().parse::<u8>().ok())
        .or(view.rating.as_ref().map(|rating| rating.score));
    let comment = input
        .and_then(|input| input.comment.clone())
        .or(view.rating.as_ref().and_then(|rating| rating.comment.clone()))
        .unwrap_or_default();
    let field_error = |name: &str| error.and_then(|error| error.field_error(name));
    let mut main = format!("<h1>{}</h1><p class=\"rate-subject\">{}</p>", escape(&title), escape(&view.subject));
    if let Some(notice) = notice {
        main.push_str(&format!(
            "<p class=\"notice\" role=\"status\" data-testid=\"rating-saved\">{}</p>",
            escape(&notice)
        ));
    }
    if let Some(error) = error {
        main.push_str(&format!("<p class=\"error-summary\" role=\"alert\">{}</p>", escape(&error.to_string())));
    }
    let score_error = field_error("score");
    let comment_error = field_error("comment");
    let described = |name: &str, reason: &Option<String>| {
        reason.as_ref().map(|_| format!(" aria-describedby=\"error-{name}\" aria-invalid=\"true\"")).unwrap_or_default()
    };
    main.push_str(&format!(
        "<form method=\"post\" action=\"/rate/{token}\" class=\"stacked-form rating-form\">\
         <fieldset class=\"rating-scores\"{score_described}><legend>{legend}</legend>",
        token = escape(token),
        score_described = described("score", &score_error),
        legend = escape(t!(rate_page.question)),
    ));
    for value in RATING_SCORES {
        let checked = if score == Some(value) { " checked" } else { "" };
        main.push_str(&format!(
            "<label class=\"rating-score\"><input type=\"radio\" name=\"score\" value=\"{value}\" required{checked}> {label}</label>",
            label = escape(&score_label(value)),
        ));
    }
    main.push_str("</fieldset>");
    if let Some(reason) = &score_error {
        main.push_str(&format!("<p class=\"field-error\" role=\"alert\" id=\"error-score\">{}</p>", escape(reason)));
    }
    main.push_str(&format!(
        "<label>{label}<textarea name=\"comment\" rows=\"4\" maxlength=\"{max}\"{described}>{comment}</textarea></label>",
        label = escape(t!(rate_page.comment)),
        max = RATING_COMMENT_MAX,
        described = described("comment", &comment_error),
        comment = escape(&comment),
    ));
    if let Some(reason) = &comment_error {
        main.push_str(&format!("<p class=\"field-error\" role=\"alert\" id=\"error-comment\">{}</p>", escape(reason)));
    }
    main.push_str(&format!(
        "<div class=\"form-actions\"><button type=\"submit\">{}</button></div></form>",
        escape(t!(rate_page.save))
    ));
    main.push_str(&format!(
        "<p><a href=\"/tickets/{reference}\">{link}</a></p>",
        reference = escape(&view.reference),
        link = escape(&t!(rate_page.open_ticket, reference = view.reference.clone())),
    ));
    (status, Html(document(&title, &main))).into_response()
}

/// The page of a link that cannot be used: why, with its status.
fn error_page(error: &AppError) -> Response {
    error.report();
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = t!(rate_page.unusable);
    let main = format!(
        "<h1>{}</h1><p role=\"alert\" data-testid=\"rating-link-error\">{}</p><p><a href=\"/tickets\">{}</a></p>",
        escape(title),
        escape(&error.to_string()),
        escape(t!(rate_page.my_tickets)),
    );
    (status, Html(document(title, &main))).into_response()
}
