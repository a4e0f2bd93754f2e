//! The syntax tree of a Falco condition, and its canonical printing.
//!
//! The tree follows libsinsp's filter AST (`libsinsp/filter/ast.h`) so that
//! a condition prints exactly as Falco prints it ([`Expr::as_string`]):
//!
//! - `and` / `or` are n-ary ([`Expr::And`], [`Expr::Or`]); `not` is unary;
//! - a bare identifier is a macro reference ([`Expr::Macro`]);
//! - a check is a field (or a transformer over fields) with either the unary
//!   operator `exists` ([`Expr::Unary`]) or a binary operator and a
//!   right-hand side ([`Expr::Binary`]);
//! - values keep only their unescaped text: `"a"`, `'a'` and `a` are the same
//!   value, as in libsinsp.
//!
//! Every node carries the [`Pos`] where it starts in the condition text.
//! Two trees are compared without positions by [`Expr::same_shape`].

use std::fmt;

/// Where a node starts in the condition text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    /// 0-based byte offset.
    pub offset: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Pos {
    /// The position of `offset` in `text` (line and column computed; an
    /// offset past the end is clamped to the end).
    pub fn at(text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Pos {
            offset: to_u32(offset),
            line: to_u32(line),
            column: to_u32(column),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A condition, or a part of one.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `c1 and c2 and ...` (at least two children once parsed).
    And {
        /// The operands, in source order.
        children: Vec<Expr>,
        /// Where the expression starts.
        pos: Pos,
    },
    /// `c1 or c2 or ...` (at least two children once parsed).
    Or {
        /// The operands, in source order.
        children: Vec<Expr>,
        /// Where the expression starts.
        pos: Pos,
    },
    /// `not c`.
    Not {
        /// The negated expression.
        child: Box<Expr>,
        /// Where the expression starts.
        pos: Pos,
    },
    /// A bare identifier: a reference to a macro (`spawned_process`).
    Macro {
        /// The macro's name.
        name: String,
        /// Where the identifier starts.
        pos: Pos,
    },
    /// `operand exists`.
    Unary(UnaryCheck),
    /// `operand op value`.
    Binary(BinaryCheck),
}

/// A check with a unary operator (`proc.name exists`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnaryCheck {
    /// The field or transformer checked.
    pub left: Operand,
    /// The operator; always a unary one ([`Operator::Exists`]).
    pub op: Operator,
    /// Where the check starts.
    pub pos: Pos,
}

/// A check with a binary operator (`proc.name in (cat, bash)`).
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryCheck {
    /// The field or transformer checked.
    pub left: Operand,
    /// The operator.
    pub op: Operator,
    /// `oneof` / `anyof` / `allof` after a string operator, if any. With a
    /// modifier the right-hand side is a [`Rhs::List`], or a [`Rhs::Value`]
    /// naming a list.
    pub modifier: Option<Modifier>,
    /// The right-hand side.
    pub right: Rhs,
    /// Where the check starts.
    pub pos: Pos,
}

/// The left side of a check: a field, or a transformer applied to fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A field such as `proc.name`, `proc.aname[2]`, `evt.arg.path`.
    Field(FieldRef),
    /// A transformer such as `tolower(proc.name)`, or `val(proc.name)` on
    /// the right-hand side.
    Transform(Transform),
}

/// A field reference with its optional argument.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// The field name (`proc.aname`, `container.mount.dest`).
    pub name: String,
    /// The argument in brackets, unescaped (`2` in `proc.aname[2]`,
    /// `/var/run/docker.sock` in `container.mount.dest[/var/run/docker.sock]`).
    pub arg: Option<String>,
    /// Where the field name starts.
    pub pos: Pos,
}

/// A transformer applied to its arguments, e.g. `join("-", (fd.name, proc.name))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform {
    /// Which transformer.
    pub kind: Transformer,
    /// The arguments, in order.
    pub args: Vec<TransformArg>,
    /// An argument in brackets after the call (`getopt(proc.args, "nt:")[t]`).
    pub arg: Option<String>,
    /// Where the transformer name starts.
    pub pos: Pos,
}

/// One argument of a transformer.
#[derive(Debug, Clone, PartialEq)]
pub enum TransformArg {
    /// A field or a nested transformer.
    Operand(Operand),
    /// A quoted string or a number, unescaped.
    Literal(Value),
    /// A parenthesized list of arguments (`(fd.name, "x")`, used by `join`).
    List {
        /// The list items (never lists themselves).
        items: Vec<TransformArg>,
        /// Where the list starts.
        pos: Pos,
    },
}

