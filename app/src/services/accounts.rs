//! Accounts: registration, log-in with throttling, log-out, roles.

use crate::domain::{LogInOutcome, Registration, Role, User, UserPage};
use crate::error::{AppError, FieldErrors};
use crate::services::caller::SESSION_USER_ID;
use crate::services::{Caller, Settings, passwords, text, transaction, two_factor};
use crate::t;
use sqlx::{PgConnection, PgExecutor, PgPool};
use tower_sessions::{Expiry, Session, cookie::time::Duration};

/// How long "remember me" keeps a session alive without activity: 30 days.
pub const REMEMBER_DAYS: i64 = 30;

/// `sqlx::query_as!` of a [`User`]: the string literal `$before`, the user
/// columns of `users`, then the literal `$after`, with their arguments; e.g.
/// `user_statement!("select ", " from users where id = $1", id)`.
macro_rules! user_statement {
    ($before:literal, $after:literal $(, $argument:expr)* $(,)?) => {
        sqlx::query_as!(
            crate::domain::User,
            $before + r#"id, username::text as "username!", email::text as "email!", role as "role: crate::domain::Role",
                discord_username, discord_id, created_at as "created_at: chrono::DateTime<chrono::Utc>",
                language, time_zone"# + $after,
            $($argument),*
        )
    };
}
pub(crate) use user_statement;

/// Loads a user by id; `None` when there is none.
pub async fn user_by_id(executor: impl PgExecutor<'_>, id: i64) -> Result<Option<User>, AppError> {
    Ok(user_statement!("select ", " from users where id = $1", id).fetch_optional(executor).await?)
}

/// Checks a registration and returns it normalised (trimmed, email lower-case,
/// empty optional fields as `None`).
///
/// Errors: [`AppError::Validation`] with one reason per bad field.
pub fn validate_registration(input: &Registration) -> Result<Registration, AppError> {
    let mut fields = FieldErrors::new();
    let username = input.username.trim().to_string();
    let email = input.email.trim().to_lowercase();
    let optional = |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    let discord_username = optional(&input.discord_username);
    let discord_id = optional(&input.discord_id);

    for (field, value) in [
        ("email", Some(input.email.as_str())),
        ("discord_username", input.discord_username.as_deref()),
        ("discord_id", input.discord_id.as_deref()),
    ] {
        if let Some(reason) = value.and_then(|value| text::problem(value, 254)) {
            fields.insert(field.into(), reason);
        }
    }
    let username_length = username.chars().count();
    if !(3..=32).contains(&username_length) {
        fields.insert("username".into(), t!(field.username_length).into());
    } else if !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        fields.insert("username".into(), t!(field.username_characters).into());
    }
    if !fields.contains_key("email") && (email.len() > 254 || !email_address::EmailAddress::is_valid(&email)) {
        fields.insert("email".into(), t!(field.email_invalid).into());
    }
    if let Some(reason) = password_problem(&input.password, &username, &email) {
        fields.insert("password".into(), reason);
    }
    if let Some(name) = &discord_username
        && !fields.contains_key("discord_username")
        && !(2..=32).contains(&name.chars().count())
    {
        fields.insert("discord_username".into(), t!(field.discord_username_length).into());
    }
    if let Some(id) = &discord_id
        && (id.len() > 20 || !id.chars().all(|c| c.is_ascii_digit()))
    {
        fields.insert("discord_id".into(), t!(field.discord_id_digits).into());
    }
    AppError::check(fields)?;
    Ok(Registration { username, email, password: input.password.clone(), discord_username, discord_id })
}

