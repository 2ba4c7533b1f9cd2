//! Accounts: registration, log-in with throttling, log-out, roles.

use crate::domain::{Registration, Role, User, UserPage};
use crate::error::{AppError, FieldErrors};
use crate::services::caller::SESSION_USER_ID;
use crate::services::{Caller, Settings, passwords};
use sqlx::{PgExecutor, PgPool};
use tower_sessions::{Expiry, Session, cookie::time::Duration};

/// How long "remember me" keeps a session alive without activity: 30 days.
pub const REMEMBER_DAYS: i64 = 30;

const USER_COLUMNS: &str =
    "id, username::text as username, email::text as email, role, discord_username, discord_id, created_at";

/// [`USER_COLUMNS`] of a `users` table aliased `u`, for joins that read a user.
pub(crate) const USER_COLUMNS_OF_U: &str = "u.id, u.username::text as username, u.email::text as email, u.role, \
     u.discord_username, u.discord_id, u.created_at";

/// Loads a user by id; `None` when there is none.
pub async fn user_by_id(executor: impl PgExecutor<'_>, id: i64) -> Result<Option<User>, AppError> {
    Ok(sqlx::query_as::<_, User>(&format!("select {USER_COLUMNS} from users where id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?)
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

    let username_length = username.chars().count();
    if !(3..=32).contains(&username_length) {
        fields.insert("username".into(), "must be 3 to 32 characters long".into());
    } else if !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        fields.insert("username".into(), "may contain only letters, digits, _ - and .".into());
    }
    if email.len() > 254 || !email_address::EmailAddress::is_valid(&email) {
        fields.insert("email".into(), "is not a valid email address".into());
    }
    if let Some(reason) = password_problem(&input.password, &username, &email) {
        fields.insert("password".into(), reason);
    }
    if let Some(name) = &discord_username
        && !(2..=32).contains(&name.chars().count())
    {
        fields.insert("discord_username".into(), "must be 2 to 32 characters long".into());
    }
    if let Some(id) = &discord_id
        && (id.len() > 20 || !id.chars().all(|c| c.is_ascii_digit()))
    {
        fields.insert("discord_id".into(), "must be digits only (Discord's numeric user id)".into());
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
        return Some("must be at least 8 characters long".into());
    }
    if length > 128 {
        return Some("must be at most 128 characters long".into());
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || lowered == email.to_lowercase() {
        return Some("must not be your username or email".into());
    }
    let estimate = zxcvbn::zxcvbn(password, &[username, email]);
    if (estimate.score() as u8) < 2 {
        return Some("is too common or easy to guess; try a longer phrase".into());
    }
    None
}

/// Creates a requester account.
///
/// Errors: [`AppError::Validation`] for bad fields; [`AppError::Conflict`]
/// naming `username` or `email` when one is already registered (any case).
#[tracing::instrument(skip_all, fields(username = %input.username))]
pub async fn register(pool: &PgPool, input: &Registration) -> Result<User, AppError> {
    let input = validate_registration(input)?;
    let password_hash = passwords::hash(input.password.clone()).await?;
    insert_user(pool, &input, &password_hash, Role::Requester).await
}

async fn insert_user(
    executor: impl PgExecutor<'_>,
    input: &Registration,
    password_hash: &str,
    role: Role,
) -> Result<User, AppError> {
    sqlx::query_as::<_, User>(&format!(
        "insert into users (username, email, password_hash, role, discord_username, discord_id)
         values ($1, $2, $3, $4, $5, $6) returning {USER_COLUMNS}"
    ))
    .bind(&input.username)
    .bind(&input.email)
    .bind(password_hash)
    .bind(role)
    .bind(&input.discord_username)
    .bind(&input.discord_id)
    .fetch_one(executor)
    .await
    .map_err(duplicate_user_error)
}

/// Maps the unique constraints of `users` to field errors, by constraint name.
fn duplicate_user_error(error: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(database_error) = &error {
        match database_error.constraint() {
            Some("users_username_key") => return AppError::conflict_field("username", "is already taken"),
            Some("users_email_key") => return AppError::conflict_field("email", "is already registered"),
            _ => {}
        }
    }
    error.into()
}

/// Creates an account with the given role, validating like [`register`]
/// (used by the `create-admin` command and the demo data).
pub async fn create_user_with_role(pool: &PgPool, input: &Registration, role: Role) -> Result<User, AppError> {
    let input = validate_registration(input)?;
    let password_hash = passwords::hash(input.password.clone()).await?;
    insert_user(pool, &input, &password_hash, role).await
}

/// Logs in with a username or email and a password, cycling the session id and
/// setting its expiry: [`REMEMBER_DAYS`] of inactivity with `remember`, else
/// the end of the browser session.
///
/// Errors: [`AppError::TooManyRequests`] after too many failures for this
/// login or address within the window (see [`Settings`]), with the seconds to
/// wait; [`AppError::Unauthorized`] with the same message for an unknown user
/// and a wrong password.
#[tracing::instrument(skip_all)]
pub async fn log_in(
    pool: &PgPool,
    settings: &Settings,
    caller: &Caller,
    session: &Session,
    login: &str,
    password: &str,
    remember: bool,
) -> Result<User, AppError> {
    let login = login.trim();
    if login.is_empty() || password.is_empty() {
        let mut fields = FieldErrors::new();
        if login.is_empty() {
            fields.insert("login".into(), "is required".into());
        }
        if password.is_empty() {
            fields.insert("password".into(), "is required".into());
        }
        AppError::check(fields)?;
    }
    let address = caller.address.map(|address| address.to_string());
    throttle(pool, settings, login, address.as_deref()).await?;

    let found: Option<(i64, String)> =
        sqlx::query_as("select id, password_hash from users where username = $1::citext or email = $1::citext limit 1")
            .bind(login)
            .fetch_optional(pool)
            .await?;
    let (id, stored) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let matches = passwords::verify(password.to_string(), stored).await?;
    let user = match (matches, id) {
        (true, Some(id)) => user_by_id(pool, id).await?,
        _ => None,
    };
    let Some(user) = user else {
        sqlx::query("insert into login_failures (login, address) values ($1::citext, $2::inet)")
            .bind(login)
            .bind(&address)
            .execute(pool)
            .await?;
        sqlx::query("delete from login_failures where failed_at < now() - interval '1 day'").execute(pool).await?;
        return Err(AppError::Unauthorized { message: "Wrong username, email or password.".into() });
    };
    sqlx::query("delete from login_failures where login = $1::citext or login = $2::citext")
        .bind(login)
        .bind(&user.username)
        .execute(pool)
        .await?;

    session.cycle_id().await?;
    session.insert(SESSION_USER_ID, user.id).await?;
    session.set_expiry(Some(if remember {
        Expiry::OnInactivity(Duration::days(REMEMBER_DAYS))
    } else {
        Expiry::OnSessionEnd
    }));
    tracing::info!(user_id = user.id, "logged in");
    Ok(user)
}

/// Refuses a log-in attempt while the login name or the client address has
/// too many recent failures; the error says how many seconds to wait.
async fn throttle(pool: &PgPool, settings: &Settings, login: &str, address: Option<&str>) -> Result<(), AppError> {
    let window = settings.login_window_seconds as f64;
    let by_login =
        seconds_until_allowed(pool, "login = $1::citext", login, settings.login_failures_per_account, window).await?;
    let by_address = match address {
        Some(address) => {
            seconds_until_allowed(pool, "address = $1::inet", address, settings.login_failures_per_address, window)
                .await?
        }
        None => None,
    };
    match by_login.into_iter().chain(by_address).max() {
        Some(seconds) => {
            let seconds = seconds.max(1) as u64;
            let minutes = seconds.div_ceil(60);
            Err(AppError::TooManyRequests {
                message: format!(
                    "Too many failed log-in attempts. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
                retry_after_seconds: seconds,
            })
        }
        None => Ok(()),
    }
}

/// Seconds until the failures matching `predicate` (on `$1` = `value`) fall
/// below `limit` within the sliding `window` (seconds), or `None` when below
/// already: the limit-th most recent failure must leave the window first.
async fn seconds_until_allowed(
    pool: &PgPool,
    predicate: &'static str,
    value: &str,
    limit: i64,
    window: f64,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "select ceil(extract(epoch from (failed_at + make_interval(secs => $2) - now())))::bigint
         from login_failures
         where {predicate} and failed_at > now() - make_interval(secs => $2)
         order by failed_at desc offset $3 limit 1"
    ))
    .bind(value)
    .bind(window)
    .bind(limit - 1)
    .fetch_optional(pool)
    .await?)
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
    let limit = limit.clamp(1, 100);
    let pattern = format!("%{}%", search.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut users = sqlx::query_as::<_, User>(&format!(
        "select {USER_COLUMNS} from users
         where ($1 = '%%' or username::text ilike $1 or email::text ilike $1)
           and ($2::citext is null or username > $2::citext)
         order by username limit $3"
    ))
    .bind(&pattern)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let next_after = if users.len() as i64 > limit {
        users.truncate(limit as usize);
        users.last().map(|user| user.username.clone())
    } else {
        None
    };
    Ok(UserPage { users, next_after })
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
        return Err(AppError::field("role", "you cannot remove your own admin role"));
    }
    update_role(pool, user_id, role).await
}

/// Changes a user's role by username, without a caller: for the server's
/// command line, run by whoever operates the machine.
pub async fn set_role_by_username(pool: &PgPool, username: &str, role: Role) -> Result<User, AppError> {
    let id: i64 = sqlx::query_scalar("select id from users where username = $1::citext")
        .bind(username)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    update_role(pool, id, role).await
}

/// Updates a user's role and announces the change to live streams in the
/// same transaction.
async fn update_role(pool: &PgPool, user_id: i64, role: Role) -> Result<User, AppError> {
    let mut transaction = pool.begin().await?;
    let user = sqlx::query_as::<_, User>(&format!(
        "update users set role = $2, updated_at = now() where id = $1 returning {USER_COLUMNS}"
    ))
    .bind(user_id)
    .bind(role)
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| AppError::not_found("user"))?;
    crate::services::live::notify_account_changed(&mut *transaction, user.id).await?;
    transaction.commit().await?;
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
        assert_eq!(password_problem("short", "marie", "m@e.test").unwrap(), "must be at least 8 characters long");
        assert!(password_problem(&"a".repeat(129), "marie", "m@e.test").unwrap().contains("at most 128"));
        assert!(password_problem("password123", "marie", "m@e.test").unwrap().contains("too common"));
        assert!(password_problem("qwertyuiop", "marie", "m@e.test").unwrap().contains("too common"));
        assert!(password_problem("Marie.Curie", "marie.curie", "m@e.test").unwrap().contains("username"));
        assert!(password_problem("correct horse battery", "marie", "m@e.test").is_none());
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
