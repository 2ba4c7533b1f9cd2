//! Which error group an occurrence belongs to: its signature (issue 16,
//! item 3), computed from what every intake reads of an event
//! ([`Occurrence`]). Pure functions, no database.
//!
//! The algorithm (also in the README):
//! 1. The SDK's `fingerprint`, when it gives one: the signature text is
//!    `fingerprint:` and its parts joined by `|`; a part `{{ default }}`
//!    (Sentry's way of extending the default grouping) stands for the
//!    default text of step 2.
//! 2. Otherwise `type | message | file | function | line`: the exception
//!    type (`Error` when none), its message [`normalise`]d, and the top
//!    in-app frame, the newest frame marked in-app (else the newest frame
//!    of all), by its file, function and line; empty parts stay empty.
//! 3. The signature is the SHA-256 of that text, in hex (64 digits): what
//!    `error_groups.signature` stores beside the text itself.

use sha2::Digest;

/// One frame of a stack trace, as the signature reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// The file, as the SDK names it (`filename`, else `module`, else `abs_path`).
    pub file: String,
    pub function: String,
    pub line: Option<u32>,
    /// Whether the frame is the application's own code (`None`: the SDK did not say).
    pub in_app: Option<bool>,
}

/// What the signature is computed from: one error event, from a Sentry SDK
/// or the plain intake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Occurrence {
    /// The exception's type, e.g. `ValueError`, `TypeError`; empty when none.
    pub exception_type: String,
    /// The exception's message, as sent.
    pub message: String,
    /// Oldest call first, the frame that raised last (Sentry's order).
    pub frames: Vec<Frame>,
    /// The SDK's fingerprint, when it set one.
    pub fingerprint: Option<Vec<String>>,
}

/// A group's signature: the `text` it is computed from and its SHA-256 `digest` (64 hex digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub text: String,
    pub digest: String,
}

/// What [`normalise`] writes for a run of decimal digits.
pub const NUMBER: &str = "<n>";
/// What [`normalise`] writes for a hexadecimal number.
pub const HEX: &str = "<hex>";
/// What [`normalise`] writes for a UUID.
pub const UUID: &str = "<uuid>";
/// What [`normalise`] writes for a quoted value, quotes included.
pub const QUOTED: &str = "<quoted>";

/// The signature of `occurrence` (see the module documentation).
pub fn signature(occurrence: &Occurrence) -> Signature {
    let default = default_text(occurrence);
    let text = match &occurrence.fingerprint {
        Some(parts) if !parts.is_empty() => {
            let parts: Vec<&str> = parts
                .iter()
                .map(
                    |part| if part.trim() == "{{ default }}" || part.trim() == "{{default}}" { &default } else { part },
                )
                .map(String::as_str)
                .collect();
            format!("fingerprint:{}", parts.join("|"))
        }
        _ => default,
    };
    let digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    Signature { text, digest }
}

/// `type | message | file | function | line` (step 2 of the module documentation).
fn default_text(occurrence: &Occurrence) -> String {
    let exception_type = if occurrence.exception_type.trim().is_empty() { "Error" } else { &occurrence.exception_type };
    let frame = top_frame(&occurrence.frames);
    let (file, function, line) = match frame {
        Some(frame) => (frame.file.as_str(), frame.function.as_str(), frame.line.map(|line| line.to_string())),
        None => ("", "", None),
    };
    format!(
        "{}|{}|{}|{}|{}",
        exception_type.trim(),
        normalise(&occurrence.message),
        file,
        function,
        line.unwrap_or_default()
    )
}

/// The newest frame marked in-app, else the newest frame; `None` without frames.
pub fn top_frame(frames: &[Frame]) -> Option<&Frame> {
    frames.iter().rev().find(|frame| frame.in_app == Some(true)).or_else(|| frames.last())
}

