//! Password hashing with argon2id, off the async runtime.

use crate::error::AppError;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// argon2id with OWASP's Password Storage Cheat Sheet parameters:
/// 19 MiB of memory (19,456 KiB), 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many hashes run at once: one per core. Each takes 19 MiB
/// and a core for tens of milliseconds, so a burst of log-ins queues here
/// instead of taking every core from other requests and leaving glibc
/// holding 19 MiB per blocking thread (issue 5's benchmark saw 807 MiB of
/// peak RSS without this cap).
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)));

/// Runs `work` on a blocking thread once a hashing slot is free.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, tokio::task::JoinError> {
    let _slot = HASHING.acquire().await.expect("the hashing semaphore is never closed");
    tokio::task::spawn_blocking(work).await
}

/// A hash of a random password, verified against when the login names no user,
/// so an unknown user and a wrong password take about the same time.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(salt.as_str().as_bytes(), &salt).expect("hashing a decoy password").to_string()
});

/// Hashes `password` into a PHC string (salt inside), on a blocking thread,
/// at most one per core at a time.
///
/// Errors: [`AppError::Internal`] if hashing fails or the thread panics.
pub async fn hash(password: String) -> Result<String, AppError> {
    hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "password hashing task failed");
        AppError::internal()
    })?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::internal()
    })
}

/// Checks `password` against a stored PHC string, or against a decoy when
/// `stored` is `None`; returns `false` in the decoy case. Runs on a blocking
/// thread, at most one per core at a time.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    hashing(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY_HASH.clone());
        let matches = PasswordHash::new(&phc)
            .map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && matches
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "password verification task failed");
        AppError::internal()
    })
}
