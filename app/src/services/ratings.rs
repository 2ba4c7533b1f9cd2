//! Satisfaction ratings (CSAT, issue 15, item 4): once a ticket is
//! resolved, its requester rates the help 1–5 with an optional comment, on
//! the ticket page, through `POST /api/v1/tickets/{id}/rating`, or from the
//! "resolved" email's one-click links (`/rate/{token}?score=N`, signed,
//! usable without logging in).
//!
//! The rules, all here:
//! - only the ticket's requester rates; a rating rates one resolution (the
//!   `status_changed` event that resolved the ticket): one rating per
//!   resolution, and a later resolution may be rated again;
//! - a resolution may be rated while it stands: the ticket is `resolved`, or
//!   `closed` straight after it (the requester confirming); once reopened
//!   or escalated, only a rating given before may still change;
//! - a rating may be changed for [`RATING_CHANGE_DAYS`] days after it was
//!   given: the new score and comment replace it (and the history says so);
//! - a score under the admins' `low_rating_below` escalates the ticket as
//!   the system, in the rating's transaction, at most once per ticket
//!   ([`escalation::escalate_by_rule`]); a closed ticket is not escalated;
//! - a rating link binds its purpose, the ticket, the requester, the
//!   resolution and its expiry ([`RATING_LINK_DAYS`] days after the
//!   resolution) under HMAC-SHA-256 with the desk's secret key.

use crate::domain::escalation::EscalationRule;
use crate::domain::{
    NewRating, RATING_CHANGE_DAYS, RATING_COMMENT_MAX, RATING_LINK_DAYS, RATING_SCORES, Status, Ticket, TicketChange,
    TicketRating,
};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, SecretKey, escalation, events, text, tickets, transaction};
use crate::t;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{PgConnection, PgPool};

/// What a rating link stands for: the resolution (event id) of a ticket
/// that its requester may rate until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingLink {
    pub ticket_id: i64,
    /// The `status_changed` event that resolved the ticket.
    pub resolution_id: i64,
    pub requester_id: i64,
    /// Whole seconds (UTC); the link is refused from then on.
    pub expires_at: DateTime<Utc>,
}

/// The first part of every rating token: its purpose and format version.
const TOKEN_PREFIX: &str = "r1";

impl RatingLink {
    /// The link of the resolution `resolution_id` (resolved at `resolved_at`)
    /// of ticket `ticket_id` for its requester: valid [`RATING_LINK_DAYS`]
    /// days from the resolution.
    pub fn for_resolution(
        ticket_id: i64,
        resolution_id: i64,
        requester_id: i64,
        resolved_at: DateTime<Utc>,
    ) -> RatingLink {
        let expires = (resolved_at + Duration::days(RATING_LINK_DAYS)).timestamp();
        RatingLink {
            ticket_id,
            resolution_id,
            requester_id,
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(resolved_at),
        }
    }

    /// The token of this link, signed with `key`:
    /// `r1.{ticket}.{resolution}.{requester}.{expires (UTC seconds)}.{HMAC-SHA-256, hex}`,
    /// URL-safe as it is. A secret: never logged.
    pub fn sign(&self, key: &SecretKey) -> String {
        let payload = self.payload();
        let signature: String =
            mac(key, &payload).finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
        format!("{payload}.{signature}")
    }

    fn payload(&self) -> String {
        format!(
            "{TOKEN_PREFIX}.{}.{}.{}.{}",
            self.ticket_id,
            self.resolution_id,
            self.requester_id,
            self.expires_at.timestamp()
        )
    }

    /// The link `token` stands for, if `key` signed it and it has not
    /// expired at `now`.
    ///
    /// Errors: 404 [`AppError::NotFound`] for a token that is not one of
    /// this desk's (malformed, tampered with, signed with another key); 400
    /// [`AppError::BadRequest`] once it has expired.
    pub fn verify(key: &SecretKey, token: &str, now: DateTime<Utc>) -> Result<RatingLink, AppError> {
        let unknown = || AppError::NotFound { message: t!(rating.link_invalid).into() };
        if token.len() > 200 {
            return Err(unknown());
        }
        let (payload, signature) = token.rsplit_once('.').ok_or_else(unknown)?;
        let signature = hex_decode(signature).ok_or_else(unknown)?;
        mac(key, payload).verify_slice(&signature).map_err(|_| unknown())?;
        let parts: Vec<&str> = payload.split('.').collect();
        let [TOKEN_PREFIX, ticket, resolution, requester, expires] = parts.as_slice() else {
            return Err(unknown());
        };
        let number = |text: &str| text.parse::<i64>().ok();
        let (Some(ticket_id), Some(resolution_id), Some(requester_id), Some(expires)) =
            (number(ticket), number(resolution), number(requester), number(expires))
        else {
            return Err(unknown());
        };
        let expires_at = DateTime::from_timestamp(expires, 0).ok_or_else(unknown)?;
        if now >= expires_at {
            return Err(AppError::bad_request(t!(rating.link_expired, days = RATING_LINK_DAYS as i32)));
        }
        Ok(RatingLink { ticket_id, resolution_id, requester_id, expires_at })
    }
}

