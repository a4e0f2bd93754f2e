//! The network part of `palisade demo`: the example cluster's connectivity
//! matrix and one explained denial.

use palisade::network::ConnList;
use palisade::network::Flow;
use palisade::network::Protocol;
use palisade::network::{Issues, Resolver};
use serde::Serialize;

use super::check;
use crate::exit::Exit;
use crate::output::{Output, Style};

/// The example cluster (the same file `palisade demo` lists).
const CLUSTER: &str = include_str!("../../../../examples/data/cluster.yaml");

#[derive(Serialize)]
struct DemoJson {
    connections: Vec<palisade::network::Connection>,
    denial: check::CheckJson,
}

/// Runs the network demo.
pub fn run(out: &Output) -> Exit {
    let report = palisade::manifest::load_str("examples/data/cluster.yaml", CLUSTER);
    if !report.is_ok() {
        for e in &report.errors {
            out.error(&e.to_string());
        }
        return Exit::InputError;
    }
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    super::load::report_issues(out, &issues);
    let list = ConnList::new(&resolver);
    let (Some(web), Some(db)) = (resolver.flow_end("shop/web"), resolver.flow_end("data/db"))
    else {
        out.error("the example cluster lacks `shop/web` or `data/db`");
        return Exit::InputError;
    };
    let denial = resolver.check(&Flow {
        src: web,
        dst: db,
        protocol: Protocol::Tcp,
        port: 5432,
    });
    if out.json() {
        out.print_json(&DemoJson {
            connections: list.connections.clone(),
            denial: check::json(&denial),
        });
        return Exit::Ok;
    }
    out.line("");
    out.line(&out.paint(Style::Bold, "Network: who may connect to whom"));
    let inventory = &resolver.catalog().inventory;
    let names: Vec<String> = inventory
        .endpoints
        .iter()
        .map(ToString::to_string)
        .collect();
    let cell = |src: &str, dst: &str| -> String {
        if src == dst {
            return "(self)".to_owned();
        }
        list.connections
            .iter()
            .find(|c| c.src == src && c.dst == dst)
            .map_or_else(|| "-".to_owned(), |c| c.conn.clone())
    };
    let first = names.iter().map(String::len).max().unwrap_or(0).max(9);
    let widths: Vec<usize> = names
        .iter()
        .map(|dst| {
            names
                .iter()
                .map(|src| cell(src, dst).len())
                .chain(std::iter::once(dst.len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut header = format!("{:first$}", "FROM \\ TO");
    for (dst, w) in names.iter().zip(&widths) {
        header.push_str(&format!("  {dst:w$}"));
    }
    out.line(&out.paint(Style::Bold, header.trim_end()));
    for src in &names {
        let mut row = format!("{src:first$}");
        for (dst, w) in names.iter().zip(&widths) {
            row.push_str(&format!("  {:w$}", cell(src, dst)));
        }
        out.line(row.trim_end());
    }
    let external: Vec<_> = list
        .connections
        .iter()
        .filter(|c| c.src.ends_with("[External]") || c.dst.ends_with("[External]"))
        .collect();
    for c in external {
        out.line(&out.paint(Style::Dim, &format!("{} => {} : {}", c.src, c.dst, c.conn)));
    }
    out.line("");
    out.line(&out.paint(Style::Bold, "Network: one explained denial"));
    check::print(out, &denial);
    Exit::Ok
}