/// Why a password is refused, or `None` when it is acceptable: 8–128
/// characters (OWASP ASVS 2.1.1/2.1.2), not equal to the username or email,
/// and not a common or easily guessed password (zxcvbn score below 2, which
/// covers its lists of common passwords, names and keyboard patterns).
pub fn password_problem(password: &str, username: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < 8 {
        return Some(t!(field.password_short).into());
    }
    if length > 128 {
        return Some(t!(field.password_long).into());
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || lowered == email.to_lowercase() {
        return Some(t!(field.password_is_name).into());
    }
    let estimate = zxcvbn::zxcvbn(password, &[username, email]);
    if (estimate.score() as u8) < 2 {
        return Some(t!(field.password_common).into());
    }
    None
}

/// Creates a requester account, in the language of the page (or API call)
/// it registers from (issue 13: a French-speaking requester gets French
/// emails from the start; Settings changes it).
///
/// Errors: [`AppError::Validation`] for bad fields; [`AppError::Conflict`]
/// naming `username` or `email` when one is already registered (any case).
#[tracing::instrument(skip_all, fields(username = %input.username))]
pub async fn register(pool: &PgPool, input: &Registration) -> Result<User, AppError> {
    // Every reason in one answer (issue 14): the form's own problems and the
    // username or email already taken, so that one try shows all to fix.
    let checked = validate_registration(input);
    // Only names that are well formed are looked up (a NUL never reaches the database).
    let refused = checked.as_ref().err().map(AppError::fields).unwrap_or_default();
    let email = input.email.trim().to_lowercase();
    let username = Some(input.username.trim()).filter(|_| !refused.contains_key("username"));
    let email = Some(email.as_str()).filter(|_| !refused.contains_key("email"));
    let taken = taken_names(pool, username, email).await?;
    let input = match checked {
        Ok(input) if taken.is_empty() => input,
        Ok(_) => return Err(AppError::Conflict { message: t!(errors.validation).into(), fields: taken, record: None }),
        Err(AppError::Validation { message, mut fields, record }) => {
            for (field, reason) in taken {
                fields.entry(field).or_insert(reason);
            }
            return Err(AppError::Validation { message, fields, record });
        }
        Err(error) => return Err(error),
    };
    let password_hash = passwords::hash(input.password.clone()).await?;
    let language = crate::i18n::code(crate::i18n::language());
    insert_user(pool, &input, &password_hash, Role::Requester, Some(language)).await
}

async fn insert_user(
    executor: impl PgExecutor<'_>,
    input: &Registration,
    password_hash: &str,
    role: Role,
    language: Option<&str>,
) -> Result<User, AppError> {
    user_statement!(
        "insert into users (username, email, password_hash, role, discord_username, discord_id, language)
         values ($1::text::citext, $2::text::citext, $3, $4, $5, $6, $7) returning ",
        "",
        input.username,
        input.email,
        password_hash,
        role as Role,
        input.discord_username,
        input.discord_id,
        language,
    )
    .fetch_one(executor)
    .await
    .map_err(duplicate_user_error)
}

/// `username` and `email` (each when given, already checked) as field
/// errors when an account already has them (compared as the unique indexes
/// do, case-insensitively); empty when they are free. Two registrations
/// racing for one name are still told apart by the unique indexes
/// ([`duplicate_user_error`]).
async fn taken_names(pool: &PgPool, username: Option<&str>, email: Option<&str>) -> Result<FieldErrors, AppError> {
    if username.is_none() && email.is_none() {
        return Ok(FieldErrors::new());
    }
    let taken = sqlx::query!(
        r#"select exists (select 1 from users where username = $1::text::citext) as "username!",
                  exists (select 1 from users where email = $2::text::citext) as "email!""#,
        username,
        email,
    )
    .fetch_one(pool)
    .await?;
    let mut fields = FieldErrors::new();
    if taken.username {
        fields.insert("username".into(), t!(field.username_taken).into());
    }
    if taken.email {
        fields.insert("email".into(), t!(field.email_taken).into());
    }
    Ok(fields)
}

/// Maps the unique constraints of `users` to field errors, by constraint name.
fn duplicate_user_error(error: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(database_error) = &error {
        match database_error.constraint() {
            Some("users_username_key") => return AppError::conflict_field("username", t!(field.username_taken)),
            Some("users_email_key") => return AppError::conflict_field("email", t!(field.email_taken)),
            _ => {}
        }
    }
    error.into()
}

/// Creates an account with the given role, validating like [`register`]
/// (used by the `create-admin` command and the demo data), without a
/// language of its own (the desk's default applies).
pub async fn create_user_with_role(pool: &PgPool, input: &Registration, role: Role) -> Result<User, AppError> {
    let input = validate_registration(input)?;
    let password_hash = passwords::hash(input.password.clone()).await?;
    insert_user(pool, &input, &password_hash, role, None).await
}

/// The longest log-in name looked up: an email address's 254 characters.
pub const LOGIN_MAX_CHARS: usize = 254;

/// The longest password checked: 1,024 characters (registration allows 128).
pub const PASSWORD_MAX_CHARS: usize = 1_024;

/// Logs in with a username or email and a password, cycling the session id and
/// setting its expiry: [`REMEMBER_DAYS`] of inactivity with `remember`, else
/// the end of the browser session ([`LogInOutcome::LoggedIn`]). An account
/// with two-factor authentication is not logged in yet: the session waits
/// for its code ([`LogInOutcome::SecondFactorRequired`], then
/// [`two_factor::log_in_second_factor`]), whose wrong guesses count in the
/// same throttle.
///
/// The throttle (issue 20), all within `Settings::login_window_seconds`:
/// - an (account, client address) pair with `login_failures_per_account`
///   failures is refused (429), even with the right password; the owner at
///   another address is not;
/// - an address with `login_failures_per_address` failures is refused, for
///   every account;
/// - an account with `login_slowdown_after` failures from all addresses
///   makes each further attempt wait first (see [`slowdown`]).
///
/// A username and an email of one account count as that account. Each
/// attempt is counted before its password is checked, under a lock per
/// account and per address, so concurrent attempts cannot pass the limit.
///
/// Errors: 422 for an empty or too long login or password (at most
/// [`LOGIN_MAX_CHARS`] / [`PASSWORD_MAX_CHARS`]), or control characters in
/// the login; [`AppError::TooManyRequests`] with the seconds to wait;
/// [`AppError::Unauthorized`] with the same message for an unknown user and
/// a wrong password; [`AppError::Unavailable`] (503) when the password
/// hashing queue is full.
#[tracing::instrument(skip_all)]
pub async fn log_in(
    pool: &PgPool,
    settings: &Settings,
    caller: &Caller,
    session: &Session,
    login: &str,
    password: &str,
    remember: bool,
) -> Result<LogInOutcome, AppError> {
    let mut fields = FieldErrors::new();
    let login = text::required(&mut fields, "login", login, 1, LOGIN_MAX_CHARS);
    if password.is_empty() {
        fields.insert("password".into(), t!(field.required).into());
    } else if password.chars().count() > PASSWORD_MAX_CHARS {
        fields.insert("password".into(), t!(field.at_most, count = PASSWORD_MAX_CHARS as i32));
    }
    AppError::check(fields)?;

    let found = sqlx::query!(
        "select id, password_hash from users where username = $1::text::citext or email = $1::text::citext limit 1",
        login,
    )
    .fetch_optional(pool)
    .await?
    .map(|row| (row.id, row.password_hash));
    let account_id = found.as_ref().map(|(id, _)| *id);
    let attempt = count_attempt(pool, settings, account_id, &login, caller.address).await?;
    if !attempt.delay.is_zero() {
        tokio::time::sleep(attempt.delay).await;
    }
    let checked = passwords::verify(password.to_string(), found.map(|(_, hash)| hash), settings.password_queue).await;
    let user = match (checked, account_id) {
        (Ok(true), Some(id)) => user_by_id(pool, id).await?,
        (Ok(_), _) => None,
        (Err(error), _) => {
            // Not checked, so not a failure.
            attempt.not_a_failure(pool).await?;
            return Err(error);
        }
    };
    let Some(user) = user else {
        attempt.failed(pool).await?;
        return Err(AppError::Unauthorized { message: t!(errors.wrong_credentials).into() });
    };
    if two_factor::is_enabled(pool, user.id).await? {
        // The password was right, but the pair's failures stay counted until
        // the second factor is right too: otherwise each correct password
        // would buy a fresh round of code guesses.
        attempt.not_a_failure(pool).await?;
        two_factor::await_second_factor(session, user.id, remember).await?;
        tracing::info!(user_id = user.id, "password accepted, waiting for the second factor");
        return Ok(LogInOutcome::SecondFactorRequired);
    }
    attempt.succeeded(pool, user.id, caller.address).await?;
    start_session(session, user.id, remember).await?;
    tracing::info!(user_id = user.id, "logged in");
    let must_enrol = settings.require_two_factor_for.is_some_and(|requirement| requirement.applies_to(user.role));
    Ok(LogInOutcome::LoggedIn { user, must_enrol })
}

/// Logs `session` in as `user_id` (the last step of a log-in): a new
/// session id, then the expiry: [`REMEMBER_DAYS`] of inactivity with
/// `remember`, else the end of the browser session.
pub(crate) async fn start_session(session: &Session, user_id: i64, remember: bool) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(SESSION_USER_ID, user_id).await?;
    session.set_expiry(Some(if remember {
        Expiry::OnInactivity(Duration::days(REMEMBER_DAYS))
    } else {
        Expiry::OnSessionEnd
    }));
    Ok(())
}

