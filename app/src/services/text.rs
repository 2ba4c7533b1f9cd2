//! The one check every text input goes through before it reaches the
//! database (issue 20, item 3): trimmed, bounded in characters, and free of
//! control characters other than tab and newline (a NUL byte cannot be stored
//! in PostgreSQL text at all, others break displays and logs).

use crate::error::FieldErrors;
use crate::t;

/// Why `value` is refused, or `None`: more than `max` characters (counted as
/// Unicode scalar values, after trimming), or a control character other than
/// tab and newline (carriage returns count as newlines, see [`clean`]).
pub fn problem(value: &str, max: usize) -> Option<String> {
    if value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Some(t!(field.control_characters).into());
    }
    if value.trim().chars().count() > max {
        return Some(t!(field.at_most, count = i32::try_from(max).unwrap_or(i32::MAX)));
    }
    None
}

/// `value` trimmed, with `\r\n` and lone `\r` turned into `\n` (browsers send
/// a textarea's line breaks as `\r\n`).
pub fn clean(value: &str) -> String {
    value.trim().replace("\r\n", "\n").replace('\r', "\n")
}

/// Checks a required text field of `min`–`max` characters: returns it
/// [`clean`]ed, or records the reason under `field` in `fields` (and returns
/// what it has, for further checks that will not be reported anyway).
pub fn required(fields: &mut FieldErrors, field: &str, value: &str, min: usize, max: usize) -> String {
    let cleaned = clean(value);
    if let Some(reason) = problem(value, max) {
        fields.insert(field.into(), reason);
    } else if cleaned.chars().count() < min {
        let reason = if min <= 1 { t!(field.required).to_string() } else { t!(field.between, min = min, max = max) };
        fields.insert(field.into(), reason);
    }
    cleaned
}

/// Checks an optional text field of at most `max` characters: `None` when
/// absent or blank, else like [`required`] with a minimum of one.
pub fn optional(fields: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let value = value?;
    let cleaned = clean(value);
    if let Some(reason) = problem(value, max) {
        fields.insert(field.into(), reason);
    }
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Checks a free-text filter (a search box, a cursor): `Ok` with it
/// [`clean`]ed, or a 422 naming `field`.
///
/// Errors: [`crate::error::AppError::Validation`].
pub fn filter(field: &str, value: &str, max: usize) -> Result<String, crate::error::AppError> {
    let mut fields = FieldErrors::new();
    let cleaned = required(&mut fields, field, value, 0, max);
    crate::error::AppError::check(fields)?;
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_control_characters_but_tabs_and_line_breaks() {
        assert!(problem("a\0b", 10).is_some());
        assert!(problem("a\u{1b}[31mb", 20).is_some());
        assert!(problem("a\u{7f}", 10).is_some());
        assert!(problem("a\u{85}", 10).is_some());
        assert_eq!(problem("tab\there\nnew\r\nline", 40), None);
        assert_eq!(clean(" a\r\nb\rc "), "a\nb\nc");
    }

    #[test]
    fn bounds_length_in_characters_after_trimming() {
        // Messages in English: the test reads them.
        crate::i18n::request::in_language(crate::i18n::Language::en, || {
            assert_eq!(problem(&"é".repeat(5), 5), None);
            assert!(problem(&"é".repeat(6), 5).unwrap().contains("at most 5"));
            assert_eq!(problem("  abc  ", 3), None);
            let mut fields = FieldErrors::new();
            assert_eq!(required(&mut fields, "name", "  ", 1, 10), "");
            assert_eq!(fields["name"], "is required");
            assert_eq!(optional(&mut fields, "note", Some("  "), 10), None);
            assert_eq!(optional(&mut fields, "note", Some(" x "), 10).as_deref(), Some("x"));
            assert!(filter("search", "a\0", 10).unwrap_err().field_error("search").is_some());
        })
    }
}
