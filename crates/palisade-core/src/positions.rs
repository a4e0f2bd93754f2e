//! Where each field of a document stands, kept beside its JSON.
//!
//! A [`Manifest`](crate::Manifest) holds its object as JSON, which has no
//! positions. The YAML reader knows the line and column of every node, so
//! the loader records them once in a [`Positions`] index: a flat table of
//! slots, one per node, laid out breadth first so that the children of a
//! node are one contiguous run, with the mapping keys in one shared string.
//! Nothing on an evaluation path reads it; it is looked up when a problem
//! has to be reported, by the field path the message names
//! (`spec.ingress[0].from[1]`).
//!
//! The position of a mapping entry is its key (where the field is named);
//! the position of a sequence item or of the root is the node itself.
//!
//! ```
//! use palisade_core::manifest::load_str;
//!
//! let report = load_str("np.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx\n");
//! let pod = &report.objects[0];
//! assert_eq!(pod.locate("spec.containers[0].image").to_string(), "np.yaml:6:5");
//! // A field that is not there points at the closest enclosing one.
//! assert_eq!(pod.locate("spec.containers[0].ports").to_string(), "np.yaml:5:5");
//! ```

use std::collections::VecDeque;

use crate::Location;
use crate::yaml::{Node, Value};

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// The position of every node of one document (or list item), looked up
/// by field path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Positions {
    /// One slot per node, breadth first; slot 0 is the root.
    slots: Vec<Slot>,
    /// Every mapping key, one after the other; slots hold ranges into it.
    keys: String,
}

/// One node: its position, its key (for a mapping entry) and its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    line: u32,
    column: u32,
    /// Byte range of the key in [`Positions::keys`]; empty for items.
    key_start: u32,
    key_end: u32,
    /// The children: `first_child..first_child + children`.
    first_child: u32,
    children: u32,
    /// `true` when the children are mapping entries (looked up by key),
    /// `false` for sequence items (looked up by index).
    map: bool,
}

impl Positions {
    /// The index of `root` and everything under it.
    pub fn of(root: &Node) -> Positions {
        let mut positions = Positions {
            slots: vec![slot(root.line, root.column, 0, 0)],
            keys: String::new(),
        };
        let mut queue: VecDeque<(usize, &Node)> = VecDeque::from([(0, root)]);
        while let Some((at, node)) = queue.pop_front() {
            let first = positions.slots.len();
            let map = match &node.value {
                Value::Seq(items) => {
                    for item in items {
                        queue.push_back((positions.slots.len(), item));
                        positions.slots.push(slot(item.line, item.column, 0, 0));
                    }
                    false
                }
                Value::Map(entries) => {
                    for (key, value) in entries {
                        let start = to_u32(positions.keys.len());
                        match &key.value {
                            Value::String(s) => positions.keys.push_str(s),
                            _ => positions
                                .keys
                                .push_str(&key.scalar_text().unwrap_or_default()),
                        }
                        let end = to_u32(positions.keys.len());
                        queue.push_back((positions.slots.len(), value));
                        positions.slots.push(slot(key.line, key.column, start, end));
                    }
                    true
                }
                _ => continue,
            };
            let count = to_u32(positions.slots.len() - first);
            if let Some(parent) = positions.slots.get_mut(at) {
                parent.first_child = to_u32(first);
                parent.children = count;
                parent.map = map;
            }
        }
        positions
    }

    /// The position of the field at `path` (`spec.ingress[0].from`, the
    /// empty path for the root), or `None` when some part of it is not
    /// in the document.
    ///
    /// Keys holding dots (`app.kubernetes.io/name`) are found: at each
    /// level the longest key that the rest of the path starts with wins.
    pub fn get(&self, path: &str) -> Option<Position> {
        match self.walk(path) {
            (found, true) => found,
            (_, false) => None,
        }
    }

    /// The position of the field at `path`, or of the deepest part of it
    /// that is in the document (the object that lacks the field), or
    /// `None` for an empty index.
    pub fn closest(&self, path: &str) -> Option<Position> {
        self.walk(path).0
    }

    /// Where `path` is written in the object that starts at `start` (the
    /// closest enclosing field that is, `start` itself at worst), in
    /// `start`'s file.
    pub fn locate(&self, start: &Location, path: &str) -> Location {
        match self.closest(path) {
            Some(p) => Location::new(start.file.clone(), p.line, p.column),
            None => start.clone(),
        }
    }

