//! The `.scap` reader on small captures written by
//! `scripts/scap_bad_inputs.py` (`tests/data/scap/`): both byte orders give
//! the same events, gzip gives what the plain file gives, the event table
//! knows the version variants, reading streams, and limits hold.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failing test is the point"
)]

use std::io::Read;

use palisade_runtime::scap::event_info::{event_count, event_info, syscall_name};
use palisade_runtime::scap::{Capture, Endian, Limits, ParamValue, ScapErrorKind};

/// Every event as text: number, direction, type, thread, shown, and each
/// parameter's decoded value.
fn dump(capture: &mut Capture<'_>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(e) = capture.next_event().unwrap() {
        let params: Vec<String> = e.params().map(|p| format!("{:?}", p.value())).collect();
        out.push(format!(
            "{} {} {} tid={} shown={} cpu={} ts={} [{}]",
            e.num,
            e.direction(),
            e.type_name(),
            e.tid,
            e.shown,
            e.cpu,
            e.ts,
            params.join(", ")
        ));
    }
    out
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/data/scap/{name}")).unwrap()
}

#[test]
fn both_byte_orders_give_the_same_events() {
    let little = data("little_endian.scap");
    let big = data("big_endian.scap");
    let mut l = Capture::from_reader("little", &little[..]).unwrap();
    let mut b = Capture::from_reader("big", &big[..]).unwrap();
    assert_eq!(l.section().endian, Endian::Little);
    assert_eq!(b.section().endian, Endian::Big);
    let (ld, bd) = (dump(&mut l), dump(&mut b));
    assert_eq!(ld, bd);
    assert_eq!(
        ld,
        [
            r#"1 > open tid=42 shown=true cpu=0 ts=1 [Str([47, 101, 116, 99, 47, 112, 97, 115, 115, 119, 100]), UInt(1), UInt(0)]"#,
            r#"2 < open tid=42 shown=true cpu=0 ts=1 [Int(3), Str([47, 101, 116, 99, 47, 112, 97, 115, 115, 119, 100]), UInt(1), UInt(0), UInt(0), UInt(7)]"#,
            "3 > procinfo tid=1 shown=false cpu=0 ts=1 [UInt(1), UInt(2)]",
        ]
    );
    assert_eq!(l.metadata().threads, b.metadata().threads);
    assert_eq!(l.metadata().threads[&42].comm, "cat");
    assert_eq!(l.metadata().machine, b.metadata().machine);
    assert_eq!(l.metadata().machine.as_ref().unwrap().hostname, "host");
}

#[test]
fn gzip_gives_what_the_plain_file_gives() {
    let plain = data("little_endian.scap");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let gz = gz.finish().unwrap();
    let from_plain = dump(&mut Capture::from_reader("plain", &plain[..]).unwrap());
    let from_gz = dump(&mut Capture::from_reader("gz", &gz[..]).unwrap());
    assert_eq!(from_plain, from_gz);
    assert_eq!(from_plain.len(), 3);
}

/// The table holds every event code of falcosecurity/libs at the commit
/// it was generated from, with the version variants of the calls rules
/// care about, and the syscall names generic events carry.
#[test]
fn the_event_table_knows_the_version_variants() {
    assert_eq!(event_count(), 454);
    let names = |code: u16| {
        let info = event_info(code).unwrap();
        (
            info.name,
            info.params
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(","),
        )
    };
    assert_eq!(names(3), ("open", "fd,name,flags,mode,dev,ino".to_owned()));
    // openat (v2 exit), execve (v19 exit, first fields), clone (v20), connect, accept (v5).
    assert_eq!(names(307).0, "openat");
    assert!(names(307).1.starts_with("fd,dirfd,name,flags,mode"));
    assert!(names(293).1.starts_with("res,exe,args,tid,pid,ptid,cwd"));
    assert_eq!(names(293).0, "execve");
    assert_eq!(names(223).0, "clone");
    assert_eq!(names(23).0, "connect");
    assert!(names(23).1.starts_with("res,tuple"));
    assert_eq!(names(247).0, "accept");
    assert!(names(247).1.starts_with("fd,tuple,queuepct"));
    assert!(event_info(234).unwrap().is_internal());
    assert!(!event_info(3).unwrap().is_internal());
    assert_eq!(syscall_name(296), Some("arch_prctl"));
    assert_eq!(syscall_name(164), Some("exit_group"));
    assert_eq!(syscall_name(0), None);
    assert!(event_info(454).is_none());
}

/// A reader that counts what was taken from it.
struct Counting<'a> {
    inner: &'a [u8],
    taken: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.set(self.taken.get() + n);
        Ok(n)
    }
}

/// Reading streams: after the first event of a capture of 200 000 events
/// (several MiB), at most the reader's buffer has been taken from the input.
#[test]
fn reading_streams_in_constant_memory() {
    // The capture's three event blocks (after its metadata), repeated.
    let one = data("little_endian.scap");
    let mut big = one.clone();
    let events_start = {
        // Find the first event block (type 0x216) after the metadata.
        let mut at = 0;
        loop {
            let t = u32::from_le_bytes(big[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(big[at + 4..at + 8].try_into().unwrap()) as usize;
            if t == 0x216 {
                break at;
            }
            at += len;
        }
    };
    let events = one[events_start..].to_vec();
    for _ in 0..66_666 {
        big.extend_from_slice(&events);
    }
    let taken = std::rc::Rc::new(std::cell::Cell::new(0));
    let reader = Counting {
        inner: &big,
        taken: taken.clone(),
    };
    let mut capture = Capture::from_reader("big", reader).unwrap();
    capture.next_event().unwrap().unwrap();
    assert!(big.len() > 10 << 20, "{}", big.len());
    assert!(taken.get() <= 128 << 10, "took {} bytes", taken.get());
    let mut n = 1;
    while capture.next_event().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3 + 66_666 * 3);
    assert_eq!(taken.get(), big.len());
}

/// A block larger than the limit is refused before it is read.
#[test]
fn the_block_limit_holds() {
    let little = data("little_endian.scap");
    let err =
        Capture::with_limits("small", &little[..], Limits { max_block_len: 100 }).unwrap_err();
    assert!(
        matches!(
            err.kind,
            ScapErrorKind::BlockTooLong {
                block_type: 0x201,
                limit: 100,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.offset, 28);
}

/// Parameters decode by type: the open exit's fd is a signed integer, its
/// name a string without the NUL.
#[test]
fn parameters_decode_by_type() {
    let little = data("little_endian.scap");
    let mut capture = Capture::from_reader("x", &little[..]).unwrap();
    capture.next_event().unwrap();
    let e = capture.next_event().unwrap().unwrap();
    assert_eq!(e.param_named("fd").unwrap().value(), ParamValue::Int(3));
    assert_eq!(
        e.param_named("name").unwrap().value(),
        ParamValue::Str(b"/etc/passwd")
    );
    assert_eq!(e.param_named("ino").unwrap().value(), ParamValue::UInt(7));
    assert_eq!(e.param_count(), 6);
    assert!(e.param(6).is_none());
}
