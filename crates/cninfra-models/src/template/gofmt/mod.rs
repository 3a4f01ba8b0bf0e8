//! Printing as Go's `fmt` does: `%v` for template output, `print`, `println`, `printf`.
//!
//! Covered: flags `+ - # space 0`, width and precision (also `*`), verbs `v s q x X d b o
//! O c U t e E f F g G %`, and Go's `%!verb(type=value)`, `%!v(MISSING)`, `%!(EXTRA …)`
//! and `%!(NOVERB)` markers. Not covered: argument indexes (`%[1]d`), `%T`, `%p`, `%#v`'s
//! Go syntax beyond quoting strings, `#` on floats.

mod float;

use std::fmt::Write as _;

use super::data::Datum;
use float::{format_e, format_f, format_g};

/// Why a value cannot be printed.
const MESSAGE_UNPRINTABLE: &str =
    "can't print a whole message (Go prints it in an unstable text form); name one of its fields";

/// Formatting flags, width and precision of one verb.
#[derive(Debug, Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Prints `d` as `%v` does (what `{{…}}` prints).
pub(super) fn write_value(out: &mut String, d: &Datum<'_>) -> Result<(), String> {
    print_arg(out, d, 'v', &Spec::default())
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
pub(super) fn sprint(out: &mut String, args: &[Datum<'_>]) -> Result<(), String> {
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Datum::Str(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        write_value(out, arg)?;
        prev_string = is_string;
    }
    Ok(())
}

/// Go's `fmt.Sprintln`: spaces between all operands, a newline at the end.
pub(super) fn sprintln(out: &mut String, args: &[Datum<'_>]) -> Result<(), String> {
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(out, arg)?;
    }
    out.push('\n');
    Ok(())
}

/// Go's `fmt.Sprintf`.
pub(super) fn sprintf(out: &mut String, format: &str, args: &[Datum<'_>]) -> Result<(), String> {
    let b = format.as_bytes();
    let mut i = 0;
    let mut next_arg = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[start..i]);
        if i >= b.len() {
            break;
        }
        i += 1;
        let mut spec = Spec::default();
        while let Some(&c) = b.get(i) {
            match c {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        if b.get(i) == Some(&b'*') {
            i += 1;
            match int_arg(args, &mut next_arg) {
                Some(w) if w < 0 => {
                    spec.minus = true;
                    spec.zero = false;
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                Some(w) => spec.width = Some(w as usize),
                None => out.push_str("%!(BADWIDTH)"),
            }
        } else {
            spec.width = parse_num(b, &mut i);
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if b.get(i) == Some(&b'*') {
                i += 1;
                match int_arg(args, &mut next_arg) {
                    Some(p) if p < 0 => spec.prec = None,
                    Some(p) => spec.prec = Some(p as usize),
                    None => out.push_str("%!(BADPREC)"),
                }
            } else {
                spec.prec = Some(parse_num(b, &mut i).unwrap_or(0));
            }
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
        } else if let Some(arg) = args.get(next_arg) {
            next_arg += 1;
            print_arg(out, arg, verb, &spec)?;
        } else {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(MISSING)");
        }
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, arg) in args[next_arg..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            type_and_value(out, arg)?;
        }
        out.push(')');
    }
    Ok(())
}

/// A width or precision taken from the arguments (`*`); `None` when it is not an integer
/// (or absurdly large, as Go's 10⁶ limit).
fn int_arg(args: &[Datum<'_>], next_arg: &mut usize) -> Option<i64> {
    let arg = args.get(*next_arg)?;
    *next_arg += 1;
    let n = match *arg {
        Datum::Int(i) => i,
        Datum::Uint(u) => i64::try_from(u).ok()?,
        Datum::Enum { number, .. } => i64::from(number),
        _ => return None,
    };
    (n.unsigned_abs() <= 1_000_000).then_some(n)
}

fn parse_num(b: &[u8], i: &mut usize) -> Option<usize> {
    let start = *i;
    let mut n: usize = 0;
    while let Some(d) = b.get(*i).filter(|c| c.is_ascii_digit()) {
        n = n
            .saturating_mul(10)
            .saturating_add(usize::from(d - b'0'))
            .min(1_000_000);
        *i += 1;
    }
    (*i > start).then_some(n)
}

fn type_and_value(out: &mut String, d: &Datum<'_>) -> Result<(), String> {
    if let Datum::Nil = d {
        out.push_str("<nil>");
        return Ok(());
    }
    out.push_str(d.go_type());
    out.push('=');
    write_value(out, d)
}

/// Go's `%!verb(type=value)` for a verb that does not fit the value.
fn bad_verb(out: &mut String, verb: char, d: &Datum<'_>) -> Result<(), String> {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    type_and_value(out, d)?;
    out.push(')');
    Ok(())
}

fn print_arg(out: &mut String, d: &Datum<'_>, verb: char, spec: &Spec) -> Result<(), String> {
    match d {
        Datum::Message(_) => return Err(MESSAGE_UNPRINTABLE.to_owned()),
        Datum::Nil if verb == 'v' => pad(out, "<nil>", spec, false),
        Datum::Bool(b) if matches!(verb, 'v' | 't') => {
            pad(out, if *b { "true" } else { "false" }, spec, false)
        }
        Datum::Int(i) => return fmt_integer(out, i.unsigned_abs(), *i < 0, verb, spec, d),
        Datum::Uint(u) => return fmt_integer(out, *u, false, verb, spec, d),
        Datum::Float(f) => return fmt_float(out, *f, verb, spec, d),
        Datum::Str(s) => return fmt_string(out, s, verb, spec, d),
        // An enum's String() serves the string verbs, its number the others.
        Datum::Enum { number, name } => match (verb, name) {
            ('v' | 's' | 'q' | 'x' | 'X', Some(name)) => {
                return fmt_string(out, name, verb, spec, d);
            }
            ('v' | 's' | 'q' | 'x' | 'X', None) => {
                return fmt_string(out, &number.to_string(), verb, spec, d);
            }
            _ => {
                return fmt_integer(
                    out,
                    u64::from(number.unsigned_abs()),
                    *number < 0,
                    verb,
                    spec,
                    d,
                );
            }
        },
        Datum::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_arg(out, item, verb, spec)?;
            }
            out.push(']');
        }
        Datum::Map(entries) => {
            out.push_str("map[");
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_arg(out, &Datum::str(key), verb, spec)?;
                out.push(':');
                print_arg(out, value, verb, spec)?;
            }
            out.push(']');
        }
        Datum::Nil | Datum::Bool(_) => return bad_verb(out, verb, d),
    }
    Ok(())
}

/// Pads `s` to the width (in characters); zeros only where Go uses them (numbers).
fn pad(out: &mut String, s: &str, spec: &Spec, zeros: bool) {
    let Some(width) = spec.width else {
        out.push_str(s);
        return;
    };
    let len = s.chars().count();
    if len >= width {
        out.push_str(s);
        return;
    }
    let fill = if zeros && spec.zero && !spec.minus {
        '0'
    } else {
        ' '
    };
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', width - len));
    } else {
        out.extend(std::iter::repeat_n(fill, width - len));
        out.push_str(s);
    }
}

