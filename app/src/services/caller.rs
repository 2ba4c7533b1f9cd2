//! Who is making a request, once authenticated (from a session, see
//! [`crate::services::sessions`], or an API token, see
//! [`crate::services::tokens`]), and the checks of their role.

use crate::domain::{Role, TokenScope, User};
use crate::error::AppError;
use crate::t;
use std::net::IpAddr;

/// The session key holding the logged-in user's id (written at log-in by
/// [`crate::services::accounts`], read by [`crate::services::sessions`]).
pub const SESSION_USER_ID: &str = "user_id";

/// The acting party of a service call: a user freshly loaded from the
/// database (so a role change applies on the next request), or nobody.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user: Option<User>,
    /// The client's address (see [`client_address`]), used by the log-in throttle.
    pub address: Option<IpAddr>,
    /// The scope of the bearer token the request came with; `None` for a
    /// session (or nobody). See [`Caller::writer`] and [`Caller::admin`].
    pub token_scope: Option<TokenScope>,
    /// The session's user must turn on two-factor authentication before
    /// anything else (`GUICHET_REQUIRE_2FA_FOR` covers their role and they
    /// have none): [`Caller::user`], and so every check built on it, answers
    /// [`AppError::TwoFactorRequired`]; only [`Caller::enrolling_user`]
    /// (enrolment, the account's history) and log-out let them through.
    /// Never set for bearer tokens.
    pub two_factor_missing: bool,
}

impl Caller {
    /// The logged-in user's id, if any (what service spans record as `caller`).
    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|user| user.id)
    }

    /// The logged-in user. Errors: [`AppError::Unauthorized`]; 403
    /// [`AppError::TwoFactorRequired`] while they must enrol (see
    /// [`Caller::two_factor_missing`]).
    pub fn user(&self) -> Result<&User, AppError> {
        let user = self.user.as_ref().ok_or_else(AppError::unauthorized)?;
        if self.two_factor_missing {
            return Err(AppError::two_factor_required());
        }
        Ok(user)
    }

    /// The logged-in user through a session, even one who must still turn
    /// on two-factor authentication: for managing two-factor authentication
    /// and reading the account's history.
    /// Errors: 401, or 403 for a bearer token.
    pub fn enrolling_user(&self) -> Result<&User, AppError> {
        let user = self.user.as_ref().ok_or_else(AppError::unauthorized)?;
        if self.token_scope.is_some() {
            return Err(AppError::forbidden(t!(errors.session_only)));
        }
        Ok(user)
    }

    /// The logged-in agent or admin. Errors: 401, or 403 for requesters.
    pub fn staff(&self) -> Result<&User, AppError> {
        let user = self.user()?;
        if user.role.is_staff() { Ok(user) } else { Err(AppError::forbidden(t!(errors.staff_only))) }
    }

    /// The logged-in admin. Errors: 401, or 403 for others and for a bearer
    /// token without the `admin` scope.
    pub fn admin(&self) -> Result<&User, AppError> {
        let user = self.user()?;
        if user.role != Role::Admin {
            return Err(AppError::forbidden(t!(errors.admin_only)));
        }
        if self.token_scope.is_some_and(|scope| scope != TokenScope::Admin) {
            return Err(AppError::forbidden(t!(errors.token_not_admin)));
        }
        Ok(user)
    }

    /// The logged-in user, for a request that changes something.
    /// Errors: 401, or 403 for a bearer token with the `read` scope.
    pub fn writer(&self) -> Result<&User, AppError> {
        let user = self.user()?;
        if self.token_scope == Some(TokenScope::Read) {
            return Err(AppError::forbidden(t!(errors.token_read_only)));
        }
        Ok(user)
    }

    /// The logged-in user through a session, not a bearer token.
    /// Errors: 401, or 403 for a bearer token.
    pub fn session_user(&self) -> Result<&User, AppError> {
        let user = self.user()?;
        if self.token_scope.is_some() {
            return Err(AppError::forbidden(t!(errors.session_only)));
        }
        Ok(user)
    }
}

/// The client's address: the TCP peer, or, when the peer is one of the
/// `trusted_proxies` (`GUICHET_TRUSTED_PROXIES`), the address that proxy
/// reports: the right-most address of `X-Forwarded-For` (else of
/// `Forwarded`'s `for=`) that is not itself a trusted proxy. Headers from
/// any other peer are ignored (anyone can send them).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &http::HeaderMap,
    trusted_proxies: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let trusted = |address: &IpAddr| trusted_proxies.iter().any(|network| network.contains(address));
    let peer = peer?;
    if !trusted(&peer) {
        return Some(peer);
    }
    let forwarded_for: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(parse_forwarded_address)
        .collect();
    let chain = if forwarded_for.is_empty() {
        headers
            .get_all(http::header::FORWARDED)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split([',', ';']))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
            .filter_map(|(_, value)| parse_forwarded_address(value))
            .collect()
    } else {
        forwarded_for
    };
    Some(chain.into_iter().rev().find(|address| !trusted(address)).unwrap_or(peer))
}

/// One address of a forwarding header: `203.0.113.7`, `"[2001:db8::1]:4711"`,
/// `192.0.2.1:80`; `None` for `unknown`, obfuscated names and garbage.
fn parse_forwarded_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[').and_then(|rest| rest.split_once(']')).and_then(|(inside, _)| inside.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        pairs.iter().map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let trusted: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(client_address(Some(proxy), &spoofed, &trusted), Some("203.0.113.7".parse().unwrap()));
        assert_eq!(client_address(Some(proxy), &spoofed, &[]), Some(proxy), "untrusted peer: header ignored");
        let forwarded = headers(&[("forwarded", "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"")]);
        assert_eq!(client_address(Some(proxy), &forwarded, &trusted), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(client_address(Some(proxy), &headers(&[]), &trusted), Some(proxy));
        assert_eq!(client_address(None, &spoofed, &trusted), None);
    }
}
