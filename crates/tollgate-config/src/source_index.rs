//! Where each node of the YAML document is, by path.
//!
//! Validation works on plain values; when it finds a problem it names a path such as
//! `models[1].deployments[0].provider`, and this index turns the path into a line and column.
//! The index is built by a second, untyped parse with `serde_saphyr::Spanned`, so it sees the
//! document exactly as the typed parse does (anchors, merges and flow style included).

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// 1-based line and column (characters) in the text that was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Default)]
pub(crate) struct SourceIndex {
    by_path: HashMap<String, Position>,
    /// (position, path), sorted: to find the node at a position.
    by_position: Vec<(Position, String)>,
}

impl SourceIndex {
    /// Indexes `text`; a document that does not parse gives an empty index (the typed parse
    /// reports the syntax error itself).
    pub fn build(text: &str) -> Self {
        let mut index = Self::default();
        if let Ok(root) =
            serde_saphyr::from_str_with_options::<Spanned<Node>>(text, crate::load::yaml_options())
        {
            index.add(String::new(), &root);
        }
        index.by_position.sort();
        index
    }

    fn add(&mut self, path: String, node: &Spanned<Node>) {
        let location = node.referenced;
        // Location::UNKNOWN is line 0; such nodes stay out of the index.
        if location.line() > 0 {
            let position = Position {
                line: location.line() as usize,
                column: location.column() as usize,
            };
            self.by_position.push((position, path.clone()));
            self.by_path.insert(path.clone(), position);
        }
        match &node.value {
            Node::Map(entries) => {
                for (key, child) in entries {
                    self.add(join_key(&path, key), child);
                }
            }
            Node::Seq(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.add(format!("{path}[{i}]"), child);
                }
            }
            Node::Scalar => {}
        }
    }

    /// The position of `path`, or of its nearest ancestor in the document (a missing field is
    /// reported at the mapping that lacks it).
    pub fn locate(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(position) = self.by_path.get(path) {
                return Some(*position);
            }
            if path.is_empty() {
                return None;
            }
            path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
        }
    }

    /// The path of the innermost node starting at or before `position` on its line: the value
    /// a `${VAR}` at that position belongs to.
    pub fn path_at(&self, position: Position) -> Option<&str> {
        let end = self.by_position.partition_point(|(p, _)| *p <= position);
        self.by_position[..end]
            .last()
            .filter(|(p, _)| p.line == position.line)
            .map(|(_, path)| path.as_str())
    }
}

/// Paths use the same spelling as `serde_path_to_error`: `a.b[2].c`.
pub(crate) fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// An untyped YAML node; scalars only need their position.
#[derive(Debug)]
enum Node {
    Map(Vec<(String, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Spanned<Node>>()? {
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
}