// ===== strings =====

fn fmt_string(
    out: &mut String,
    s: &str,
    verb: char,
    spec: &Spec,
    d: &Datum<'_>,
) -> Result<(), String> {
    let truncated = match spec.prec {
        Some(p) => s.char_indices().nth(p).map_or(s, |(at, _)| &s[..at]),
        None => s,
    };
    match verb {
        'v' if spec.sharp => pad(out, &quote(s, '"', false), spec, false),
        'v' | 's' => pad(out, truncated, spec, false),
        'q' if spec.sharp && can_backquote(truncated) => {
            pad(out, &format!("`{truncated}`"), spec, false)
        }
        'q' => pad(out, &quote(truncated, '"', spec.plus), spec, false),
        'x' | 'X' => {
            let bytes = &s.as_bytes()[..spec.prec.map_or(s.len(), |p| p.min(s.len()))];
            pad(out, &hex_bytes(bytes, verb == 'X', spec), spec, false);
        }
        _ => return bad_verb(out, verb, d),
    }
    Ok(())
}

fn hex_bytes(bytes: &[u8], upper: bool, spec: &Spec) -> String {
    let mut s = String::with_capacity(bytes.len() * 3 + 2);
    let prefix = if upper { "0X" } else { "0x" };
    for (i, byte) in bytes.iter().enumerate() {
        if spec.space && i > 0 {
            s.push(' ');
        }
        if spec.sharp && (spec.space || i == 0) {
            s.push_str(prefix);
        }
        let _ = if upper {
            write!(s, "{byte:02X}")
        } else {
            write!(s, "{byte:02x}")
        };
    }
    s
}

