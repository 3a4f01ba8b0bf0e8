//! CPU affinity: parsing `taskset`-style masks and lists, and pinning with
//! `sched_setaffinity(2)`.

use std::fmt::Write as _;
use std::time::Duration;

use nix::sched::{CpuSet, sched_setaffinity};
use nix::unistd::Pid;

use crate::error::ExecError;

/// The CPUs a process may run on, and how long after its start to pin it.
///
/// Built from a hexadecimal mask (`"0x5"`, `"5"`: CPUs 0 and 2, as `taskset` reads it) or a
/// list (`"0-2,6"`). The process is pinned with `sched_setaffinity(2)` right after it
/// starts, or after the delay (for programs that must set up their own threads first).
/// Only the main thread is pinned; threads it creates afterwards inherit the mask.
///
/// # Examples
/// ```
/// use cninfra_exec::CpuAffinity;
///
/// assert_eq!(CpuAffinity::from_mask("0x5")?.cpus(), [0, 2]);
/// assert_eq!(CpuAffinity::from_list("0-2,6")?.cpus(), [0, 1, 2, 6]);
/// assert!(CpuAffinity::from_mask("0xZZ").is_err());
/// # Ok::<(), cninfra_exec::ExecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuAffinity {
    cpus: Vec<usize>,
    delay: Duration,
}

impl CpuAffinity {
    /// Parses a hexadecimal CPU mask, with or without `0x` (bit n is CPU n).
    ///
    /// # Errors
    /// [`ExecError::InvalidAffinity`] naming the mask when it is not hexadecimal, selects no
    /// CPU, or names a CPU the kernel cannot address.
    pub fn from_mask(mask: &str) -> Result<Self, ExecError> {
        let invalid = |reason: &str| ExecError::InvalidAffinity {
            value: mask.to_owned(),
            reason: reason.to_owned(),
        };
        let digits = mask.trim();
        let digits = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(digits);
        if digits.is_empty() {
            return Err(invalid("empty mask"));
        }
        let mut cpus = Vec::new();
        for (position, digit) in digits.bytes().rev().enumerate() {
            let value = char::from(digit)
                .to_digit(16)
                .ok_or_else(|| invalid("not a hexadecimal mask"))?;
            for bit in 0..4 {
                if value & (1 << bit) != 0 {
                    cpus.push(position * 4 + bit);
                }
            }
        }
        Self::from_cpus(cpus).map_err(|_| invalid("selects no CPU, or a CPU beyond the limit"))
    }