/// HMAC-SHA-256 of `payload` under a key derived from `key` for rating
/// links only ("guichet rating link v1"): the key that signs form errors
/// and seals two-factor secrets is never used as it is.
fn mac(key: &SecretKey, payload: &str) -> Hmac<Sha256> {
    let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    derive.update(b"guichet rating link v1");
    let derived = derive.finalize().into_bytes();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|index| u8::from_str_radix(&text[index..index + 2], 16).ok()).collect()
}

/// A rating once recorded: the rating, the ticket it rates, and whether it
/// escalated the ticket (a score under `low_rating_below`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rated {
    pub rating: TicketRating,
    /// The ticket's reference, e.g. `SUP-0042`.
    pub reference: String,
    pub ticket_id: i64,
    /// Whether it replaced an earlier rating of the same resolution.
    pub replaced: bool,
    /// Whether this rating escalated the ticket.
    pub escalated: bool,
}

/// A checked rating: its score and comment.
#[derive(Debug)]
struct ValidRating {
    score: u8,
    comment: Option<String>,
}

/// Checks a rating's fields: `score` a whole number from 1 to 5, `comment`
/// optional, at most [`RATING_COMMENT_MAX`] characters without control
/// characters but tab and newline.
///
/// Errors: 422 with a reason on `score` and/or `comment`.
fn validate(input: &NewRating) -> Result<ValidRating, AppError> {
    let mut fields = FieldErrors::new();
    let score = match input.score.trim() {
        "" => {
            fields.insert("score".into(), t!(rating.score_required).into());
            0
        }
        text => match text.parse::<u8>().ok().filter(|score| RATING_SCORES.contains(score)) {
            Some(score) => score,
            None => {
                fields.insert(
                    "score".into(),
                    t!(field.rating_range, min = *RATING_SCORES.start(), max = *RATING_SCORES.end()),
                );
                0
            }
        },
    };
    let comment = text::optional(&mut fields, "comment", input.comment.as_deref(), RATING_COMMENT_MAX);
    AppError::check(fields)?;
    Ok(ValidRating { score, comment })
}

/// The caller rates ticket `key` (id or reference): its latest resolution,
/// or changes their rating of it (see the module's rules).
///
/// Errors: 401; 403 for a read-only token; 404 for unknown tickets and
/// other requesters' tickets; 422 (nothing changed) on `score` for a bad
/// score, a caller who is not the requester, a ticket not resolved, or a
/// rating older than [`RATING_CHANGE_DAYS`] days, on `comment` for a bad
/// comment.
#[tracing::instrument(skip(pool, caller, input), fields(caller = caller.user_id()))]
pub async fn rate(pool: &PgPool, caller: &Caller, key: &str, input: &NewRating) -> Result<Rated, AppError> {
    let user = caller.writer()?;
    let user_id = user.id;
    let valid = validate(input);
    let rated = transaction::run(pool, |transaction| {
        let valid = valid.as_ref().map_err(Clone::clone);
        Box::pin(async move {
            let ticket = tickets::visible_ticket(transaction, caller, key, true).await?;
            // The 404 first, then the fields.
            let valid = valid?;
            if ticket.requester.id != user_id {
                // Staff see the ticket, but the rating is its requester's.
                return Err(AppError::field("score", t!(rating.requester_only)));
            }
            rate_in(transaction, &ticket, None, valid.score, valid.comment.clone()).await
        })
    })
    .await?;
    log(&rated);
    Ok(rated)
}

/// The requester of the link `token` rates the resolution it names, without
/// logging in (the "resolved" email's links): as [`rate`], for that
/// resolution only.
///
/// Errors: 404 for a token that is not this desk's (tampered, another key,
/// malformed) or whose ticket is gone; 400 for an expired one; 403 when it
/// names someone who is not (or no longer) the ticket's requester; 422 as
/// for [`rate`], and on `score` when the ticket was resolved again since
/// (the link rates an earlier resolution).
#[tracing::instrument(skip_all)]
pub async fn rate_by_link(pool: &PgPool, key: &SecretKey, token: &str, input: &NewRating) -> Result<Rated, AppError> {
    let link = RatingLink::verify(key, token, Utc::now())?;
    let valid = validate(input);
    let rated = transaction::run(pool, |transaction| {
        let valid = valid.as_ref().map_err(Clone::clone);
        Box::pin(async move {
            let ticket = link_ticket(transaction, &link, true).await?;
            let valid = valid?;
            rate_in(transaction, &ticket, Some(link.resolution_id), valid.score, valid.comment.clone()).await
        })
    })
    .await?;
    log(&rated);
    Ok(rated)
}

