//! Delivery: the worker that claims due outbox rows, sends them (SMTP with
//! lettre, Discord with reqwest) and records how it went.
//!
//! A claim is a lease: `claimed_until` (now + [`WorkerOptions::lease`]) and a
//! random `lease_token` naming this claim. While a row is being sent the
//! worker renews the lease every [`WorkerOptions::lease_renewal`]; every
//! renewal and the final mark (`sent`, a retry, `failed`) apply only where
//! the token is still this claim's. A worker that finds its lease gone
//! (another worker took the row after it expired) abandons the send and
//! records nothing. The send and the mark are still two steps: a worker that
//! dies between them leaves a row that is sent again once its lease ends,
//! hence "at least once", with the same Message-ID (and Discord nonce).

use super::{
    DiscordPayload, ERROR_MAX, EmailPayload, MailSettings, OUTBOX_CHANNEL, SmtpTls, WorkerOptions, clip, discord_nonce,
    message_key, render_discord, render_email,
};
use crate::domain::{NotificationKind, OutboxChannel};
use crate::error::AppError;
use crate::services::{Settings, outgoing, transaction};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;

/// The delivery worker of one server instance (see the module documentation).
pub struct Worker {
    pool: PgPool,
    settings: Arc<Settings>,
    options: WorkerOptions,
    mailer: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    http: reqwest::Client,
}

/// The handle of a spawned [`Worker`]; dropping it does not stop the worker.
pub struct WorkerHandle {
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops the worker (a delivery in flight is abandoned; its lease brings the row back).
    pub fn stop(&self) {
        self.task.abort();
    }
}

/// How one delivery went.
enum Outcome {
    Sent,
    /// Try again later with backoff.
    Retry(String),
    /// Try again after this long (Discord's 429), without backoff.
    RateLimited(Duration, String),
    /// Retrying cannot help (e.g. SMTP 5xx, Discord 404): `failed` now.
    Permanent(String),
}

struct ClaimedRow {
    id: i64,
    channel: OutboxChannel,
    kind: String,
    ticket_id: Option<i64>,
    webhook_id: Option<i64>,
    payload: Value,
    attempts: i32,
    /// This claim's token: renewals and the final mark need it to match.
    lease_token: i64,
}

impl Worker {
    /// A worker over `pool`; mail goes out only when `settings.mail` is set
    /// (otherwise email rows wait in the outbox, shown as pending).
    ///
    /// Errors: the SMTP relay's TLS setup fails.
    pub fn new(pool: PgPool, settings: Arc<Settings>, options: WorkerOptions) -> Result<Worker, AppError> {
        let mailer = match &settings.mail {
            Some(mail) => Some(build_mailer(mail, options.timeout)?),
            None => None,
        };
        let http = outgoing::client(options.timeout, settings.webhook_allow_private).map_err(|error| {
            tracing::error!(error = %error.without_url(), "HTTP client");
            AppError::internal()
        })?;
        Ok(Worker { pool, settings, options, mailer, http })
    }

    /// Starts a worker on the current Tokio runtime: it delivers what is due,
    /// then waits for an outbox notification or the poll interval.
    ///
    /// Errors: as [`Worker::new`].
    pub fn spawn(pool: PgPool, settings: Arc<Settings>, options: WorkerOptions) -> Result<WorkerHandle, AppError> {
        let worker = Worker::new(pool, settings, options)?;
        if worker.mailer.is_none() {
            tracing::warn!("SMTP is not configured (GUICHET_SMTP_HOST): emails stay in the outbox, unsent");
        }
        Ok(WorkerHandle { task: tokio::spawn(worker.run()) })
    }

