//! Functions: Go's builtins (`and`, `eq`, `len`, `printf`, …) and upstream's helpers
//! (`ip`, `protoip`, `ipnet`, `field`, from vpp-agent's `pkg/models/options.go`).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::data::Datum;
use super::gofmt;

/// A function a template can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    And,
    Or,
    Not,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Len,
    Print,
    Printf,
    Println,
    Ip,
    ProtoIp,
    IpNet,
    Field,
}

/// Why a name is not a function.
pub(super) enum UnknownFunc {
    /// A Go builtin name templates do not implement.
    Unsupported,
    /// Not a function at all.
    Undefined,
}

const FUNCS: [(&str, Func); 17] = [
    ("and", Func::And),
    ("or", Func::Or),
    ("not", Func::Not),
    ("eq", Func::Eq),
    ("ne", Func::Ne),
    ("lt", Func::Lt),
    ("le", Func::Le),
    ("gt", Func::Gt),
    ("ge", Func::Ge),
    ("len", Func::Len),
    ("print", Func::Print),
    ("printf", Func::Printf),
    ("println", Func::Println),
    ("ip", Func::Ip),
    ("protoip", Func::ProtoIp),
    ("ipnet", Func::IpNet),
    ("field", Func::Field),
];

impl Func {
    /// The function called `name`.
    pub(super) fn lookup(name: &str) -> Result<Func, UnknownFunc> {
        match FUNCS.iter().find(|(n, _)| *n == name) {
            Some((_, func)) => Ok(*func),
            None if matches!(
                name,
                "call" | "html" | "index" | "slice" | "js" | "urlquery"
            ) =>
            {
                Err(UnknownFunc::Unsupported)
            }
            None => Err(UnknownFunc::Undefined),
        }
    }

    /// Its name in templates.
    pub(super) fn name(self) -> &'static str {
        FUNCS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// Checks the number of arguments, with Go's message when it is wrong.
    pub(super) fn check_arity(self, got: usize) -> Result<(), String> {
        let (min, max) = match self {
            Func::And | Func::Or | Func::Printf => (1, None),
            Func::Eq => (2, None),
            Func::Print | Func::Println => (0, None),
            Func::Not | Func::Len | Func::Ip | Func::ProtoIp | Func::IpNet => (1, Some(1)),
            Func::Ne | Func::Lt | Func::Le | Func::Gt | Func::Ge | Func::Field => (2, Some(2)),
        };
        let name = self.name();
        match max {
            Some(max) if got != max => Err(format!(
                "wrong number of args for {name}: want {max} got {got}"
            )),
            None if got < min => Err(format!(
                "wrong number of args for {name}: want at least {min} got {got}"
            )),
            _ => Ok(()),
        }
    }
}

/// Calls `func` on its evaluated arguments, whose number the parser has checked (the
/// arguments are taken: `and`/`or` return one of them). The evaluator runs `and`/`or`
/// itself, evaluating arguments only as far as needed.
pub(super) fn apply<'v>(func: Func, args: &mut [Datum<'v>]) -> Result<Datum<'v>, String> {
    Ok(match func {
        Func::Print | Func::Printf | Func::Println => {
            let mut text = String::new();
            print_into(func, args, &mut text)?;
            Datum::Str(Cow::Owned(text))
        }
        Func::And | Func::Or => {
            // The first argument that decides (false for and, true for or), else the last.
            let decides = func == Func::Or;
            let at = args
                .iter()
                .position(|arg| arg.is_true() == decides)
                .unwrap_or(args.len() - 1);
            std::mem::replace(&mut args[at], Datum::Nil)
        }
        Func::Not => Datum::Bool(!args[0].is_true()),
        Func::Eq => Datum::Bool(eq(&args[0], &args[1..])?),
        Func::Ne => Datum::Bool(!eq(&args[0], &args[1..])?),
        Func::Lt => Datum::Bool(lt(&args[0], &args[1])?),
        Func::Le => Datum::Bool(lt(&args[0], &args[1])? || eq(&args[0], &args[1..])?),
        Func::Gt => Datum::Bool(!(lt(&args[0], &args[1])? || eq(&args[0], &args[1..])?)),
        Func::Ge => Datum::Bool(!lt(&args[0], &args[1])?),
        Func::Len => len(&args[0])?,
        Func::Ip => {
            Datum::Str(ip(string_arg(&args[0])?).map_or(Cow::Borrowed(INVALID), Cow::Owned))
        }
        Func::ProtoIp => Datum::str(protoip(string_arg(&args[0])?)),
        Func::IpNet => ipnet(string_arg(&args[0])?),
        Func::Field => field(&args[0], &args[1])?,
    })
}