/// Go's `unicode.IsPrint`, approximated: no controls, no spaces other than U+0020, no
/// soft hyphen, no byte order mark.
fn is_print(c: char) -> bool {
    c == ' ' || !(c.is_control() || c.is_whitespace() || matches!(c, '\u{ad}' | '\u{feff}'))
}

/// Go's `strconv.Quote` (`QuoteToASCII` when `ascii`; `QuoteRune` with quote `'`).
fn quote(s: &str, q: char, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        if c == q || c == '\\' {
            out.push('\\');
            out.push(c);
            continue;
        }
        if is_print(c) && (!ascii || c.is_ascii()) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\u{7}' => out.write_str("\\a"),
            '\u{8}' => out.write_str("\\b"),
            '\u{c}' => out.write_str("\\f"),
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            '\t' => out.write_str("\\t"),
            '\u{b}' => out.write_str("\\v"),
            c if c < ' ' || c == '\u{7f}' => write!(out, "\\x{:02x}", u32::from(c)),
            c if u32::from(c) < 0x10000 => write!(out, "\\u{:04x}", u32::from(c)),
            c => write!(out, "\\U{:08x}", u32::from(c)),
        };
    }
    out.push(q);
    out
}

/// Go's `strconv.CanBackquote`.
fn can_backquote(s: &str) -> bool {
    !s.chars()
        .any(|c| c == '`' || c == '\u{feff}' || (c.is_control() && c != '\t'))
}

// ===== integers =====