/// A log-in attempt admitted by the throttle (a password, or a second
/// factor): its failure row, counted before the check and deleted again when
/// the check passes, and how long to wait before checking.
pub(crate) struct Attempt {
    failure_id: i64,
    pub(crate) delay: std::time::Duration,
}

impl Attempt {
    /// The check failed: the row stays counted. Prunes rows older than a day
    /// every 64th failure.
    pub(crate) async fn failed(&self, pool: &PgPool) -> Result<(), AppError> {
        if self.failure_id % 64 == 0 {
            sqlx::query!("delete from login_failures where failed_at < now() - interval '1 day'").execute(pool).await?;
        }
        Ok(())
    }

    /// The check passed, or never ran (the hashing queue was full): this
    /// attempt is no failure; the others stay counted.
    pub(crate) async fn not_a_failure(&self, pool: &PgPool) -> Result<(), AppError> {
        sqlx::query!("delete from login_failures where id = $1", self.failure_id).execute(pool).await?;
        Ok(())
    }

    /// The log-in is complete: this attempt was no failure, and the pair
    /// (`account_id`, `address`) starts afresh; failures of this account
    /// elsewhere stay counted.
    pub(crate) async fn succeeded(
        &self,
        pool: &PgPool,
        account_id: i64,
        address: Option<std::net::IpAddr>,
    ) -> Result<(), AppError> {
        sqlx::query!(
            "delete from login_failures
             where id = $1 or (account_id = $2 and address is not distinct from $3::text::inet)",
            self.failure_id,
            account_id,
            address.map(|address| address.to_string()),
        )
        .execute(pool)
        .await?;
        Ok(())
    }
}