/// What the page of a rating link shows before anything is sent: the
/// ticket's reference and subject, and the current rating of the link's
/// resolution, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub reference: String,
    pub subject: String,
    pub rating: Option<TicketRating>,
}

/// Reads rating link `token` (a page that only shows it, changing nothing).
///
/// Errors: as [`rate_by_link`] for the token.
pub async fn link_view(pool: &PgPool, key: &SecretKey, token: &str) -> Result<LinkView, AppError> {
    let link = RatingLink::verify(key, token, Utc::now())?;
    let mut connection = pool.acquire().await?;
    let ticket = link_ticket(&mut connection, &link, false).await?;
    let rating = rating_of(&mut connection, link.resolution_id).await?;
    Ok(LinkView { reference: ticket.reference, subject: ticket.subject, rating })
}

/// The ticket of `link`, locked when `lock`, when the link's requester is
/// its requester.
///
/// Errors: 404 when the ticket is gone; 403 when its requester is someone else.
async fn link_ticket(connection: &mut PgConnection, link: &RatingLink, lock: bool) -> Result<Ticket, AppError> {
    let exists = if lock {
        sqlx::query_scalar!("select id from tickets where id = $1 for update", link.ticket_id)
            .fetch_optional(&mut *connection)
            .await?
    } else {
        sqlx::query_scalar!("select id from tickets where id = $1", link.ticket_id)
            .fetch_optional(&mut *connection)
            .await?
    };
    if exists.is_none() {
        return Err(AppError::NotFound { message: t!(rating.link_invalid).into() });
    }
    let ticket = tickets::load_ticket(connection, link.ticket_id).await?;
    if ticket.requester.id != link.requester_id {
        return Err(AppError::forbidden(t!(rating.link_not_yours)));
    }
    Ok(ticket)
}

fn log(rated: &Rated) {
    tracing::info!(
        ticket = rated.ticket_id,
        score = rated.rating.score,
        replaced = rated.replaced,
        escalated = rated.escalated,
        "ticket rated"
    );
}

/// The ticket's latest resolution: its event id, and whether it stands
/// (the ticket is `resolved`, or `closed` straight after it).
async fn latest_resolution(connection: &mut PgConnection, ticket: &Ticket) -> Result<Option<(i64, bool)>, AppError> {
    let row = sqlx::query!(
        r#"select e.id,
            not exists (select 1 from ticket_events l
                where l.ticket_id = e.ticket_id and l.id > e.id
                    and l.action in ('status_changed', 'reopened', 'escalated')
                    and not (l.action = 'status_changed' and l.data->>'from' = 'resolved'
                        and l.data->>'to' = 'closed')) as "stands!"
         from ticket_events e
         where e.ticket_id = $1 and e.action = 'status_changed' and e.data->>'to' = 'resolved'
         order by e.id desc limit 1"#,
        ticket.id,
    )
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.map(|row| (row.id, row.stands && matches!(ticket.status, Status::Resolved | Status::Closed))))
}

/// The rating of resolution `resolution_id`, if given.
async fn rating_of(connection: &mut PgConnection, resolution_id: i64) -> Result<Option<TicketRating>, AppError> {
    let row = sqlx::query!(
        r#"select score, comment, rated_at as "rated_at: DateTime<Utc>", updated_at as "updated_at: DateTime<Utc>"
         from ticket_ratings where resolution_event_id = $1"#,
        resolution_id,
    )
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.map(|row| TicketRating {
        score: u8::try_from(row.score).unwrap_or(0),
        comment: row.comment,
        rated_at: row.rated_at,
        updated_at: row.updated_at,
    }))
}

/// The rating of `ticket`'s latest resolution (if rated), and whether
/// `user_id` may rate it now (give or change a rating), for the ticket's
/// page and JSON.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn for_ticket(
    connection: &mut PgConnection,
    ticket: &Ticket,
    user_id: i64,
) -> Result<(Option<TicketRating>, bool), AppError> {
    let Some((resolution_id, stands)) = latest_resolution(connection, ticket).await? else {
        return Ok((None, false));
    };
    let rating = rating_of(connection, resolution_id).await?;
    let requester = ticket.requester.id == user_id;
    let can_rate = requester
        && match &rating {
            None => stands,
            Some(rating) => Utc::now() < rating.rated_at + Duration::days(RATING_CHANGE_DAYS),
        };
    Ok((rating, can_rate))
}

