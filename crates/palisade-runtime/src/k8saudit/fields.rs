//! The `ka.*` fields of Falco's k8saudit plugin and the `jevt.*` fields of
//! its json plugin, as a table: name, how it is extracted, whether it is a
//! list and what it takes as argument.
//!
//! Every `ka.*` field is a string (numbers and objects of the event are
//! given as their JSON text, as the plugin does); the list fields
//! (`ka.req.pod.containers.image`, ...) take an optional index
//! (`ka.req.pod.containers.image[0]`), and compare with `in` (every item in
//! the set) and `intersects` (one item in the set).

use crate::fields::{ArgSpec, FieldDef, FieldId, FieldType, Schema};

use super::SOURCE;
use super::extract::{ArgKind, Extract, Kind};

/// One field of the source.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub name: String,
    pub extract: Extract,
    pub desc: String,
}

/// Where each `k8s_audit` field's value comes from, by field id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    /// Per field id of the schema: the field's position in `SPECS`.
    by_id: Vec<Option<u16>>,
}

impl Table {
    /// The table of `schema`'s `k8s_audit` fields.
    pub fn new(schema: &Schema) -> Table {
        let mut by_id = Vec::new();
        for (i, spec) in SPECS.iter().enumerate() {
            if let Some(FieldId(id)) = schema.lookup(&spec.name) {
                let id = id as usize;
                if by_id.len() <= id {
                    by_id.resize(id + 1, None);
                }
                if let Some(slot) = by_id.get_mut(id) {
                    *slot = u16::try_from(i).ok();
                }
            }
        }
        Table { by_id }
    }

    /// The position in `SPECS` of field `id`, when it is one of them.
    pub fn position(&self, id: FieldId) -> Option<usize> {
        self.by_id
            .get(id.0 as usize)
            .copied()
            .flatten()
            .map(usize::from)
    }
}

/// How many fields `SPECS` holds.
pub(crate) fn count() -> usize {
    SPECS.len()
}

/// The spec at `position`.
pub(crate) fn spec(position: usize) -> Option<&'static Spec> {
    SPECS.get(position)
}

/// Registers the source, its event type and its fields into `schema`.
pub(super) fn register(schema: &mut Schema) {
    // The type is new in Falco's schema, whose table holds far fewer than
    // the most types a schema can hold: this cannot fail.
    let _ = schema.register_source_event_type(SOURCE, SOURCE);
    for spec in SPECS.iter() {
        let ty = match spec.extract.kind {
            Kind::RawTime => FieldType::UInt,
            _ => FieldType::String,
        };
        let mut def = FieldDef::new(&spec.name, ty, &spec.desc).source(SOURCE);
        def = match spec.extract.arg() {
            ArgKind::None => def,
            ArgKind::Index => def.arg(ArgSpec::Optional),
            ArgKind::Key => def.arg(ArgSpec::Required),
        };
        if spec.extract.is_list() {
            def = def.list();
        }
        // A name the embedder registered already keeps its definition.
        let _ = schema.register_field(def);
    }
}

/// The fields, as data (`fields.txt`).
const TABLE: &str = include_str!("fields.txt");

/// One line of the table as a field; `None` when it is malformed (a unit
/// test checks that no line of the table is).
fn spec_line(line: &str) -> Option<Spec> {
    let mut words = line.split_whitespace();
    let name = words.next()?;
    let extract = Extract::parse(words.next()?)?;
    let desc = words.collect::<Vec<_>>().join(" ");
    Some(Spec {
        name: name.to_owned(),
        extract,
        desc,
    })
}

/// The fields, read once per process.
static SPECS: std::sync::LazyLock<Vec<Spec>> = std::sync::LazyLock::new(|| {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(spec_line)
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_registers_once_with_its_shape() {
        let schema = super::super::schema();
        let lines = TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let malformed: Vec<&str> = lines.clone().filter(|l| spec_line(l).is_none()).collect();
        assert!(malformed.is_empty(), "{malformed:?}");
        assert_eq!(lines.count(), SPECS.len());
        assert!(spec_line("ka.x  keys  words").is_none());
        assert!(spec_line("ka.x  guess:a  words").is_none());
        let mut names: Vec<&str> = SPECS.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SPECS.len());
        let table = Table::new(&schema);
        for (i, spec) in SPECS.iter().enumerate() {
            let id = schema.lookup(&spec.name).unwrap();
            assert_eq!(table.position(id), Some(i));
            assert_eq!(schema.field(id).unwrap().source, SOURCE);
        }
        let images = schema.lookup("ka.req.pod.containers.image").unwrap();
        let def = schema.field(images).unwrap();
        assert!(def.list);
        assert_eq!(def.type_for(false), FieldType::StrList);
        assert!(schema.resolve("ka.uri.param", None).is_err());
        assert!(schema.resolve("jevt.value", Some("/stage")).is_ok());
        let code = schema.event_code(SOURCE).unwrap();
        assert_eq!(schema.event_source(code), Some(SOURCE));
        assert_eq!(
            schema.event_source(schema.event_code("execve").unwrap()),
            Some("syscall")
        );
    }
}