/// `message` with what varies between occurrences of one error replaced by
/// placeholders, so that they share a signature: quoted values (`'…'`,
/// `"…"`, `` `…` ``, opened after a non-alphanumeric character and closed on
/// the same line) by [`QUOTED`], UUIDs by [`UUID`], hexadecimal numbers
/// (`0x…`, or 8 or more hex digits with at least one digit and one letter)
/// by [`HEX`], runs of decimal digits by [`NUMBER`]; then runs of white
/// space become one space, and the ends are trimmed.
pub fn normalise(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let after_word = index > 0 && chars[index - 1].is_alphanumeric();
        if matches!(c, '\'' | '"' | '`')
            && !after_word
            && let Some(close) = closing_quote(&chars, index)
        {
            out.push_str(QUOTED);
            index = close + 1;
            continue;
        }
        if c.is_ascii_alphanumeric() {
            let start = index;
            while index < chars.len() && (chars[index].is_ascii_alphanumeric() || chars[index] == '-') {
                index += 1;
            }
            let token: String = chars[start..index].iter().collect();
            out.push_str(&normalise_token(&token));
            continue;
        }
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        index += 1;
    }
    out.trim().to_string()
}

/// Where the quote opened at `open` closes: the same character later on
/// the line, followed by the end or a character that is not alphanumeric.
fn closing_quote(chars: &[char], open: usize) -> Option<usize> {
    let quote = chars[open];
    let mut index = open + 1;
    while index < chars.len() && chars[index] != '\n' {
        if chars[index] == quote && chars.get(index + 1).is_none_or(|next| !next.is_alphanumeric()) {
            return Some(index);
        }
        index += 1;
    }
    None
}

/// One run of ASCII letters, digits and `-`: a UUID, a hex number, or a
/// word whose digit runs become [`NUMBER`] (its `-`-separated parts judged alone).
fn normalise_token(token: &str) -> String {
    if is_uuid(token) {
        return UUID.into();
    }
    token.split('-').map(normalise_part).collect::<Vec<_>>().join("-")
}

fn normalise_part(part: &str) -> String {
    let lower = part.to_ascii_lowercase();
    if let Some(digits) = lower.strip_prefix("0x")
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_hexdigit())
    {
        return HEX.into();
    }
    if part.len() >= 8
        && part.chars().all(|c| c.is_ascii_hexdigit())
        && part.chars().any(|c| c.is_ascii_digit())
        && part.chars().any(|c| c.is_ascii_alphabetic())
    {
        return HEX.into();
    }
    let mut out = String::with_capacity(part.len());
    let mut in_number = false;
    for c in part.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push_str(NUMBER);
                in_number = true;
            }
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// 8-4-4-4-12 hex digits.
fn is_uuid(token: &str) -> bool {
    let parts: Vec<&str> = token.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, length)| part.len() == length && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The frames of a stack trace given as text (the plain intake's `stack`),
/// oldest call first: a Python traceback (`File "…", line N, in f`, listed
/// oldest first) or a JavaScript `Error.stack` (V8's `at f (file:line:col)`
/// or Firefox's and Safari's `f@file:line:col`, listed newest first).
/// A frame is in-app unless its file is a library's (`site-packages`,
/// `dist-packages`, `node_modules`, the Python standard library under
/// `/usr/lib/python`, `<anonymous>`, `node:`, `internal/`). Lines of other
/// shapes are skipped; at most `max_frames` frames are kept (the newest).
pub fn parse_stack(stack: &str, max_frames: usize) -> Vec<Frame> {
    let mut python = Vec::new();
    let mut javascript = Vec::new();
    for line in stack.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("File \"") {
            // File "/app/shop/cart.py", line 42, in add_item
            let Some((file, rest)) = rest.split_once('"') else { continue };
            let mut number = None;
            let mut function = String::new();
            for part in rest.split(',') {
                let part = part.trim();
                if let Some(digits) = part.strip_prefix("line ") {
                    number = digits.trim().parse().ok();
                } else if let Some(name) = part.strip_prefix("in ") {
                    function = name.trim().to_string();
                }
            }
            python.push(frame(file, &function, number));
        } else if let Some(rest) = line.strip_prefix("at ") {
            // at addItem (https://shop.example.com/cart.js:42:17) | at https://…/cart.js:42:17
            let (function, location) = match rest.rsplit_once(" (") {
                Some((function, location)) => (function.trim(), location.trim_end_matches(')')),
                None => ("", rest),
            };
            if let Some((file, number)) = split_location(location) {
                javascript.push(frame(file, function, number));
            }
        } else if let Some((function, location)) = line.split_once('@')
            && let Some((file, number)) = split_location(location)
        {
            javascript.push(frame(file, function, number));
        }
    }
    let mut frames = if python.len() >= javascript.len() {
        python
    } else {
        javascript.reverse();
        javascript
    };
    if frames.len() > max_frames {
        frames.drain(..frames.len() - max_frames);
    }
    frames
}