/// Records a rating of `ticket` (locked) by its requester: of its latest
/// resolution, which must be `resolution_id` when a link names one. Writes
/// or replaces the `ticket_ratings` row, a `rated` event, and escalates the
/// ticket for a low score.
///
/// Errors: 422 on `score` as described in [`rate`] and [`rate_by_link`].
async fn rate_in(
    transaction: &mut PgConnection,
    ticket: &Ticket,
    resolution_id: Option<i64>,
    score: u8,
    comment: Option<String>,
) -> Result<Rated, AppError> {
    let Some((latest, stands)) = latest_resolution(transaction, ticket).await? else {
        return Err(AppError::field("score", t!(rating.not_resolved)));
    };
    if resolution_id.is_some_and(|resolution_id| resolution_id != latest) {
        return Err(AppError::field("score", t!(rating.later_resolution)));
    }
    let existing = sqlx::query!(
        r#"select rated_at as "rated_at: DateTime<Utc>" from ticket_ratings where resolution_event_id = $1 for update"#,
        latest,
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let replaced = match existing {
        Some(row) if Utc::now() >= row.rated_at + Duration::days(RATING_CHANGE_DAYS) => {
            return Err(AppError::field("score", t!(rating.too_late, days = RATING_CHANGE_DAYS as i32)));
        }
        Some(_) => true,
        None if !stands => return Err(AppError::field("score", t!(rating.not_resolved))),
        None => false,
    };
    let row = sqlx::query!(
        r#"insert into ticket_ratings (resolution_event_id, ticket_id, requester_id, score, comment)
         values ($1, $2, $3, $4, $5)
         on conflict (resolution_event_id) do update set score = excluded.score, comment = excluded.comment,
            updated_at = now()
         returning rated_at as "rated_at: DateTime<Utc>", updated_at as "updated_at: DateTime<Utc>""#,
        latest,
        ticket.id,
        ticket.requester.id,
        i16::from(score),
        comment.as_deref(),
    )
    .fetch_one(&mut *transaction)
    .await?;
    sqlx::query!("update tickets set updated_at = now() where id = $1", ticket.id).execute(&mut *transaction).await?;
    let change = TicketChange::Rated { score, comment: comment.clone(), replaced };
    events::record(transaction, ticket.id, Some(ticket.requester.id), &change).await?;
    let rules = escalation::load_rules(transaction).await?;
    // A closed ticket is not escalated, and the rule is not spent on it.
    let escalated = match rules.low_rating_below {
        Some(below) if i32::from(score) < below && ticket.status != Status::Closed => {
            escalation::escalate_by_rule(transaction, ticket.id, EscalationRule::LowRating, below).await?
        }
        _ => false,
    };
    Ok(Rated {
        rating: TicketRating { score, comment, rated_at: row.rated_at, updated_at: row.updated_at },
        reference: ticket.reference.clone(),
        ticket_id: ticket.id,
        replaced,
        escalated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(expires_at: DateTime<Utc>) -> RatingLink {
        RatingLink { ticket_id: 12, resolution_id: 340, requester_id: 7, expires_at }
    }

    #[test]
    fn a_signed_link_reads_back_until_it_expires() {
        let key = SecretKey::from_text("one key");
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let signed = link(now + Duration::days(1));
        let token = signed.sign(&key);
        assert_eq!(RatingLink::verify(&key, &token, now).unwrap(), signed);
        assert!(matches!(RatingLink::verify(&key, &token, now + Duration::days(1)), Err(AppError::BadRequest { .. })));
    }

    #[test]
    fn a_tampered_link_or_another_key_is_refused() {
        let key = SecretKey::from_text("one key");
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let token = link(now + Duration::days(1)).sign(&key);
        let other_ticket = token.replacen("r1.12.", "r1.13.", 1);
        assert!(matches!(RatingLink::verify(&key, &other_ticket, now), Err(AppError::NotFound { .. })));
        assert!(matches!(
            RatingLink::verify(&SecretKey::from_text("another key"), &token, now),
            Err(AppError::NotFound { .. })
        ));
        for broken in ["", "r1", "r1.1.2.3.4.zz", &token[..token.len() - 1], &format!("{token}0")] {
            assert!(RatingLink::verify(&key, broken, now).is_err(), "{broken}");
        }
    }

    #[test]
    fn scores_are_whole_numbers_from_one_to_five() {
        for score in ["1", "5", " 3 "] {
            assert!(validate(&NewRating { score: score.into(), comment: None }).is_ok(), "{score}");
        }
        for score in ["0", "6", "-1", "3.5", "abc", "", "256"] {
            let error = validate(&NewRating { score: score.into(), comment: None }).unwrap_err();
            assert!(error.field_error("score").is_some(), "{score}");
        }
        let long = NewRating { score: "4".into(), comment: Some("x".repeat(RATING_COMMENT_MAX + 1)) };
        assert!(validate(&long).unwrap_err().field_error("comment").is_some());
    }
}