/// The advisory-lock class of log-in attempts (`pg_advisory_xact_lock(int,
/// int)`, a key space apart from the one-bigint locks): "logi".
const LOGIN_LOCK_CLASS: i32 = 0x6c6f_6769;

/// Decides whether an attempt may go on and, if so, counts it as a failure
/// before the password is checked, in one transaction under advisory locks
/// on the account (or the unknown name) and then the address: concurrent
/// attempts are decided one after the other, each seeing the ones before.
///
/// Errors: [`AppError::TooManyRequests`] with the seconds until the pair or
/// the address is below its limit again.
pub(crate) async fn count_attempt(
    pool: &PgPool,
    settings: &Settings,
    account_id: Option<i64>,
    login: &str,
    address: Option<std::net::IpAddr>,
) -> Result<Attempt, AppError> {
    transaction::run(pool, |transaction| Box::pin(count_attempt_in(transaction, settings, account_id, login, address)))
        .await
}

/// [`count_attempt`]'s body, in its transaction.
async fn count_attempt_in(
    transaction: &mut PgConnection,
    settings: &Settings,
    account_id: Option<i64>,
    login: &str,
    address: Option<std::net::IpAddr>,
) -> Result<Attempt, AppError> {
    let address = address.map(|address| address.to_string());
    let account_key = match account_id {
        Some(id) => format!("account {id}"),
        None => format!("name {}", login.to_lowercase()),
    };
    let window = settings.login_window_seconds as f64;
    sqlx::query!("select pg_advisory_xact_lock($1, hashtext($2))", LOGIN_LOCK_CLASS, account_key)
        .execute(&mut *transaction)
        .await?;
    if let Some(address) = &address {
        sqlx::query!("select pg_advisory_xact_lock($1, hashtext($2))", LOGIN_LOCK_CLASS, format!("address {address}"))
            .execute(&mut *transaction)
            .await?;
    }
    // Seconds until the pair, then the address, is below its limit (`None` when below already):
    // the limit-th most recent failure must leave the window first.
    let counts = sqlx::query!(
        r#"with recent as (
             select account_id, login, address, failed_at from login_failures
             where failed_at > now() - make_interval(secs => $4)
               and (($1::bigint is not null and account_id = $1)
                    or ($1::bigint is null and account_id is null and login = $2::text::citext)
                    or address = $3::text::inet)
         ), seconds as (
             select ceil(extract(epoch from (failed_at + make_interval(secs => $4) - now())))::bigint as left_seconds,
                    (($1::bigint is not null and account_id = $1)
                     or ($1::bigint is null and account_id is null and login = $2::text::citext))
                    and address is not distinct from $3::text::inet as pair,
                    address = $3::text::inet as same_address,
                    failed_at
             from recent
         )
         select (select left_seconds from seconds where pair order by failed_at desc offset ($5::bigint - 1) limit 1) as by_pair,
                (select left_seconds from seconds where same_address order by failed_at desc offset ($6::bigint - 1) limit 1)
                    as by_address,
                (select count(*) from recent where $1::bigint is not null and account_id = $1) as "account_failures!""#,
        account_id,
        login,
        address,
        window,
        settings.login_failures_per_account,
        settings.login_failures_per_address,
    )
    .fetch_one(&mut *transaction)
    .await?;
    let (by_pair, by_address, account_failures) = (counts.by_pair, counts.by_address, counts.account_failures);
    if let Some(seconds) = by_pair.into_iter().chain(by_address).max() {
        let seconds = seconds.max(1) as u64;
        let minutes = seconds.div_ceil(60);
        return Err(AppError::TooManyRequests {
            message: t!(errors.too_many_log_ins, count = i32::try_from(minutes).unwrap_or(i32::MAX)),
            retry_after_seconds: seconds,
        });
    }
    let failure_id = sqlx::query_scalar!(
        "insert into login_failures (login, address, account_id)
         values ($1::text::citext, $2::text::inet, $3) returning id",
        login,
        address,
        account_id,
    )
    .fetch_one(&mut *transaction)
    .await?;
    Ok(Attempt { failure_id, delay: slowdown(account_failures, settings.login_slowdown_after) })
}