/// `file:line:column` (or `file:line`) → the file and the line.
fn split_location(location: &str) -> Option<(&str, Option<u32>)> {
    let (rest, last) = location.rsplit_once(':')?;
    let last: u32 = last.parse().ok()?;
    match rest.rsplit_once(':') {
        Some((file, line)) if line.parse::<u32>().is_ok() => Some((file, line.parse().ok())),
        _ => Some((rest, Some(last))),
    }
}

fn frame(file: &str, function: &str, line: Option<u32>) -> Frame {
    let library =
        ["site-packages", "dist-packages", "node_modules", "/usr/lib/python", "<anonymous>", "node:", "internal/"]
            .iter()
            .any(|marker| file.contains(marker));
    Frame { file: file.to_string(), function: function.to_string(), line, in_app: Some(!library) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A traceback as CPython 3.11 prints it for a real error.
    const PYTHON_TRACEBACK: &str = r#"Traceback (most recent call last):
  File "/srv/shop/app.py", line 88, in checkout
    total = cart.total()
  File "/srv/shop/cart.py", line 42, in total
    return sum(parse_price(line) for line in self.lines)
  File "/srv/shop/cart.py", line 42, in <genexpr>
    return sum(parse_price(line) for line in self.lines)
  File "/srv/shop/prices.py", line 17, in parse_price
    return int(line["price"])
  File "/usr/lib/python3.11/site-packages/decimal_shim.py", line 5, in int
    raise ValueError(f"invalid literal for int() with base 10: {text!r}")
ValueError: invalid literal for int() with base 10: '12,50'"#;

    /// An `Error.stack` as Chrome (V8) gives it, newest frame first.
    const CHROME_STACK: &str = "TypeError: Cannot read properties of undefined (reading 'price')
    at parsePrice (https://shop.example.com/static/js/cart.4f3c2a.js:17:23)
    at Array.map (<anonymous>)
    at Cart.total (https://shop.example.com/static/js/cart.4f3c2a.js:42:31)
    at HTMLButtonElement.onClick (https://shop.example.com/static/js/app.js:88:12)
    at https://shop.example.com/node_modules/react-dom/cjs/react-dom.development.js:4164:14";

    /// The same error as Firefox gives it.
    const FIREFOX_STACK: &str = "parsePrice@https://shop.example.com/static/js/cart.4f3c2a.js:17:23
total@https://shop.example.com/static/js/cart.4f3c2a.js:42:31
onClick@https://shop.example.com/static/js/app.js:88:12
";

    #[test]
    fn numbers_hex_uuids_and_quoted_values_become_placeholders() {
        assert_eq!(
            normalise("invalid literal for int() with base 10: '12,50'"),
            "invalid literal for int() with base <n>: <quoted>"
        );
        assert_eq!(
            normalise("Order 1234 of user 9f8b2c1e-3d4a-4b5c-8d9e-0a1b2c3d4e5f failed at 0x7f3a2b after 3.5 s"),
            "Order <n> of user <uuid> failed at <hex> after <n>.<n> s"
        );
        assert_eq!(normalise("commit deadbeef42 not found"), "commit <hex> not found");
        assert_eq!(
            normalise("Cannot read properties of undefined (reading \"price\")"),
            normalise("Cannot read properties of undefined (reading \"total\")")
        );
        // An apostrophe inside a word is not a quote.
        assert_eq!(normalise("can't  find\tuser `bob`"), "can't find user <quoted>");
        // Plain words stay, whitespace collapses.
        assert_eq!(normalise("  connection   reset  "), "connection reset");
        assert_eq!(normalise("KeyError: 'user_42'"), "KeyError: <quoted>");
    }

    #[test]
    fn a_python_traceback_gives_its_frames_oldest_first_with_the_library_frame_not_in_app() {
        let frames = parse_stack(PYTHON_TRACEBACK, 100);
        assert_eq!(frames.len(), 5);
        assert_eq!(
            frames[0],
            Frame { file: "/srv/shop/app.py".into(), function: "checkout".into(), line: Some(88), in_app: Some(true) }
        );
        assert_eq!(frames[4].in_app, Some(false));
        let top = top_frame(&frames).unwrap();
        assert_eq!(
            (top.file.as_str(), top.function.as_str(), top.line),
            ("/srv/shop/prices.py", "parse_price", Some(17))
        );
    }

    #[test]
    fn chrome_and_firefox_stacks_give_the_same_top_in_app_frame() {
        let chrome = parse_stack(CHROME_STACK, 100);
        // `at Array.map (<anonymous>)` names no line: skipped.
        assert_eq!(chrome.len(), 4, "{chrome:?}");
        assert_eq!(chrome[0].in_app, Some(false), "react-dom, the oldest");
        let firefox = parse_stack(FIREFOX_STACK, 100);
        assert_eq!(firefox.len(), 3);
        for frames in [&chrome, &firefox] {
            let top = top_frame(frames).unwrap();
            assert_eq!(top.file, "https://shop.example.com/static/js/cart.4f3c2a.js");
            assert_eq!((top.function.as_str(), top.line), ("parsePrice", Some(17)));
        }
        assert_eq!(parse_stack(CHROME_STACK, 2).len(), 2);
    }

    #[test]
    fn occurrences_of_one_shape_share_a_signature_and_others_do_not() {
        let python = |value: &str, line| Occurrence {
            exception_type: "ValueError".into(),
            message: format!("invalid literal for int() with base 10: {value}"),
            frames: vec![
                Frame {
                    file: "shop/prices.py".into(),
                    function: "parse_price".into(),
                    line: Some(line),
                    in_app: Some(true),
                },
                Frame { file: "decimal_shim.py".into(), function: "int".into(), line: Some(5), in_app: Some(false) },
            ],
            fingerprint: None,
        };
        let first = signature(&python("'12,50'", 17));
        assert_eq!(first, signature(&python("'abc'", 17)));
        assert_eq!(
            first.text,
            "ValueError|invalid literal for int() with base <n>: <quoted>|shop/prices.py|parse_price|17"
        );
        assert_eq!(first.digest.len(), 64);
        assert_ne!(first, signature(&python("'abc'", 18)), "another line");
        let mut other_type = python("'abc'", 17);
        other_type.exception_type = "TypeError".into();
        assert_ne!(first, signature(&other_type));

        let javascript = Occurrence {
            exception_type: "TypeError".into(),
            message: "Cannot read properties of undefined (reading 'price')".into(),
            frames: parse_stack(CHROME_STACK, 100),
            fingerprint: None,
        };
        assert_eq!(
            signature(&javascript).text,
            "TypeError|Cannot read properties of undefined (reading <quoted>)|https://shop.example.com/static/js/cart.4f3c2a.js|parsePrice|17"
        );
    }

    #[test]
    fn a_fingerprint_replaces_the_default_and_may_extend_it() {
        let mut occurrence =
            Occurrence { exception_type: "Timeout".into(), message: "after 30 s".into(), ..Default::default() };
        let default = signature(&occurrence);
        assert_eq!(default.text, "Timeout|after <n> s|||");
        occurrence.fingerprint = Some(vec!["payments".into(), "timeout".into()]);
        assert_eq!(signature(&occurrence).text, "fingerprint:payments|timeout");
        occurrence.fingerprint = Some(vec!["{{ default }}".into(), "eu-west".into()]);
        assert_eq!(signature(&occurrence).text, "fingerprint:Timeout|after <n> s||||eu-west");
        occurrence.fingerprint = Some(Vec::new());
        assert_eq!(signature(&occurrence), default, "an empty fingerprint is none");
        // No type: "Error".
        assert!(signature(&Occurrence { message: "x".into(), ..Default::default() }).text.starts_with("Error|x|"));
    }
}
