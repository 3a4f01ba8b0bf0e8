//! Floats as Go's `strconv.FormatFloat` writes them (`'g'`, `'e'`, `'f'`), from the digits
//! Rust's exact formatting gives.

use std::fmt::Write as _;

/// Decimal digits of a float's magnitude and the decimal point's place: the value is
/// `0.d₁d₂… × 10^point`. Zero has no digits.
struct Decimal {
    digits: Vec<u8>,
    point: i32,
}

impl Decimal {
    /// The shortest digits that read back as `a` (`sig` = None), or `a` rounded to `sig`
    /// significant digits; trailing zeros dropped, as Go's `strconv` keeps them.
    fn of(a: f64, sig: Option<usize>) -> Decimal {
        if a == 0.0 {
            return Decimal {
                digits: Vec::new(),
                point: 0,
            };
        }
        let text = match sig {
            None => format!("{a:e}"),
            Some(n) => format!("{a:.*e}", n.max(1) - 1),
        };
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while digits.len() > 1 && digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal {
            digits,
            point: exp.parse::<i32>().unwrap_or(0) + 1,
        }
    }

    fn len(&self) -> i32 {
        i32::try_from(self.digits.len()).unwrap_or(i32::MAX)
    }

    /// Go's `fmtE` with `prec` digits after the point.
    fn write_e(&self, s: &mut String, prec: i32, upper: bool) {
        s.push(self.digits.first().map_or('0', |&d| char::from(d)));
        if prec > 0 {
            s.push('.');
            for i in 1..=prec {
                let d = usize::try_from(i).ok().and_then(|i| self.digits.get(i));
                s.push(d.map_or('0', |&d| char::from(d)));
            }
        }
        s.push(if upper { 'E' } else { 'e' });
        let exp = if self.digits.is_empty() {
            0
        } else {
            self.point - 1
        };
        let _ = write!(
            s,
            "{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }

    /// Go's `fmtF` with `prec` digits after the point.
    fn write_f(&self, s: &mut String, prec: i32) {
        let digit = |j: i32| {
            usize::try_from(j)
                .ok()
                .and_then(|j| self.digits.get(j))
                .map_or('0', |&d| char::from(d))
        };
        if self.point > 0 {
            (0..self.point).for_each(|j| s.push(digit(j)));
        } else {
            s.push('0');
        }
        if prec > 0 {
            s.push('.');
            (1..=prec).for_each(|i| s.push(digit(self.point + i - 1)));
        }
    }
}

/// `strconv.FormatFloat` specials: `NaN`, `+Inf`, `-Inf`.
fn special(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

fn sign_of(f: f64) -> String {
    if f.is_sign_negative() {
        "-".into()
    } else {
        String::new()
    }
}

/// `strconv.FormatFloat(f, 'g', prec, 64)` (`prec` None: shortest, as `%v` prints).
pub(super) fn format_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let d = Decimal::of(f.abs(), prec.map(|p| p.max(1)));
    let mut p = match prec {
        None => d.len(),
        Some(p) => i32::try_from(p.max(1)).unwrap_or(i32::MAX),
    };
    let mut eprec = p;
    if eprec > d.len() && d.len() >= d.point {
        eprec = d.len();
    }
    // With the shortest digits, the %e-or-%f decision uses precision 6.
    if prec.is_none() {
        eprec = 6;
    }
    let exp = d.point - 1;
    let mut s = sign_of(f);
    if exp < -4 || exp >= eprec {
        p = p.min(d.len());
        d.write_e(&mut s, p - 1, upper);
    } else {
        if p > d.point {
            p = d.len();
        }
        d.write_f(&mut s, (p - d.point).max(0));
    }
    s
}

/// `strconv.FormatFloat(f, 'e', prec, 64)`.
pub(super) fn format_e(f: f64, prec: usize, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let d = Decimal::of(f.abs(), Some(prec + 1));
    let mut s = sign_of(f);
    d.write_e(&mut s, i32::try_from(prec).unwrap_or(i32::MAX), upper);
    s
}

/// `strconv.FormatFloat(f, 'f', prec, 64)`.
pub(super) fn format_f(f: f64, prec: usize) -> String {
    special(f).unwrap_or_else(|| format!("{}{:.*}", sign_of(f), prec, f.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::data::widen_f32;

    #[test]
    fn shortest_g_as_go_v() {
        // Expectations from Go's fmt.Sprint.
        for (f, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (1e-300, "1e-300"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_g(f, None, false), want, "{f}");
        }
        assert_eq!(format_g(widen_f32(0.1), None, false), "0.1");
    }
}