/// The field transformers, plus `val` (right-hand side only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transformer {
    /// `tolower(...)`.
    ToLower,
    /// `toupper(...)`.
    ToUpper,
    /// `b64(...)`: base64 decoding.
    B64,
    /// `basename(...)`.
    Basename,
    /// `len(...)`.
    Len,
    /// `join(sep, (...))`.
    Join,
    /// `concat(...)`.
    Concat,
    /// `getopt(args, optstring)[opt]`.
    Getopt,
    /// `val(field)`: the value of another field, right-hand side only.
    Val,
}

impl Transformer {
    /// Every transformer usable on the left side (all but `val`).
    pub const FIELD_TRANSFORMERS: [Transformer; 8] = [
        Transformer::ToLower,
        Transformer::ToUpper,
        Transformer::B64,
        Transformer::Basename,
        Transformer::Len,
        Transformer::Join,
        Transformer::Concat,
        Transformer::Getopt,
    ];

    /// The name as written in conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            Transformer::ToLower => "tolower",
            Transformer::ToUpper => "toupper",
            Transformer::B64 => "b64",
            Transformer::Basename => "basename",
            Transformer::Len => "len",
            Transformer::Join => "join",
            Transformer::Concat => "concat",
            Transformer::Getopt => "getopt",
            Transformer::Val => "val",
        }
    }

    /// The transformer with this name, if any (`val` included).
    pub fn from_name(name: &str) -> Option<Transformer> {
        match name {
            "val" => Some(Transformer::Val),
            _ => Transformer::FIELD_TRANSFORMERS
                .into_iter()
                .find(|t| t.as_str() == name),
        }
    }
}

/// The right-hand side of a binary check.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// A single value (quoted or bare, unescaped). After `in`, `intersects`,
    /// `pmatch` or a modifier, a bare identifier here names a list.
    Value(Value),
    /// A parenthesized list of values: `(a, "b c", 'd')`.
    List(ValueList),
    /// A transformer (`tolower(proc.name)`) or `val(proc.pname)`.
    Operand(Operand),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The unescaped text.
    pub text: String,
    /// Where the value starts (its opening quote, if quoted).
    pub pos: Pos,
}

/// A list of literal values.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueList {
    /// The unescaped values, in order.
    pub values: Vec<String>,
    /// Where the list's `(` stands.
    pub pos: Pos,
}

