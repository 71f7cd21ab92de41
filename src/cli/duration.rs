//! Durations as users write them: `10s`, `500ms`, `2m`, `1h`, `1.5s`, `1m30s`.

use std::time::Duration;

/// What a duration looks like, for error messages.
pub const DURATION_EXAMPLES: &str = "e.g. 10s, 500ms, 2m";

/// Parse a duration: one or more `<number><unit>` parts, unit one of `ms`, `s`, `m`, `h`.
/// A bare number is refused (a unit is required so `wait accepted 10` cannot mean two
/// things). The error is a complete phrase, e.g. `'10' needs a unit (e.g. 10s, 500ms, 2m)`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("'{text}' is not a duration ({DURATION_EXAMPLES})");
    if text.is_empty() {
        return Err(format!("empty duration ({DURATION_EXAMPLES})"));
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("'{text}' needs a unit ({DURATION_EXAMPLES})"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad());
        }
        let (num, after) = rest.split_at(num_len);
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale = match unit.to_ascii_lowercase().as_str() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("'{text}' needs a unit ({DURATION_EXAMPLES})")),
            _ => return Err(bad()),
        };
        let value: f64 = num.parse().map_err(|_| bad())?;
        let part = Duration::try_from_secs_f64(value * scale).map_err(|_| bad())?;
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = after;
    }
    Ok(total)
}

/// Show a duration the way a user would write it: `10s`, `500ms`, `2m`, `1m30s`, `1.5s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return if d.is_zero() {
            "0s".into()
        } else {
            format!("{}us", d.as_micros())
        };
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms % 1000 != 0 {
        let s = format!("{:.3}", d.as_secs_f64());
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return format!("{s}s");
    }
    let secs = d.as_secs();
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2S"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3sec"), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn refuses_bad_durations() {
        assert_eq!(
            parse_duration("10"),
            Err("'10' needs a unit (e.g. 10s, 500ms, 2m)".into())
        );
        assert_eq!(
            parse_duration("abc"),
            Err("'abc' is not a duration (e.g. 10s, 500ms, 2m)".into())
        );
        assert_eq!(
            parse_duration("10x"),
            Err("'10x' is not a duration (e.g. 10s, 500ms, 2m)".into())
        );
        assert_eq!(
            parse_duration("1m30"),
            Err("'1m30' needs a unit (e.g. 10s, 500ms, 2m)".into())
        );
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1..5s").is_err());
        assert!(parse_duration("99999999999999999999999h").is_err());
    }

    #[test]
    fn formats_like_users_write() {
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        for text in ["10s", "500ms", "2m", "1m30s", "1.5s", "1h"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