    async fn run(self) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut listener) => match listener.listen(OUTBOX_CHANNEL).await {
                Ok(()) => Some(listener),
                Err(error) => {
                    tracing::warn!(%error, "outbox LISTEN failed; polling only");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%error, "outbox LISTEN connection failed; polling only");
                None
            }
        };
        loop {
            // Drain what is due (a full batch means there may be more).
            loop {
                match self.run_once().await {
                    Ok(count) if count as i64 >= self.options.batch => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "outbox delivery round failed");
                        break;
                    }
                }
            }
            let wait = tokio::time::sleep(self.next_wake().await);
            match listener.as_mut() {
                Some(listener) => {
                    tokio::select! {
                        received = listener.recv() => {
                            if let Err(error) = received {
                                tracing::warn!(%error, "outbox LISTEN interrupted");
                                tokio::time::sleep(self.options.poll_interval.min(Duration::from_secs(1))).await;
                            }
                        }
                        () = wait => {}
                    }
                }
                None => wait.await,
            }
        }
    }

    /// How long to sleep: the poll interval, or less when a row is due sooner.
    async fn next_wake(&self) -> Duration {
        let next = sqlx::query_scalar!(
            "select extract(epoch from min(greatest(o.next_attempt_at, o.claimed_until, w.rate_limited_until) - now()))::float8
             from outbox o left join discord_webhooks w on w.id = o.webhook_id
             where o.status = 'pending' and (o.channel <> 'email' or $1)",
            self.mailer.is_some(),
        )
        .fetch_one(&self.pool)
        .await;
        match next.ok().flatten() {
            Some(seconds) if seconds.is_finite() => {
                Duration::from_secs_f64(seconds.max(0.01)).min(self.options.poll_interval)
            }
            _ => self.options.poll_interval,
        }
    }

    /// Expands the pending notifications for everyone with a role
    /// ([`super::expand_fan_outs`]), then claims the due rows (up to the batch
    /// size) and delivers them; returns how many it claimed. Usable alone,
    /// e.g. by tests.
    ///
    /// Errors: the database fails.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        // Notifications for everyone with a role become their recipients' rows first.
        while super::expand_fan_outs(&self.pool, self.mailer.is_some()).await? as i64 >= super::FAN_OUT_BATCH {}
        // Names this round's claims; another claim of the same rows draws another.
        let lease_token: i64 = rand::random();
        let rows = sqlx::query_as!(
            ClaimedRow,
            r#"update outbox set claimed_until = now() + make_interval(secs => $1), lease_token = $4,
                attempts = attempts + 1
             where id in (
                select id from outbox
                where status = 'pending' and next_attempt_at <= now()
                    and (claimed_until is null or claimed_until < now())
                    and (channel <> 'email' or $2)
                    and (webhook_id is null or not exists (select 1 from discord_webhooks w
                        where w.id = outbox.webhook_id and w.rate_limited_until > now()))
                order by next_attempt_at, id
                limit $3
                for update skip locked)
             returning id, channel as "channel: OutboxChannel", kind::text as "kind!", ticket_id, webhook_id, payload,
                attempts, lease_token as "lease_token!""#,
            self.options.lease.as_secs_f64(),
            self.mailer.is_some(),
            self.options.batch,
            lease_token,
        )
        .fetch_all(&self.pool)
        .await?;
        let count = rows.len();
        // Webhooks that answered 429 in this round: their other rows wait too.
        let mut rate_limited: Vec<(i64, Duration)> = Vec::new();
        for row in rows {
            let waiting = rate_limited.iter().find(|(id, _)| Some(*id) == row.webhook_id).map(|(_, delay)| *delay);
            let outcome = match waiting {
                Some(delay) => Outcome::RateLimited(delay, "waiting for Discord's rate limit".into()),
                None => match self.deliver_leased(&row).await {
                    Some(outcome) => outcome,
                    // Another worker holds the row now: it is theirs to send and record.
                    None => continue,
                },
            };
            if let (Outcome::RateLimited(delay, _), Some(webhook_id)) = (&outcome, row.webhook_id) {
                rate_limited.push((webhook_id, *delay));
            }
            self.settle(&row, outcome).await?;
        }
        Ok(count)
    }

    /// Delivers `row` while holding its lease: renewed once before the send
    /// (a row may have waited its turn in the batch past its lease) and every
    /// [`WorkerOptions::lease_renewal`] while the send runs. `None` when the
    /// lease was lost, before or during the send: the send is abandoned
    /// (dropped) and nothing is recorded.
    async fn deliver_leased(&self, row: &ClaimedRow) -> Option<Outcome> {
        match self.renew_lease(row).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(outbox = row.id, "lease taken over before the send; left to its new holder");
                return None;
            }
            Err(error) => {
                // Unable to tell whether the row is still ours: don't send; it comes back when the lease ends.
                tracing::warn!(outbox = row.id, %error, "could not renew the delivery lease; not sending");
                return None;
            }
        }
        let delivery = self.deliver(row);
        tokio::pin!(delivery);
        let period = self.options.lease_renewal;
        let mut renewal = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                outcome = &mut delivery => return Some(outcome),
                _ = renewal.tick() => match self.renew_lease(row).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(outbox = row.id, "lease lost during the send; abandoning it");
                        return None;
                    }
                    // The lease may still hold: keep sending, try again at the next tick.
                    Err(error) => tracing::warn!(outbox = row.id, %error, "renewing the delivery lease failed"),
                },
            }
        }
    }

    /// Extends `row`'s lease by [`WorkerOptions::lease`] from now, if this
    /// claim still holds it; `false` when another claim (or an admin's change)
    /// has replaced it.
    async fn renew_lease(&self, row: &ClaimedRow) -> Result<bool, sqlx::Error> {
        let renewed = sqlx::query!(
            "update outbox set claimed_until = now() + make_interval(secs => $3)
             where id = $1 and lease_token = $2 and status = 'pending'",
            row.id,
            row.lease_token,
            self.options.lease.as_secs_f64(),
        )
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    async fn deliver(&self, row: &ClaimedRow) -> Outcome {
        let Ok(kind) = row.kind.parse::<NotificationKind>() else {
            return Outcome::Permanent(format!("unknown kind {}", row.kind));
        };
        match row.channel {
            OutboxChannel::Email => self.deliver_email(row, kind).await,
            OutboxChannel::Discord => self.deliver_discord(row, kind).await,
        }
    }

    fn ticket_link(&self, reference: &str) -> String {
        format!("{}/tickets/{reference}", self.settings.public_url.trim_end_matches('/'))
    }

    async fn deliver_email(&self, row: &ClaimedRow, kind: NotificationKind) -> Outcome {
        use lettre::AsyncTransport;
        use lettre::message::{Mailbox, MultiPart};
        let (Some(mailer), Some(mail)) = (&self.mailer, &self.settings.mail) else {
            return Outcome::Retry("SMTP is not configured".into());
        };
        let payload: EmailPayload = match serde_json::from_value(row.payload.clone()) {
            Ok(payload) => payload,
            Err(error) => return Outcome::Permanent(format!("unreadable payload: {error}")),
        };
        let language = super::email_language(&payload, self.settings.desk.language);
        let rating = payload.rating.map(|target| target.url(&self.settings.public_url, &self.settings.secret_key));
        let link = self.ticket_link(&payload.reference);
        let rendered = match render_email(kind, &payload, &link, rating.as_deref(), language) {
            Ok(rendered) => rendered,
            Err(_) => return Outcome::Permanent("the mail template failed".into()),
        };
        let to = match payload.to.parse() {
            Ok(address) => Mailbox::new(Some(payload.recipient.clone()), address),
            Err(error) => return Outcome::Permanent(format!("bad recipient address: {error}")),
        };
        let domain = mail.domain();
        let message_id = format!("<{}@{domain}>", message_key(&payload.thread, row.id, payload.root));
        let mut builder = lettre::Message::builder()
            .from(mail.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id))
            .header(AutoSubmitted);
        if !payload.root {
            let root = format!("<{}@{domain}>", payload.thread);
            let parent = payload.in_reply_to.as_ref().map(|key| format!("<{key}@{domain}>"));
            let references = match &parent {
                Some(parent) if *parent != root => format!("{root} {parent}"),
                _ => root.clone(),
            };
            builder = builder.in_reply_to(parent.unwrap_or(root)).references(references);
        }
        let message = match builder.multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html)) {
            Ok(message) => message,
            Err(error) => return Outcome::Permanent(format!("could not build the message: {error}")),
        };
        match mailer.send(message).await {
            Ok(_) => Outcome::Sent,
            Err(error) if error.is_permanent() => Outcome::Permanent(format!("SMTP refused: {error}")),
            Err(error) => Outcome::Retry(format!("SMTP: {error}")),
        }
    }

    async fn deliver_discord(&self, row: &ClaimedRow, kind: NotificationKind) -> Outcome {
        let Some(webhook_id) = row.webhook_id else { return Outcome::Permanent("no webhook".into()) };
        let url = match sqlx::query!("select url, active from discord_webhooks where id = $1", webhook_id)
            .fetch_optional(&self.pool)
            .await
        {
            Ok(url) => url.map(|row| (row.url, row.active)),
            Err(error) => return Outcome::Retry(format!("database: {error}")),
        };
        let Some((url, true)) = url else { return Outcome::Permanent("the webhook is deleted or inactive".into()) };
        // Checked again at each delivery: the rules may be newer than the stored URL,
        // and an IP literal is connected to without the client's checking resolver.
        let url = match outgoing::parse(&url, self.settings.webhook_allow_private) {
            Ok(url) => url,
            Err(refusal) => return Outcome::Permanent(format!("the webhook URL is refused: {refusal}")),
        };
        let payload: DiscordPayload = match serde_json::from_value(row.payload.clone()) {
            Ok(payload) => payload,
            Err(error) => return Outcome::Permanent(format!("unreadable payload: {error}")),
        };
        let mut body =
            render_discord(kind, &payload, &self.ticket_link(&payload.reference), self.settings.desk.language);
        // The same on every attempt of this row. Discord documents `nonce` and
        // `enforce_nonce` (deduplication of a recent message with the same
        // nonce) for bots' Create Message, not for webhooks, which ignore them
        // today; they cost nothing and serve whoever honours them.
        body["nonce"] = json!(discord_nonce(row.id));
        body["enforce_nonce"] = json!(true);
        // reqwest's errors name the URL, whose token is a secret: strip it.
        let response = match self.http.post(url).json(&body).send().await {
            Ok(response) => response,
            Err(error) => {
                return match outgoing::refusal_of(&error) {
                    Some(refusal) => Outcome::Permanent(format!("the webhook URL is refused: {refusal}")),
                    None => Outcome::Retry(format!("Discord: {}", error.without_url())),
                };
            }
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Sent;
        }
        if status.is_redirection() {
            // Never followed: the redirect's target was never checked.
            return Outcome::Permanent(format!("Discord answered {status}; redirects are not followed"));
        }
        let header_seconds = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<f64>().ok());
        let text = response.text().await.unwrap_or_default();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            // Discord answers {"retry_after": seconds (float), "global": bool}.
            let body_seconds = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|body| body.get("retry_after").and_then(Value::as_f64));
            let seconds = body_seconds.or(header_seconds).unwrap_or(1.0).clamp(0.0, 3600.0);
            return Outcome::RateLimited(
                Duration::from_secs_f64(seconds),
                format!("Discord rate limit: retry after {seconds} s"),
            );
        }
        let detail = clip(text.trim(), 300);
        if status.is_client_error() {
            Outcome::Permanent(format!("Discord answered {status}: {detail}"))
        } else {
            Outcome::Retry(format!("Discord answered {status}: {detail}"))
        }
    }

    /// Records the outcome on the row, if this worker still holds its lease
    /// (the token matches); otherwise the row is left to its new holder.
    async fn settle(&self, row: &ClaimedRow, outcome: Outcome) -> Result<(), AppError> {
        match outcome {
            Outcome::Sent => {
                let marked = sqlx::query!(
                    "update outbox set status = 'sent', sent_at = now(), claimed_until = null, lease_token = null,
                        last_error = null
                     where id = $1 and lease_token = $2",
                    row.id,
                    row.lease_token,
                )
                .execute(&self.pool)
                .await?;
                if marked.rows_affected() == 0 {
                    tracing::warn!(
                        outbox = row.id,
                        "sent, but the lease had passed to another worker, which may send it again"
                    );
                }
            }
            Outcome::Retry(error) => {
                let exponent = (row.attempts.max(1) - 1).min(20) as u32;
                let delay = self.options.retry_base.saturating_mul(2u32.saturating_pow(exponent));
                let delay = delay.min(self.options.retry_cap);
                tracing::warn!(outbox = row.id, attempts = row.attempts, %error, "delivery failed; will retry");
                sqlx::query!(
                    "update outbox set claimed_until = null, lease_token = null, last_error = $3,
                        next_attempt_at = now() + make_interval(secs => $4),
                        status = case when now() + make_interval(secs => $4) > give_up_at
                            then 'failed'::outbox_status else status end
                     where id = $1 and lease_token = $2",
                    row.id,
                    row.lease_token,
                    clip(&error, ERROR_MAX),
                    delay.as_secs_f64(),
                )
                .execute(&self.pool)
                .await?;
            }
            Outcome::RateLimited(delay, error) => {
                transaction::run(&self.pool, |transaction| {
                    Box::pin(async {
                        sqlx::query!(
                            "update outbox set claimed_until = null, lease_token = null, last_error = $3,
                                next_attempt_at = now() + make_interval(secs => $4)
                             where id = $1 and lease_token = $2",
                            row.id,
                            row.lease_token,
                            clip(&error, ERROR_MAX),
                            delay.as_secs_f64(),
                        )
                        .execute(&mut **transaction)
                        .await?;
                        // The same webhook's other messages wait too, even those written later.
                        sqlx::query!(
                            "update discord_webhooks
                             set rate_limited_until = greatest(rate_limited_until, now() + make_interval(secs => $2))
                             where id = $1",
                            row.webhook_id,
                            delay.as_secs_f64(),
                        )
                        .execute(&mut **transaction)
                        .await?;
                        Ok(())
                    })
                })
                .await?;
            }
            Outcome::Permanent(error) => {
                tracing::warn!(outbox = row.id, ticket = ?row.ticket_id, %error, "delivery failed for good");
                sqlx::query!(
                    "update outbox set status = 'failed', claimed_until = null, lease_token = null, last_error = $3
                     where id = $1 and lease_token = $2",
                    row.id,
                    row.lease_token,
                    clip(&error, ERROR_MAX),
                )
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}

/// The SMTP transport for `mail` (no connection is made until the first send).
fn build_mailer(
    mail: &MailSettings,
    timeout: Duration,
) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, AppError> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let builder = match mail.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.host),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&mail.host).map_err(|error| {
            tracing::error!(%error, "SMTP STARTTLS set-up");
            AppError::internal()
        })?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&mail.host).map_err(|error| {
            tracing::error!(%error, "SMTP TLS set-up");
            AppError::internal()
        })?,
    };
    let mut builder = builder.port(mail.port).timeout(Some(timeout));
    if let (Some(username), Some(password)) = (&mail.username, &mail.password) {
        builder = builder
            .credentials(lettre::transport::smtp::authentication::Credentials::new(username.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail servers and
/// clients not to send vacation auto-replies to it.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}