/// Runs `print`, `printf` or `println` writing to `out` (a template prints their text
/// without a copy); false for other functions.
pub(super) fn print_into(func: Func, args: &[Datum<'_>], out: &mut String) -> Result<bool, String> {
    match func {
        Func::Print => gofmt::sprint(out, args)?,
        Func::Println => gofmt::sprintln(out, args)?,
        Func::Printf => {
            let Datum::Str(format) = &args[0] else {
                return Err(wrong_type("string", &args[0]));
            };
            gofmt::sprintf(out, format, &args[1..])?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn wrong_type(want: &str, got: &Datum<'_>) -> String {
    format!(
        "wrong type for value; expected {want}; got {}",
        got.go_type()
    )
}

fn string_arg<'a>(d: &'a Datum<'_>) -> Result<&'a str, String> {
    match d {
        Datum::Str(s) => Ok(s),
        other => Err(wrong_type("string", other)),
    }
}

// ===== comparisons =====

/// Go's "basic kind" of a value for comparisons (an enum is an `int32`).
enum Basic<'a> {
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
    Nil,
    Other,
}

fn basic<'a>(d: &'a Datum<'_>) -> Basic<'a> {
    match d {
        Datum::Nil => Basic::Nil,
        Datum::Bool(b) => Basic::Bool(*b),
        Datum::Int(i) => Basic::Int(*i),
        Datum::Uint(u) => Basic::Uint(*u),
        Datum::Enum { number, .. } => Basic::Int(i64::from(*number)),
        Datum::Float(f) => Basic::Float(*f),
        Datum::Str(s) => Basic::Str(s),
        Datum::List(_) | Datum::Map(_) | Datum::Message(_) => Basic::Other,
    }
}

const INCOMPATIBLE: &str = "incompatible types for comparison";
const INVALID_TYPE: &str = "invalid type for comparison";

/// Go's `eq arg1 arg2 …`: whether `a` equals any of `others`.
fn eq(a: &Datum<'_>, others: &[Datum<'_>]) -> Result<bool, String> {
    for b in others {
        let truth = match (basic(a), basic(b)) {
            (Basic::Bool(x), Basic::Bool(y)) => x == y,
            (Basic::Int(x), Basic::Int(y)) => x == y,
            (Basic::Uint(x), Basic::Uint(y)) => x == y,
            (Basic::Int(x), Basic::Uint(y)) | (Basic::Uint(y), Basic::Int(x)) => {
                u64::try_from(x) == Ok(y)
            }
            (Basic::Float(x), Basic::Float(y)) => x == y,
            (Basic::Str(x), Basic::Str(y)) => x == y,
            (Basic::Nil, Basic::Nil) => true,
            (Basic::Nil, _) | (_, Basic::Nil) => false,
            (Basic::Other, Basic::Other) => match (a, b) {
                (Datum::Message(x), Datum::Message(y)) => x == y,
                _ => {
                    return Err(format!(
                        "non-comparable types {}, {}",
                        a.go_type(),
                        b.go_type()
                    ));
                }
            },
            _ => return Err(INCOMPATIBLE.to_owned()),
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt a b`.
fn lt(a: &Datum<'_>, b: &Datum<'_>) -> Result<bool, String> {
    Ok(match (basic(a), basic(b)) {
        (Basic::Int(x), Basic::Int(y)) => x < y,
        (Basic::Uint(x), Basic::Uint(y)) => x < y,
        (Basic::Int(x), Basic::Uint(y)) => u64::try_from(x).map_or(true, |x| x < y),
        (Basic::Uint(x), Basic::Int(y)) => u64::try_from(y).is_ok_and(|y| x < y),
        (Basic::Float(x), Basic::Float(y)) => x < y,
        (Basic::Str(x), Basic::Str(y)) => x < y,
        (Basic::Bool(_) | Basic::Nil | Basic::Other, _)
        | (_, Basic::Bool(_) | Basic::Nil | Basic::Other) => {
            return Err(INVALID_TYPE.to_owned());
        }
        _ => return Err(INCOMPATIBLE.to_owned()),
    })
}

fn len(d: &Datum<'_>) -> Result<Datum<'static>, String> {
    let n = match d {
        Datum::Str(s) => s.len(),
        Datum::List(items) => items.len(),
        Datum::Map(entries) => entries.len(),
        Datum::Nil => return Err("len of nil pointer".to_owned()),
        other => return Err(format!("len of type {}", other.go_type())),
    };
    Ok(Datum::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

// ===== upstream's helpers =====

/// What upstream's helpers print for an address that does not parse.
const INVALID: &str = "<invalid>";

/// Go's `net.ParseIP` (no zones; IPv4 octets without leading zeros).
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// Go's `net.IP.String()`: an IPv4-mapped IPv6 address prints as IPv4.
fn go_ip_string(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// `ip`: the address in canonical form, or `None` when it does not parse.
fn ip(s: &str) -> Option<String> {
    parse_ip(s).map(go_ip_string)
}

/// `protoip`: `IPv4` (also for an IPv4-mapped IPv6 address), `IPv6` or `<invalid>`.
fn protoip(s: &str) -> &'static str {
    match parse_ip(s) {
        None => INVALID,
        Some(IpAddr::V4(_)) => "IPv4",
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => "IPv4",
        Some(IpAddr::V6(_)) => "IPv6",
    }
}

/// `ipnet`: `{IP, MaskSize, AllocRef}` of a CIDR network (the address masked to the
/// network, as `net.ParseCIDR` gives it); an empty map (Go's nil map: false in `with`) for a
/// netalloc reference `alloc:…`; `<invalid>` and 0 when it does not parse.
fn ipnet(s: &str) -> Datum<'static> {
    if s.starts_with("alloc:") {
        return Datum::Map(Vec::new());
    }
    let (ip, mask) = parse_cidr(s).unwrap_or_else(|| (INVALID.to_owned(), 0));
    Datum::Map(vec![
        (Cow::Borrowed("AllocRef"), Datum::str("")),
        (Cow::Borrowed("IP"), Datum::Str(Cow::Owned(ip))),
        (Cow::Borrowed("MaskSize"), Datum::Int(i64::from(mask))),
    ])
}

/// Go's `net.ParseCIDR`: the network address (as `IP.String()` prints it) and the prefix
/// length.
fn parse_cidr(s: &str) -> Option<(String, u8)> {
    let (addr, mask) = s.split_once('/')?;
    let ip = parse_ip(addr)?;
    if mask.is_empty() || !mask.bytes().all(|b| b.is_ascii_digit()) || mask.len() > 8 {
        return None;
    }
    let bits: u32 = mask.parse().ok()?;
    let network = match ip {
        IpAddr::V4(v4) if bits <= 32 => {
            let keep = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & keep))
        }
        IpAddr::V6(v6) if bits <= 128 => {
            let keep = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & keep))
        }
        _ => return None,
    };
    Some((go_ip_string(network), u8::try_from(bits).ok()?))
}

/// `field . N`: field number `N` of the message, printed as protoreflect's
/// `Value.String()` does (an enum by number); `<invalid>` when there is no such field.
fn field<'v>(message: &Datum<'v>, number: &Datum<'_>) -> Result<Datum<'v>, String> {
    let Datum::Message(m) = message else {
        return Err(wrong_type("proto.Message", message));
    };
    let number = match *number {
        Datum::Int(i) => u32::try_from(i).ok(),
        Datum::Uint(u) => u32::try_from(u).ok(),
        Datum::Float(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => {
            Some(f as u32)
        }
        ref other => return Err(wrong_type("protoreflect.FieldNumber", other)),
    };
    let Some(value) = number.and_then(|n| m.0.field_by_number(n)) else {
        return Ok(Datum::str(INVALID));
    };
    let value = match value {
        Datum::Str(s) => return Ok(Datum::Str(s)),
        Datum::Enum { number, .. } => Datum::Int(i64::from(number)),
        other => other,
    };
    let mut out = String::new();
    gofmt::write_value(&mut out, &value)?;
    Ok(Datum::Str(Cow::Owned(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_get<'a>(d: &'a Datum<'_>, key: &str) -> &'a Datum<'a> {
        let Datum::Map(entries) = d else {
            panic!("{d:?}")
        };
        &entries.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn ipnet_masks_and_canonicalises() {
        let n = ipnet("10.10.0.5/24");
        assert_eq!(map_get(&n, "IP"), &Datum::str("10.10.0.0"));
        assert_eq!(map_get(&n, "MaskSize"), &Datum::Int(24));
        assert_eq!(map_get(&n, "AllocRef"), &Datum::str(""));
        let n = ipnet("2001:DB8::0001/32");
        assert_eq!(map_get(&n, "IP"), &Datum::str("2001:db8::"));
        // An IPv4-mapped network prints as IPv4, with the IPv6 prefix length (as Go).
        let n = ipnet("::ffff:1.2.3.4/120");
        assert_eq!(map_get(&n, "IP"), &Datum::str("1.2.3.0"));
        assert_eq!(map_get(&n, "MaskSize"), &Datum::Int(120));
        for bad in [
            "INVALID",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "010.0.0.0/8",
            "fe80::1%eth0/64",
        ] {
            let n = ipnet(bad);
            assert_eq!(map_get(&n, "IP"), &Datum::str(INVALID), "{bad}");
            assert_eq!(map_get(&n, "MaskSize"), &Datum::Int(0), "{bad}");
        }
        assert_eq!(ipnet("10.0.0.0/0"), ipnet("1.2.3.4/00"));
        assert_eq!(ipnet("alloc:net1/memif2"), Datum::Map(Vec::new()));
    }

    #[test]
    fn ip_and_protoip() {
        assert_eq!(ip("2001:DB8:0:0:0:0:0:1").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("::ffff:10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(ip("10.0.0.256"), None);
        assert_eq!(protoip("10.0.0.1"), "IPv4");
        assert_eq!(protoip("::ffff:10.0.0.1"), "IPv4");
        assert_eq!(protoip("fe80::1"), "IPv6");
        assert_eq!(protoip("fe80::1%eth0"), INVALID);
        assert_eq!(protoip(""), INVALID);
    }

    #[test]
    fn comparisons_follow_go() {
        let s = Datum::str;
        assert_eq!(eq(&s("a"), &[s("b"), s("a")]), Ok(true));
        assert_eq!(eq(&Datum::Int(3), &[Datum::Uint(3)]), Ok(true));
        assert_eq!(eq(&Datum::Int(-1), &[Datum::Uint(u64::MAX)]), Ok(false));
        let action = Datum::Enum {
            number: 1,
            name: Some("DROP".into()),
        };
        assert_eq!(eq(&action, &[Datum::Int(1)]), Ok(true));
        assert_eq!(eq(&Datum::Nil, &[s("")]), Ok(false));
        assert_eq!(eq(&s("1"), &[Datum::Int(1)]), Err(INCOMPATIBLE.to_owned()));
        assert_eq!(lt(&Datum::Int(-1), &Datum::Uint(0)), Ok(true));
        assert_eq!(lt(&s("a"), &s("b")), Ok(true));
        assert_eq!(
            lt(&Datum::Bool(false), &Datum::Bool(true)),
            Err(INVALID_TYPE.to_owned())
        );
        assert_eq!(
            lt(&Datum::Int(1), &Datum::Float(2.0)),
            Err(INCOMPATIBLE.to_owned())
        );
        assert_eq!(len(&s("héllo")), Ok(Datum::Int(6)));
        assert!(len(&Datum::Int(1)).is_err());
    }
}