/// The check operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=`.
    Eq,
    /// `==` (same meaning as `=`, printed as written).
    EqEq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `contains`.
    Contains,
    /// `icontains`.
    IContains,
    /// `bcontains` (hex-encoded bytes).
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith` (hex-encoded bytes).
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `glob`.
    Glob,
    /// `iglob`.
    IGlob,
    /// `regex`.
    Regex,
    /// `in`.
    In,
    /// `intersects`.
    Intersects,
    /// `pmatch`.
    PMatch,
    /// `exists` (unary).
    Exists,
}

impl Operator {
    /// Every operator.
    pub const ALL: [Operator; 20] = [
        Operator::Eq,
        Operator::EqEq,
        Operator::Ne,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::Contains,
        Operator::IContains,
        Operator::BContains,
        Operator::StartsWith,
        Operator::BStartsWith,
        Operator::EndsWith,
        Operator::Glob,
        Operator::IGlob,
        Operator::Regex,
        Operator::In,
        Operator::Intersects,
        Operator::PMatch,
        Operator::Exists,
    ];

    /// The operator written `text`, if any.
    pub fn from_name(text: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.as_str() == text)
    }

    /// `true` for `exists`.
    pub fn is_unary(self) -> bool {
        self == Operator::Exists
    }

    /// `true` for the operators whose right-hand side is a list
    /// (`in`, `intersects`, `pmatch`).
    pub fn takes_list(self) -> bool {
        matches!(self, Operator::In | Operator::Intersects | Operator::PMatch)
    }

    /// `true` for the numeric comparisons `<`, `<=`, `>`, `>=`.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge
        )
    }
}

palisade_core::names! {
    /// The operator as written in conditions.
    Operator {
        Eq => "=",
        EqEq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Contains => "contains",
        IContains => "icontains",
        BContains => "bcontains",
        StartsWith => "startswith",
        BStartsWith => "bstartswith",
        EndsWith => "endswith",
        Glob => "glob",
        IGlob => "iglob",
        Regex => "regex",
        In => "in",
        Intersects => "intersects",
        PMatch => "pmatch",
        Exists => "exists",
    }
}

/// A modifier after a string operator: the check holds for one / any / all
/// of the list's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `oneof`.
    OneOf,
    /// `anyof`.
    AnyOf,
    /// `allof`.
    AllOf,
}

impl Modifier {
    /// The modifier as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

impl Expr {
    /// Where the expression starts.
    pub fn pos(&self) -> Pos {
        match self {
            Expr::And { pos, .. }
            | Expr::Or { pos, .. }
            | Expr::Not { pos, .. }
            | Expr::Macro { pos, .. } => *pos,
            Expr::Unary(c) => c.pos,
            Expr::Binary(c) => c.pos,
        }
    }

    /// The canonical text of the expression, exactly as libsinsp's
    /// `ast::as_string` prints it: `(c1 and c2)`, `not X`, `field op value`,
    /// lists as `(v1, v2)`, values quoted only when they need it.
    pub fn as_string(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    /// Appends the canonical text (see [`Expr::as_string`]) to `out`.
    pub fn write_canonical(&self, out: &mut String) {
        match self {
            Expr::And { children, .. } => write_logical(out, "and", children),
            Expr::Or { children, .. } => write_logical(out, "or", children),
            Expr::Not { child, .. } => {
                out.push_str("not ");
                child.write_canonical(out);
            }
            Expr::Macro { name, .. } => out.push_str(name),
            Expr::Unary(check) => {
                check.left.write_canonical(out);
                out.push(' ');
                out.push_str(check.op.as_str());
            }
            Expr::Binary(check) => {
                check.left.write_canonical(out);
                out.push(' ');
                out.push_str(check.op.as_str());
                if let Some(m) = check.modifier {
                    out.push(' ');
                    out.push_str(m.as_str());
                }
                out.push(' ');
                check.right.write_canonical(out);
            }
        }
    }

    /// `true` when both trees are equal, positions ignored.
    pub fn same_shape(&self, other: &Expr) -> bool {
        match (self, other) {
            (Expr::And { children: a, .. }, Expr::And { children: b, .. })
            | (Expr::Or { children: a, .. }, Expr::Or { children: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_shape(y))
            }
            (Expr::Not { child: a, .. }, Expr::Not { child: b, .. }) => a.same_shape(b),
            (Expr::Macro { name: a, .. }, Expr::Macro { name: b, .. }) => a == b,
            (Expr::Unary(a), Expr::Unary(b)) => a.op == b.op && a.left.same_shape(&b.left),
            (Expr::Binary(a), Expr::Binary(b)) => {
                a.op == b.op
                    && a.modifier == b.modifier
                    && a.left.same_shape(&b.left)
                    && a.right.same_shape(&b.right)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

fn write_logical(out: &mut String, op: &str, children: &[Expr]) {
    write_list(out, &format!(" {op} "), children, |out, child| {
        child.write_canonical(out);
    });
}

/// Appends `items` in parentheses, `separator` between them, each written
/// by `write`: Falco's list syntax `(a,b)`, in conditions and outputs.
pub(crate) fn write_list<T>(
    out: &mut String,
    separator: &str,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut String, T),
) {
    out.push('(');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        write(out, item);
    }
    out.push(')');
}

impl Operand {
    /// Where the operand starts.
    pub fn pos(&self) -> Pos {
        match self {
            Operand::Field(f) => f.pos,
            Operand::Transform(t) => t.pos,
        }
    }

    /// Appends the canonical text of the operand to `out`.
    pub fn write_canonical(&self, out: &mut String) {
        match self {
            Operand::Field(f) => {
                out.push_str(&f.name);
                write_field_arg(out, f.arg.as_deref());
            }
            Operand::Transform(t) => {
                out.push_str(t.kind.as_str());
                write_list(out, ",", &t.args, |out, arg| arg.write_canonical(out));
                write_field_arg(out, t.arg.as_deref());
            }
        }
    }

    /// The canonical text of the operand.
    pub fn as_string(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    /// `true` when both operands are equal, positions ignored.
    pub fn same_shape(&self, other: &Operand) -> bool {
        match (self, other) {
            (Operand::Field(a), Operand::Field(b)) => a.name == b.name && a.arg == b.arg,
            (Operand::Transform(a), Operand::Transform(b)) => {
                a.kind == b.kind
                    && a.arg == b.arg
                    && a.args.len() == b.args.len()
                    && a.args.iter().zip(&b.args).all(|(x, y)| x.same_shape(y))
            }
            _ => false,
        }
    }
}

impl TransformArg {
    /// Appends the canonical text of the argument to `out`.
    pub fn write_canonical(&self, out: &mut String) {
        match self {
            TransformArg::Operand(o) => o.write_canonical(out),
            TransformArg::Literal(v) => out.push_str(&escape_value(&v.text)),
            TransformArg::List { items, .. } => {
                write_list(out, ",", items, |out, item| item.write_canonical(out));
            }
        }
    }

    /// `true` when both arguments are equal, positions ignored.
    pub fn same_shape(&self, other: &TransformArg) -> bool {
        match (self, other) {
            (TransformArg::Operand(a), TransformArg::Operand(b)) => a.same_shape(b),
            (TransformArg::Literal(a), TransformArg::Literal(b)) => a.text == b.text,
            (TransformArg::List { items: a, .. }, TransformArg::List { items: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_shape(y))
            }
            _ => false,
        }
    }
}

impl Rhs {
    /// Where the right-hand side starts.
    pub fn pos(&self) -> Pos {
        match self {
            Rhs::Value(v) => v.pos,
            Rhs::List(l) => l.pos,
            Rhs::Operand(o) => o.pos(),
        }
    }

    /// Appends the canonical text of the right-hand side to `out`.
    pub fn write_canonical(&self, out: &mut String) {
        match self {
            Rhs::Value(v) => out.push_str(&escape_value(&v.text)),
            Rhs::List(l) => {
                write_list(out, ", ", &l.values, |out, v| {
                    out.push_str(&escape_value(v))
                });
            }
            Rhs::Operand(o) => o.write_canonical(out),
        }
    }

    /// `true` when both sides are equal, positions ignored.
    pub fn same_shape(&self, other: &Rhs) -> bool {
        match (self, other) {
            (Rhs::Value(a), Rhs::Value(b)) => a.text == b.text,
            (Rhs::List(a), Rhs::List(b)) => a.values == b.values,
            (Rhs::Operand(a), Rhs::Operand(b)) => a.same_shape(b),
            _ => false,
        }
    }
}

fn write_field_arg(out: &mut String, arg: Option<&str>) {
    match arg {
        None => {}
        Some("") => out.push_str("[\"\"]"),
        Some(a) => {
            out.push('[');
            out.push_str(&escape_value(a));
            out.push(']');
        }
    }
}

/// A value as libsinsp prints it: wrapped in double quotes when it contains
/// a space, `=`, `'`, `"`, `\`, NUL or one of `\b \f \n \r \t`, with
/// `\\ \" \b \f \n \r \t` escaped inside; bare otherwise (an empty value
/// prints as nothing).
pub fn escape_value(text: &str) -> String {
    let mut quote = false;
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' ' | '=' | '\'' | '\0' => out.push(c),
            _ => {
                out.push(c);
                continue;
            }
        }
        quote = true;
    }
    if quote { format!("\"{out}\"") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, arg: Option<&str>) -> Operand {
        Operand::Field(FieldRef {
            name: name.to_owned(),
            arg: arg.map(str::to_owned),
            pos: Pos::default(),
        })
    }

    fn value(text: &str) -> Rhs {
        Rhs::Value(Value {
            text: text.to_owned(),
            pos: Pos::default(),
        })
    }

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(escape_value("cat"), "cat");
        assert_eq!(escape_value("(a,b)"), "(a,b)");
        assert_eq!(escape_value("a b"), "\"a b\"");
        assert_eq!(escape_value("a\\b"), "\"a\\\\b\"");
        assert_eq!(escape_value("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(escape_value("it's"), "\"it's\"");
        assert_eq!(escape_value(""), "");
    }

    #[test]
    fn checks_print_like_libsinsp() {
        let check = Expr::Binary(BinaryCheck {
            left: field("evt.arg", Some("key with space")),
            op: Operator::Eq,
            modifier: None,
            right: value("value"),
            pos: Pos::default(),
        });
        assert_eq!(check.as_string(), "evt.arg[\"key with space\"] = value");
        let modified = Expr::Binary(BinaryCheck {
            left: field("proc.name", None),
            op: Operator::Ne,
            modifier: Some(Modifier::AnyOf),
            right: Rhs::List(ValueList {
                values: vec!["cat".into(), "nginx".into()],
                pos: Pos::default(),
            }),
            pos: Pos::default(),
        });
        assert_eq!(modified.as_string(), "proc.name != anyof (cat, nginx)");
        let both = Expr::And {
            children: vec![
                Expr::Not {
                    child: Box::new(check),
                    pos: Pos::default(),
                },
                Expr::Unary(UnaryCheck {
                    left: field("fd.name", Some("")),
                    op: Operator::Exists,
                    pos: Pos::default(),
                }),
            ],
            pos: Pos::default(),
        };
        assert_eq!(
            both.as_string(),
            "(not evt.arg[\"key with space\"] = value and fd.name[\"\"] exists)"
        );
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a and\n  é b";
        assert_eq!(
            Pos::at(text, 0),
            Pos {
                offset: 0,
                line: 1,
                column: 1
            }
        );
        let p = Pos::at(text, text.find('b').unwrap());
        assert_eq!((p.line, p.column), (2, 5));
    }
}
