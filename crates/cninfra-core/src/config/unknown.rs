//! Config keys the plugin does not know: found, set aside, and named with their place and
//! the nearest known key.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

use super::error::ConfigError;
use super::lines::{Step, line_of};

/// Most unknown keys set aside in one file before giving up (a guard against loops).
const MAX_UNKNOWN: usize = 256;

/// A key of a config file that its plugin does not know. The agent ignores it with a
/// warning, or refuses the file under `--strict-config` (`STRICT_CONFIG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// The file.
    pub file: PathBuf,
    /// 1-based line of the key, when it could be placed.
    pub line: Option<usize>,
    /// The key with its parents, dotted (`tls.cert-fil`, `users[0].password_hash`).
    pub key: String,
    /// The known key at that place that is spelt most like it, when one is close.
    pub nearest: Option<String>,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": unknown key `{}`", self.key)?;
        if let Some(nearest) = &self.nearest {
            write!(f, " (did you mean `{nearest}`?)")?;
        }
        Ok(())
    }
}

/// A parsed config and the keys that were set aside to parse it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The config.
    pub value: T,
    /// The keys the config type does not have, in the order of the file.
    pub unknown: Vec<UnknownKey>,
    /// 1-based lines whose stray `,` after a quoted value was dropped (upstream's sample
    /// `logs.conf` writes `name: "agentcore",`, which YAML refuses).
    pub repaired_lines: Vec<usize>,
}

/// Parses `text` as [`parse_str`](super::parse_str) does, except that keys the config type
/// refuses as unknown (`#[serde(deny_unknown_fields)]`) are set aside and listed instead of
/// failing the parse.
///
/// # Errors
/// [`ConfigError::Parse`] naming file, line and field for anything else that does not fit.
///
/// # Examples
/// ```
/// #[derive(Debug, Default, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
/// struct Http { endpoint: String }
///
/// let parsed = cninfra_core::config::parse_lenient::<Http>(
///     "endpoint: 0.0.0.0:80\nendpont: x\n",
///     "http.conf".as_ref(),
/// )?;
/// assert_eq!(parsed.value.endpoint, "0.0.0.0:80");
/// assert_eq!(
///     parsed.unknown[0].to_string(),
///     "http.conf:2: unknown key `endpont` (did you mean `endpoint`?)"
/// );
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
pub fn parse_lenient<T: DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<Parsed<T>, ConfigError> {
    let is_json = path.extension().is_some_and(|ext| ext == "json");
    let (mut doc, text, repaired_lines) = match document(text, path) {
        Some(doc) => (doc, Cow::Borrowed(text), Vec::new()),
        None => {
            let repaired = (!is_json).then(|| drop_stray_commas(text)).flatten();
            let reread =
                repaired.and_then(|(fixed, lines)| Some((document(&fixed, path)?, fixed, lines)));
            match reread {
                Some((doc, fixed, lines)) => (doc, Cow::Owned(fixed), lines),
                // Not even a document: the strict parse names the syntax error and its place.
                None => {
                    return super::parse_str(text, path).map(|value| Parsed {
                        value,
                        unknown: Vec::new(),
                        repaired_lines: Vec::new(),
                    });
                }
            }
        }
    };
    let text = text.as_ref();
    let done = |value, unknown| Parsed {
        value,
        unknown,
        repaired_lines: repaired_lines.clone(),
    };
    let mut unknown = Vec::new();
    loop {
        let err = match serde_path_to_error::deserialize::<_, T>(doc.clone()) {
            Ok(value) => {
                // In the file's order; keys that could not be placed last.
                unknown.sort_by_key(|key: &UnknownKey| key.line.unwrap_or(usize::MAX));
                return Ok(done(value, unknown));
            }
            Err(err) => err,
        };
        let steps = steps_of(err.path());
        let message = err.inner().to_string();
        let refused = unknown_field(&message)
            .filter(|(field, _)| steps.last() == Some(&Step::Key(field.clone())))
            .filter(|_| unknown.len() < MAX_UNKNOWN);
        let Some((field, expected)) = refused else {
            if unknown.is_empty() {
                // Nothing set aside: the strict parse of the text has the exact place.
                return super::parse_str(text, path).map(|value| done(value, unknown));
            }
            return Err(ConfigError::Parse {
                path: path.to_owned(),
                line: line_of(text, &steps),
                column: None,
                field: Some(err.path().to_string()),
                message: super::strip_location(&message),
            });
        };
        if !remove(&mut doc, &steps) {
            return super::parse_str(text, path).map(|value| done(value, unknown));
        }
        unknown.push(UnknownKey {
            file: path.to_owned(),
            line: line_of(text, &steps),
            key: err.path().to_string(),
            nearest: nearest(&field, &expected),
        });
    }
}

/// The text as a generic document (`{}` for an empty or all-comment file); `None` when it
/// does not parse.
fn document(text: &str, path: &Path) -> Option<Value> {
    if super::is_blank(text) {
        return Some(Value::Mapping(serde_yaml_ng::Mapping::new()));
    }
    if path.extension().is_some_and(|ext| ext == "json") {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        serde_yaml_ng::to_value(json).ok()
    } else {
        serde_yaml_ng::from_str(text).ok()
    }
}