    /// Parses a CPU list such as `0-2,6` (ranges and single CPUs, comma-separated).
    ///
    /// # Errors
    /// [`ExecError::InvalidAffinity`] naming the list when it does not parse, a range runs
    /// backwards, or it selects no CPU.
    pub fn from_list(list: &str) -> Result<Self, ExecError> {
        let invalid = |reason: String| ExecError::InvalidAffinity {
            value: list.to_owned(),
            reason,
        };
        let parse = |text: &str| {
            text.trim()
                .parse::<usize>()
                .map_err(|_| invalid(format!("{text:?} is not a CPU number")))
        };
        let mut cpus = Vec::new();
        for part in list.split(',').filter(|part| !part.trim().is_empty()) {
            match part.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (parse(first)?, parse(last)?);
                    if first > last {
                        return Err(invalid(format!("range {part:?} runs backwards")));
                    }
                    if last >= CpuSet::count() {
                        return Err(invalid(format!("CPU {last} is beyond the limit")));
                    }
                    cpus.extend(first..=last);
                }
                None => cpus.push(parse(part)?),
            }
        }
        Self::from_cpus(cpus).map_err(|err| match err {
            ExecError::InvalidAffinity { reason, .. } => invalid(reason),
            other => other,
        })
    }

    /// Pins to these CPU numbers.
    ///
    /// # Errors
    /// [`ExecError::InvalidAffinity`] when the set is empty or names a CPU the kernel cannot
    /// address.
    pub fn from_cpus(cpus: impl IntoIterator<Item = usize>) -> Result<Self, ExecError> {
        let mut cpus: Vec<usize> = cpus.into_iter().collect();
        cpus.sort_unstable();
        cpus.dedup();
        let described = list_of(&cpus);
        if cpus.is_empty() {
            return Err(ExecError::InvalidAffinity {
                value: described,
                reason: "selects no CPU".to_owned(),
            });
        }
        if cpus.last().is_some_and(|&last| last >= CpuSet::count()) {
            return Err(ExecError::InvalidAffinity {
                value: described,
                reason: format!("CPU numbers must be below {}", CpuSet::count()),
            });
        }
        Ok(Self {
            cpus,
            delay: Duration::ZERO,
        })
    }

    /// The affinity of config and template files: a mask or a list (not both; empty
    /// strings mean unset) and a delay. `None` when neither is set.
    ///
    /// # Errors
    /// [`ExecError::InvalidAffinity`] for a bad mask or list, or when both are given.
    pub fn from_config(mask: &str, list: &str, delay: Duration) -> Result<Option<Self>, ExecError> {
        let affinity = match (mask.trim(), list.trim()) {
            ("", "") => return Ok(None),
            (mask, "") => Self::from_mask(mask)?,
            ("", list) => Self::from_list(list)?,
            (mask, list) => {
                return Err(ExecError::InvalidAffinity {
                    value: format!("mask {mask:?} and list {list:?}"),
                    reason: "give either a mask or a list, not both".to_owned(),
                });
            }
        };
        Ok(Some(affinity.with_delay(delay)))
    }

    /// Pins only after this delay from the start.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The CPUs, ascending.
    pub fn cpus(&self) -> &[usize] {
        &self.cpus
    }

    /// The delay after start.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// The CPUs as a list (`0-2,6`), as `/proc/<pid>/status` shows in `Cpus_allowed_list`.
    pub fn to_list(&self) -> String {
        list_of(&self.cpus)
    }

    /// Pins process (or thread) `pid` to the CPUs.
    ///
    /// # Errors
    /// [`ExecError::Affinity`] with the kernel's answer (no such process, no listed CPU
    /// online, not permitted).
    pub fn apply(&self, pid: u32) -> Result<(), ExecError> {
        let fail = |source| ExecError::Affinity {
            pid,
            cpus: self.to_list(),
            source,
        };
        let mut set = CpuSet::new();
        for &cpu in &self.cpus {
            set.set(cpu).map_err(fail)?;
        }
        let raw = i32::try_from(pid).map_err(|_| fail(nix::Error::ESRCH))?;
        sched_setaffinity(Pid::from_raw(raw), &set).map_err(fail)
    }

    /// Pins every thread of this process (the supervisor's own `sv-cpu-affinity-mask`);
    /// threads started later inherit the mask of the thread that starts them.
    ///
    /// # Errors
    /// [`ExecError::Affinity`] for the first thread the kernel refuses.
    pub fn apply_to_current_process(&self) -> Result<(), ExecError> {
        let tasks = std::fs::read_dir("/proc/self/task").map_err(|err| ExecError::Affinity {
            pid: std::process::id(),
            cpus: self.to_list(),
            source: nix::Error::from_raw(err.raw_os_error().unwrap_or(0)),
        })?;
        for task in tasks.flatten() {
            if let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) {
                match self.apply(tid) {
                    // A thread that ended since the folder was listed.
                    Err(ExecError::Affinity {
                        source: nix::Error::ESRCH,
                        ..
                    }) => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }
}

/// Reads a CPU mask written as text or, in YAML, as a bare number (`cpu-affinity-mask: 4`,
/// as in upstream's sample). A number keeps its decimal digits, which are then read as hex,
/// as upstream does; quote masks such as `"0x1f"`, which YAML would otherwise turn into 31.
pub(crate) fn deserialize_mask<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    struct MaskVisitor;

    impl serde::de::Visitor<'_> for MaskVisitor {
        type Value = String;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a hexadecimal CPU mask such as \"0x3\"")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Err(E::custom(format_args!("invalid CPU mask {v}: negative")))
        }
    }

    deserializer.deserialize_any(MaskVisitor)
}

/// `[0, 1, 2, 6]` → `0-2,6`.
fn list_of(cpus: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        let mut end = start;
        while i + 1 < cpus.len() && cpus[i + 1] == end + 1 {
            i += 1;
            end = cpus[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_lists_give_the_same_cpus() {
        assert_eq!(CpuAffinity::from_mask("4").unwrap().cpus(), [2]);
        assert_eq!(
            CpuAffinity::from_mask("0x1F0").unwrap().cpus(),
            [4, 5, 6, 7, 8]
        );
        assert_eq!(
            CpuAffinity::from_mask("0x1F0").unwrap(),
            CpuAffinity::from_list("4-8").unwrap()
        );
        assert_eq!(CpuAffinity::from_list("3, 1,1-2").unwrap().to_list(), "1-3");
        assert_eq!(
            CpuAffinity::from_list("0-2,6,8-9").unwrap().to_list(),
            "0-2,6,8-9"
        );
    }

    #[test]
    fn bad_masks_and_lists_are_named_in_the_error() {
        for (bad, expect) in [
            ("0xg1", "not a hexadecimal mask"),
            ("0", "selects no CPU"),
            ("", "empty mask"),
        ] {
            let err = CpuAffinity::from_mask(bad).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{bad:?}")) && err.contains(expect),
                "{err}"
            );
        }
        for (bad, expect) in [
            ("3-1", "runs backwards"),
            ("a", "\"a\" is not a CPU number"),
            ("1-100000", "beyond the limit"),
            (",", "selects no CPU"),
        ] {
            let err = CpuAffinity::from_list(bad).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{bad:?}")) && err.contains(expect),
                "{err}"
            );
        }
        let err = CpuAffinity::from_config("1", "0", Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
        assert_eq!(
            CpuAffinity::from_config("", " ", Duration::ZERO).unwrap(),
            None
        );
    }

    #[test]
    fn long_masks_beyond_the_kernel_limit_are_rejected() {
        let mask = format!("1{}", "0".repeat(300));
        let err = CpuAffinity::from_mask(&mask).unwrap_err().to_string();
        assert!(err.contains("beyond the limit"), "{err}");
    }
}
