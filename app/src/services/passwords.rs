//! Password hashing with argon2id, off the async runtime.

use crate::error::AppError;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::sync::LazyLock;

/// argon2id with OWASP's Password Storage Cheat Sheet parameters:
/// 19 MiB of memory (19,456 KiB), 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, verified against when the login names no user,
/// so an unknown user and a wrong password take about the same time.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(salt.as_str().as_bytes(), &salt).expect("hashing a decoy password").to_string()
});

/// Hashes `password` into a PHC string (salt inside), on a blocking thread.
///
/// Errors: [`AppError::Internal`] if hashing fails or the thread panics.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
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
/// `stored` is `None`; returns `false` in the decoy case. Runs on a blocking thread.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
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
