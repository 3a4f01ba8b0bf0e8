//! A minimal Redis client for the Redis harnesses: one command per connection, each step
//! with a time limit, the reply as text. Enough to ask a node or a sentinel how it is (the
//! harness does not depend on a Redis client library).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::ServerProcess;

/// How long connecting, sending and each read of a reply may take.
const LIMIT: Duration = Duration::from_secs(2);

/// A reply, flattened: strings, numbers and errors as text, arrays as their items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A simple string, bulk string or integer, as text.
    Text(String),
    /// A null bulk string or array.
    Nil,
    /// An error reply.
    Error(String),
    /// An array.
    Array(Vec<Reply>),
}

impl Reply {
    /// The text of a string reply; empty for anything else.
    pub(crate) fn text(&self) -> &str {
        match self {
            Self::Text(text) => text,
            _ => "",
        }
    }

    /// The items of an array reply; empty for anything else.
    pub(crate) fn items(&self) -> &[Reply] {
        match self {
            Self::Array(items) => items,
            _ => &[],
        }
    }
}

/// Sends `args` to the server on `127.0.0.1:port` and reads its reply.
pub(crate) fn command(port: u16, args: &[&str]) -> std::io::Result<Reply> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, LIMIT)?;
    stream.set_read_timeout(Some(LIMIT))?;
    stream.set_write_timeout(Some(LIMIT))?;
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    stream.write_all(&request)?;
    read_reply(&mut BufReader::new(stream))
}

/// The text of `args`'s reply on `port`; empty when the server does not answer or answers
/// with anything but a string.
pub(crate) fn text(port: u16, args: &[&str]) -> String {
    command(port, args)
        .map(|reply| reply.text().to_owned())
        .unwrap_or_default()
}

/// The value of `field` in an `INFO`-style text (`field:value` lines).
pub(crate) fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        line.trim()
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
    })
}

/// Waits until the process answers `PING` (within 10 s).
pub(crate) fn wait_answers(process: &mut ServerProcess) {
    process.wait_ready(Duration::from_secs(10), |port| {
        text(port, &["PING"]) == "PONG"
    });
}

fn read_reply(reader: &mut impl BufRead) -> std::io::Result<Reply> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']);
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, line.to_owned());
    let (kind, rest) = line.split_at_checked(1).ok_or_else(bad)?;
    match kind {
        "+" | ":" => Ok(Reply::Text(rest.to_owned())),
        "-" => Ok(Reply::Error(rest.to_owned())),
        "$" => {
            let Ok(len) = usize::try_from(rest.parse::<i64>().map_err(|_| bad())?) else {
                return Ok(Reply::Nil);
            };
            let mut data = vec![0; len + 2];
            reader.read_exact(&mut data)?;
            data.truncate(len);
            Ok(Reply::Text(String::from_utf8_lossy(&data).into_owned()))
        }
        "*" => {
            let Ok(len) = usize::try_from(rest.parse::<i64>().map_err(|_| bad())?) else {
                return Ok(Reply::Nil);
            };
            (0..len)
                .map(|_| read_reply(reader))
                .collect::<Result<_, _>>()
                .map(Reply::Array)
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_parsed() {
        let mut input: &[u8] = b"*3\r\n$5\r\nhello\r\n:42\r\n*-1\r\n";
        assert_eq!(
            read_reply(&mut input).unwrap(),
            Reply::Array(vec![
                Reply::Text("hello".into()),
                Reply::Text("42".into()),
                Reply::Nil
            ])
        );
        let mut input: &[u8] = b"-ERR no\r\n";
        assert_eq!(
            read_reply(&mut input).unwrap(),
            Reply::Error("ERR no".into())
        );
        assert_eq!(info_field("# x\r\nrole:master\r\n", "role"), Some("master"));
    }
}