/// How long an attempt on an account with `failures` recent failures (from
/// all addresses) waits before its password is checked: nothing below
/// `after`, then 250 ms doubling with each failure, at most 10 s. It slows
/// a distributed guessing attack without locking the owner out.
pub fn slowdown(failures: i64, after: i64) -> std::time::Duration {
    if failures < after {
        return std::time::Duration::ZERO;
    }
    let doublings = (failures - after).min(6) as u32;
    std::time::Duration::from_millis((250u64 << doublings).min(10_000))
}

/// Ends the session on the server: its record is deleted, so the old cookie
/// is refused afterwards, and the user's live streams end within moments on
/// every instance (the ones on other sessions reconnect at once).
pub async fn log_out(pool: &PgPool, caller: &Caller, session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    if let Some(user) = &caller.user {
        crate::services::live::notify_account_changed(pool, user.id).await?;
    }
    Ok(())
}

/// Lists users for admins, in username order, `limit` (1–100) at a time after
/// the username `after`, filtered by `search` in username or email.
///
/// Errors: 401 / 403 unless the caller is an admin.
pub async fn list_users(
    pool: &PgPool,
    caller: &Caller,
    search: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<UserPage, AppError> {
    caller.admin()?;
    let search = text::filter("search", search, 254)?;
    if let Some(reason) = after.and_then(|after| text::problem(after, 254)) {
        return Err(AppError::field("after", reason));
    }
    let limit = limit.clamp(1, 100);
    let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut users = user_statement!(
        "select ",
        " from users
         where ($1 = '%' or username::text ilike $1 or email::text ilike $1)
           and ($2::text is null or username > $2::text::citext)
         order by username limit $3",
        pattern,
        after,
        limit + 1,
    )
    .fetch_all(pool)
    .await?;
    let next_after = if users.len() as i64 > limit {
        users.truncate(limit as usize);
        users.last().map(|user| user.username.clone())
    } else {
        None
    };
    let ids: Vec<i64> = users.iter().map(|user| user.id).collect();
    let two_factor_user_ids = two_factor::enabled_among(pool, &ids).await?;
    Ok(UserPage { users, next_after, two_factor_user_ids })
}

/// Changes a user's role; takes effect on that user's next request, and
/// their live streams end at once so they reconnect with the new role.
///
/// Errors: 401 / 403 unless the caller is an admin; 404 for an unknown user;
/// 422 when an admin tries to remove their own admin role.
#[tracing::instrument(skip(pool, caller))]
pub async fn set_role(pool: &PgPool, caller: &Caller, user_id: i64, role: Role) -> Result<User, AppError> {
    let admin = caller.admin()?;
    if admin.id == user_id && role != Role::Admin {
        return Err(AppError::field("role", t!(field.own_admin_role)));
    }
    update_role(pool, user_id, role).await
}

/// Changes a user's role by username, without a caller: for the server's
/// command line, run by whoever operates the machine.
pub async fn set_role_by_username(pool: &PgPool, username: &str, role: Role) -> Result<User, AppError> {
    let id = sqlx::query_scalar!("select id from users where username = $1::text::citext", username)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    update_role(pool, id, role).await
}

/// Updates a user's role and announces the change to live streams in the
/// same transaction.
async fn update_role(pool: &PgPool, user_id: i64, role: Role) -> Result<User, AppError> {
    transaction::run(pool, |transaction| Box::pin(update_role_in(transaction, user_id, role))).await
}

/// [`update_role`]'s body, in its transaction.
async fn update_role_in(transaction: &mut PgConnection, user_id: i64, role: Role) -> Result<User, AppError> {
    let user = user_statement!(
        "update users set role = $2, updated_at = now() where id = $1 returning ",
        "",
        user_id,
        role as Role
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| AppError::not_found("user"))?;
    crate::services::live::notify_account_changed(&mut *transaction, user.id).await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(username: &str, email: &str, password: &str) -> Registration {
        Registration { username: username.into(), email: email.into(), password: password.into(), ..Default::default() }
    }

    #[test]
    fn usernames_are_3_to_32_letters_digits_and_underscore_dash_dot() {
        let ok = |name: &str| validate_registration(&registration(name, "a@b.test", "correct horse battery")).is_ok();
        assert!(ok("abc"));
        assert!(ok("jean-luc.o_neil"));
        assert!(ok(&"x".repeat(32)));
        assert!(!ok("ab"));
        assert!(!ok(&"x".repeat(33)));
        assert!(!ok("jean luc"));
        assert!(!ok("émile"));
    }

    #[test]
    fn emails_are_validated_and_lower_cased() {
        let valid =
            validate_registration(&registration("marie", " Marie@Example.TEST ", "correct horse battery")).unwrap();
        assert_eq!(valid.email, "marie@example.test");
        let error = validate_registration(&registration("marie", "marie@", "correct horse battery")).unwrap_err();
        assert!(error.field_error("email").is_some());
    }

    #[test]
    fn passwords_must_be_long_uncommon_and_not_the_username_or_email() {
        // Messages in English: the test reads them.
        crate::i18n::request::in_language(crate::i18n::Language::en, || {
            assert_eq!(password_problem("short", "marie", "m@e.test").unwrap(), "must be at least 8 characters long");
            assert!(password_problem(&"a".repeat(129), "marie", "m@e.test").unwrap().contains("at most 128"));
            assert!(password_problem("password123", "marie", "m@e.test").unwrap().contains("too common"));
            assert!(password_problem("qwertyuiop", "marie", "m@e.test").unwrap().contains("too common"));
            assert!(password_problem("Marie.Curie", "marie.curie", "m@e.test").unwrap().contains("username"));
            assert!(password_problem("correct horse battery", "marie", "m@e.test").is_none());
        })
    }

    #[test]
    fn a_registration_never_prints_its_password_but_reads_the_same_json() {
        let input: Registration =
            serde_json::from_str(r#"{"username": "marie", "email": "m@e.test", "password": "correct horse battery"}"#)
                .unwrap();
        assert_eq!(input.password, "correct horse battery");
        let printed = format!("{input:?} {input:#?}");
        assert!(!printed.contains("correct horse"), "{printed}");
        assert!(printed.contains("marie") && printed.contains("[redacted]"), "{printed}");
    }

    #[test]
    fn text_fields_with_control_characters_are_refused() {
        // Messages in English: the test reads them.
        crate::i18n::request::in_language(crate::i18n::Language::en, || {
            let mut input = registration("marie", "m@e.test", "correct horse battery");
            input.discord_username = Some("mar\0ie".into());
            input.email = "m\0@e.test".into();
            let error = validate_registration(&input).unwrap_err();
            assert!(error.field_error("discord_username").unwrap().contains("control"));
            assert!(error.field_error("email").unwrap().contains("control"));
        })
    }

    #[test]
    fn discord_ids_are_digits_only_and_empty_optionals_become_none() {
        let mut input = registration("marie", "m@e.test", "correct horse battery");
        input.discord_id = Some("12a".into());
        assert!(validate_registration(&input).unwrap_err().field_error("discord_id").is_some());
        input.discord_id = Some("  ".into());
        input.discord_username = Some(String::new());
        let valid = validate_registration(&input).unwrap();
        assert_eq!(valid.discord_id, None);
        assert_eq!(valid.discord_username, None);
    }
}