/// Drops the `,` that ends a line right after a quoted value, outside flow collections;
/// `None` when no line ends so. Lines keep their numbers.
fn drop_stray_commas(text: &str) -> Option<(String, Vec<usize>)> {
    let mut lines = Vec::new();
    let fixed: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let end = line.trim_end();
            let flow = line.contains(['[', '{']);
            if !flow && (end.ends_with("\",") || end.ends_with("',")) {
                lines.push(i + 1);
                &end[..end.len() - 1]
            } else {
                line
            }
        })
        .collect();
    (!lines.is_empty()).then(|| (fixed.join("\n"), lines))
}

fn steps_of(path: &serde_path_to_error::Path) -> Vec<Step> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// Takes the key at `steps` out of the document; `false` when it is not there.
fn remove(doc: &mut Value, steps: &[Step]) -> bool {
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut node = doc;
    for step in parents {
        let next = match (step, node) {
            (Step::Key(key), Value::Mapping(map)) => map.get_mut(key.as_str()),
            (Step::Index(index), Value::Sequence(seq)) => seq.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return false,
        }
    }
    match (last, node) {
        (Step::Key(key), Value::Mapping(map)) => map.remove(key.as_str()).is_some(),
        _ => false,
    }
}

/// The field and the expected fields of serde's "unknown field" message:
/// ``unknown field `x`, expected one of `a`, `b` `` / ``expected `a` `` / ``there are no
/// fields``.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((field.to_owned(), expected))
}

/// The expected key spelt most like `field`, when it is close enough to be a typo (or the
/// same key with `_` for `-`).
fn nearest(field: &str, expected: &[String]) -> Option<String> {
    let normal = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let field = normal(field);
    expected
        .iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&field, &normal(candidate));
            (distance, candidate)
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(field.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
    struct User {
        name: String,
        password: String,
    }

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
    struct Conf {
        endpoint: String,
        users: Vec<User>,
        max_header_bytes: usize,
    }

    #[test]
    fn unknown_keys_at_any_depth_are_set_aside_and_placed() {
        let text = "endpoint: a:1\ndisable: false\nusers:\n  - name: u\n    password_hash: h\n\
                    max_header_bytes: 5\n";
        let parsed = parse_lenient::<Conf>(text, Path::new("http.conf")).unwrap();
        assert_eq!(parsed.value.endpoint, "a:1");
        assert_eq!(parsed.value.users[0].name, "u");
        let texts: Vec<String> = parsed.unknown.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "http.conf:2: unknown key `disable`",
                "http.conf:5: unknown key `users[0].password_hash`",
                "http.conf:6: unknown key `max_header_bytes` (did you mean `max-header-bytes`?)",
            ]
        );
    }

    #[test]
    fn other_faults_keep_their_place_after_keys_were_set_aside() {
        let text = "endpont: x\nusers:\n  - name: [1]\n";
        let err = parse_lenient::<Conf>(text, Path::new("http.conf"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("http.conf:3: field `users[0].name`"),
            "{err}"
        );

        let err = parse_lenient::<Conf>("endpoint: [1]\n", Path::new("http.conf"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("http.conf:1:"), "{err}");
        let err = parse_lenient::<Conf>("a: [\n", Path::new("http.conf"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("http.conf:"), "{err}");
    }

    #[test]
    fn json_files_and_blank_files_work_too() {
        let parsed = parse_lenient::<Conf>(
            "{\n  \"endpoint\": \"a:1\",\n  \"endpoit\": 1\n}",
            Path::new("h.json"),
        )
        .unwrap();
        assert_eq!(parsed.unknown[0].line, Some(3));
        assert_eq!(parsed.unknown[0].nearest.as_deref(), Some("endpoint"));
        let parsed = parse_lenient::<Conf>("# all\n# comments\n", Path::new("h.conf")).unwrap();
        assert_eq!(parsed.value, Conf::default());
    }

    #[test]
    fn stray_commas_after_quoted_values_are_dropped_as_upstream_wrote_them() {
        let text = "loggers:\n  - name: \"agentcore\",\n    level: debug\n  - name: \"b\"\n";
        #[derive(Debug, serde::Deserialize)]
        struct Logger {
            name: String,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Logs {
            loggers: Vec<Logger>,
        }
        let parsed = parse_lenient::<Logs>(text, Path::new("logs.conf")).unwrap();
        assert_eq!(parsed.value.loggers[0].name, "agentcore");
        assert_eq!(parsed.repaired_lines, [2]);
        assert!(parse_lenient::<Logs>("loggers: [\n", Path::new("logs.conf")).is_err());
    }

    #[test]
    fn far_keys_get_no_suggestion() {
        assert_eq!(
            nearest("colour", &["endpoint".into(), "users".into()]),
            None
        );
        assert_eq!(
            nearest("token_expiration", &["token-expiration".into()]),
            Some("token-expiration".into())
        );
    }
}