fn fmt_integer(
    out: &mut String,
    mag: u64,
    negative: bool,
    verb: char,
    spec: &Spec,
    d: &Datum<'_>,
) -> Result<(), String> {
    let (radix, upper) = match verb {
        'v' | 'd' => (10, false),
        'b' => (2, false),
        'o' | 'O' => (8, false),
        'x' => (16, false),
        'X' => (16, true),
        'c' | 'q' | 'U' => {
            let c = (!negative)
                .then(|| u32::try_from(mag).ok().and_then(char::from_u32))
                .flatten()
                .unwrap_or('\u{fffd}');
            let text = match verb {
                'c' => c.to_string(),
                'q' => quote(&c.to_string(), '\'', spec.plus),
                _ if spec.sharp && is_print(c) => format!("U+{mag:04X} '{c}'"),
                _ => format!("U+{mag:04X}"),
            };
            pad(out, &text, spec, false);
            return Ok(());
        }
        _ => return bad_verb(out, verb, d),
    };
    // Two ways to ask for leading zero digits: a precision, or the 0 flag with a width
    // (then the sign takes one place).
    let min_digits = match spec.prec {
        Some(0) if mag == 0 => {
            pad(out, "", spec, false);
            return Ok(());
        }
        Some(p) => p,
        None if spec.zero && !spec.minus => spec
            .width
            .unwrap_or(0)
            .saturating_sub(usize::from(negative || spec.plus || spec.space)),
        None => 0,
    };
    let digits = match (radix, upper) {
        (2, _) => format!("{mag:b}"),
        (8, _) => format!("{mag:o}"),
        (16, false) => format!("{mag:x}"),
        (16, true) => format!("{mag:X}"),
        _ => mag.to_string(),
    };
    let mut s = String::with_capacity(digits.len().max(min_digits) + 4);
    if negative {
        s.push('-');
    } else if spec.plus {
        s.push('+');
    } else if spec.space {
        s.push(' ');
    }
    if verb == 'O' {
        s.push_str("0o");
    }
    let zeros = min_digits.saturating_sub(digits.len());
    if spec.sharp {
        match radix {
            2 => s.push_str("0b"),
            8 if zeros == 0 && !digits.starts_with('0') => s.push('0'),
            16 => s.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    s.extend(std::iter::repeat_n('0', zeros));
    s.push_str(&digits);
    pad(out, &s, spec, false);
    Ok(())
}

// ===== floats =====

fn fmt_float(
    out: &mut String,
    f: f64,
    verb: char,
    spec: &Spec,
    d: &Datum<'_>,
) -> Result<(), String> {
    let num = match verb {
        'v' | 'g' | 'G' => format_g(f, spec.prec, verb == 'G'),
        'e' | 'E' => format_e(f, spec.prec.unwrap_or(6), verb == 'E'),
        'f' | 'F' => format_f(f, spec.prec.unwrap_or(6)),
        _ => return bad_verb(out, verb, d),
    };
    let (mut sign, body) = match num.as_bytes().first() {
        Some(b'-') => ('-', &num[1..]),
        Some(b'+') => ('+', &num[1..]),
        _ => ('+', num.as_str()),
    };
    if spec.space && sign == '+' && !spec.plus {
        sign = ' ';
    }
    if body == "Inf" || body == "NaN" {
        // Not numbers to pad with zeros; NaN shows a sign only when asked for.
        let text = if body == "NaN" && !spec.space && !spec.plus {
            body.to_owned()
        } else {
            format!("{sign}{body}")
        };
        pad(out, &text, spec, false);
        return Ok(());
    }
    let width = spec.width.unwrap_or(0);
    if spec.plus || sign != '+' {
        let len = body.chars().count() + 1;
        if spec.zero && !spec.minus && width > len {
            out.push(sign);
            out.extend(std::iter::repeat_n('0', width - len));
            out.push_str(body);
        } else {
            pad(out, &format!("{sign}{body}"), spec, true);
        }
    } else {
        pad(out, body, spec, true);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sprintf_(format: &str, args: &[Datum<'_>]) -> String {
        let mut out = String::new();
        sprintf(&mut out, format, args).unwrap();
        out
    }

    fn v(d: Datum<'_>) -> String {
        let mut out = String::new();
        write_value(&mut out, &d).unwrap();
        out
    }

    #[test]
    fn float_verbs() {
        let f = |x| Datum::Float(x);
        assert_eq!(
            sprintf_(
                "%f|%.2f|%8.3f|%-8.1f|",
                &[f(3.25159), f(2.675), f(-1.5), f(2.25)]
            ),
            "3.251590|2.67|  -1.500|2.2     |"
        );
        assert_eq!(
            sprintf_(
                "%e|%.2E|%g|%.3g|%G",
                &[f(1234.5678), f(0.000123), f(1e-7), f(1234.5), f(1e100)]
            ),
            "1.234568e+03|1.23E-04|1e-07|1.23e+03|1E+100"
        );
        assert_eq!(
            sprintf_(
                "%+.1f|% .1f|%08.2f|%+08.2f",
                &[f(1.0), f(1.0), f(-3.5), f(3.5)]
            ),
            "+1.0| 1.0|-0003.50|+0003.50"
        );
        assert_eq!(
            sprintf_("%5.1f|%05v", &[f(f64::INFINITY), f(f64::NAN)]),
            " +Inf|  NaN"
        );
    }

    #[test]
    fn integer_verbs() {
        let i = Datum::Int;
        assert_eq!(
            sprintf_(
                "%d|%5d|%-5d|%05d|%+d|%x|%X|%#x|%o|%#o|%O|%b|%#b|%.3d|%c|%q|%U|%#U",
                &[
                    i(42),
                    i(42),
                    i(42),
                    i(-42),
                    i(42),
                    i(255),
                    i(255),
                    i(255),
                    i(8),
                    i(8),
                    i(8),
                    i(5),
                    i(5),
                    i(7),
                    i(0x41),
                    i(0x41),
                    i(0x1F600),
                    i(0x41)
                ]
            ),
            "42|   42|42   |-0042|+42|ff|FF|0xff|10|010|0o10|101|0b101|007|A|'A'|U+1F600|U+0041 'A'"
        );
        assert_eq!(
            sprintf_("%.0d|%d", &[i(0), Datum::Uint(u64::MAX)]),
            "|18446744073709551615"
        );
    }

    #[test]
    fn string_verbs() {
        let s = Datum::str;
        assert_eq!(
            sprintf_(
                "%s|%6s|%-6s|%.2s|%q|%+q|%#q|%x|% X|%v",
                &[
                    s("ab"),
                    s("ab"),
                    s("ab"),
                    s("héllo"),
                    s("a\"b\n"),
                    s("é"),
                    s("x"),
                    s("hi"),
                    s("hi"),
                    s("z")
                ]
            ),
            "ab|    ab|ab    |hé|\"a\\\"b\\n\"|\"\\u00e9\"|`x`|6869|68 69|z"
        );
    }

    #[test]
    fn enums_print_by_name_for_string_verbs() {
        let e = Datum::Enum {
            number: 6,
            name: Some("IPV6".into()),
        };
        assert_eq!(
            sprintf_("%v %s %d %q", &[e.clone(), e.clone(), e.clone(), e]),
            "IPV6 IPV6 6 \"IPV6\""
        );
        assert_eq!(
            v(Datum::Enum {
                number: 9,
                name: None
            }),
            "9"
        );
    }

    #[test]
    fn markers_for_wrong_or_missing_arguments() {
        assert_eq!(
            sprintf_("%d %s", &[Datum::str("x")]),
            "%!d(string=x) %!s(MISSING)"
        );
        assert_eq!(
            sprintf_("%s", &[Datum::str("a"), Datum::Int(1), Datum::Nil]),
            "a%!(EXTRA int=1, <nil>)"
        );
        assert_eq!(
            sprintf_("%t %5%|%", &[Datum::Bool(true)]),
            "true %|%!(NOVERB)"
        );
        assert_eq!(
            sprintf_(
                "%*d|%-*d|",
                &[Datum::Int(4), Datum::Int(7), Datum::Int(3), Datum::Int(1)]
            ),
            "   7|1  |"
        );
        assert_eq!(sprintf_("%!", &[]), "%!!(MISSING)");
    }

    #[test]
    fn sprint_spacing_and_composites() {
        let mut out = String::new();
        sprint(
            &mut out,
            &[
                Datum::Int(1),
                Datum::Int(2),
                Datum::str("a"),
                Datum::Int(3),
                Datum::str("b"),
                Datum::str("c"),
            ],
        )
        .unwrap();
        assert_eq!(out, "1 2a3bc");
        assert_eq!(
            v(Datum::List(vec![Datum::str("a"), Datum::Uint(2)])),
            "[a 2]"
        );
        assert_eq!(
            v(Datum::Map(vec![("k".into(), Datum::Bool(true))])),
            "map[k:true]"
        );
        assert_eq!(v(Datum::Nil), "<nil>");
    }
}