    /// The deepest slot reached along `path`, and whether all of it was.
    fn walk(&self, path: &str) -> (Option<Position>, bool) {
        let Some(mut node) = self.slots.first() else {
            return (None, false);
        };
        let mut rest = path;
        loop {
            rest = rest.strip_prefix('.').unwrap_or(rest);
            if rest.is_empty() {
                return (Some(node.position()), true);
            }
            let next = if node.map {
                self.entry(node, rest)
            } else {
                item(node, rest)
            };
            match next.and_then(|(i, after)| Some((self.slots.get(i)?, after))) {
                Some((child, after)) => {
                    node = child;
                    rest = after;
                }
                None => return (Some(node.position()), false),
            }
        }
    }

    /// The child of mapping `node` whose key `path` starts with (the
    /// longest such key, followed by the end, `.` or `[`), and the rest.
    fn entry<'p>(&self, node: &Slot, path: &'p str) -> Option<(usize, &'p str)> {
        let mut best: Option<(usize, &'p str, usize)> = None;
        for i in children(node) {
            let Some(child) = self.slots.get(i) else {
                continue;
            };
            let key = self
                .keys
                .get(child.key_start as usize..child.key_end as usize)
                .unwrap_or_default();
            let Some(after) = path.strip_prefix(key) else {
                continue;
            };
            let ends = after.is_empty() || after.starts_with(['.', '[']);
            if ends && best.is_none_or(|(_, _, len)| key.len() > len) {
                best = Some((i, after, key.len()));
            }
        }
        best.map(|(i, after, _)| (i, after))
    }
}

/// The item of sequence `node` that `path` (`[N]...`) names, and the rest.
fn item<'p>(node: &Slot, path: &'p str) -> Option<(usize, &'p str)> {
    let (index, after) = path.strip_prefix('[')?.split_once(']')?;
    let index: u32 = index.parse().ok()?;
    (index < node.children).then(|| ((node.first_child + index) as usize, after))
}

fn children(node: &Slot) -> std::ops::Range<usize> {
    node.first_child as usize..(node.first_child + node.children) as usize
}

impl Slot {
    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }
}

fn slot(line: u32, column: u32, key_start: u32, key_end: u32) -> Slot {
    Slot {
        line,
        column,
        key_start,
        key_end,
        first_child: 0,
        children: 0,
        map: false,
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_stream;

    fn index(text: &str) -> Positions {
        Positions::of(&parse_stream(text)[0].as_ref().unwrap().root)
    }

    fn at(line: u32, column: u32) -> Option<Position> {
        Some(Position { line, column })
    }

    #[test]
    fn a_slot_stays_small() {
        // One slot per YAML node: its size is the index's cost per node.
        assert_eq!(std::mem::size_of::<Slot>(), 28);
    }

    #[test]
    fn fields_items_and_the_root_are_found() {
        let p = index("a:\n  b:\n  - x\n  - c: 1\n    d: [1, 2]\n");
        assert_eq!(p.get(""), at(1, 1));
        assert_eq!(p.get("a"), at(1, 1));
        assert_eq!(p.get("a.b"), at(2, 3));
        assert_eq!(p.get("a.b[0]"), at(3, 5));
        assert_eq!(p.get("a.b[1].d"), at(5, 5));
        assert_eq!(p.get("a.b[1].d[1]"), at(5, 12));
    }

    #[test]
    fn missing_fields_fall_back_to_the_closest_enclosing_one() {
        let p = index("a:\n  b:\n  - x\n  - c: 1\n");
        assert_eq!(p.get("a.b[1].e"), None);
        assert_eq!(p.closest("a.b[1].e"), at(4, 5));
        assert_eq!(p.closest("a.b[7]"), at(2, 3));
        assert_eq!(p.closest("a.b.c"), at(2, 3));
        assert_eq!(p.closest("z"), at(1, 1));
        assert_eq!(Positions::default().closest("a"), None);
    }

    #[test]
    fn keys_with_dots_and_brackets_are_matched_whole() {
        let p = index("labels:\n  app: a\n  app.kubernetes.io/name: b\n  app.kubernetes.io: c\n");
        assert_eq!(p.get("labels.app"), at(2, 3));
        assert_eq!(p.get("labels.app.kubernetes.io/name"), at(3, 3));
        assert_eq!(p.get("labels.app.kubernetes.io"), at(4, 3));
    }

    #[test]
    fn non_string_keys_are_found_by_their_text() {
        let p = index("ports:\n  80: http\n  true: yes\n");
        assert_eq!(p.get("ports.80"), at(2, 3));
        assert_eq!(p.get("ports.true"), at(3, 3));
    }
}
