//! The collected definitions: lists, macros and rules with Falco's
//! define / append / replace semantics. A redefinition replaces the item in
//! place (keeping its position and its index) and makes it see everything
//! defined up to the redefinition (its *visibility*).

use std::collections::BTreeSet;

use palisade_core::Severity;

use super::operators::{is_modifier_comp, is_supported_comp};
use super::{ConditionChecker, Context, Failure};

const VALIDATE: &str = "LOAD_ERR_VALIDATE";

/// A list as read.
#[derive(Debug, Clone)]
pub struct ListInfo {
    /// The name.
    pub name: String,
    /// The raw items.
    pub items: Vec<String>,
    /// Where it was defined.
    pub ctx: Context,
    /// Position in definition order (kept on redefinition).
    pub index: usize,
    /// The definition counter at its last definition or append.
    pub visibility: usize,
}

/// A macro as read.
#[derive(Debug, Clone)]
pub struct MacroInfo {
    /// The name.
    pub name: String,
    /// The condition text (appends joined with a space).
    pub cond: String,
    /// Where it was defined.
    pub ctx: Context,
    /// Where its condition stands.
    pub cond_ctx: Context,
    /// Position in definition order.
    pub index: usize,
    /// The definition counter at its last definition or append.
    pub visibility: usize,
}

/// One value of an exception's `fields`, `comps` or `values`: a string or
/// a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// `true` for a list.
    pub is_list: bool,
    /// The string, when not a list.
    pub item: String,
    /// The items, when a list.
    pub items: Vec<Entry>,
}

impl Entry {
    /// A string entry.
    pub fn scalar(item: impl Into<String>) -> Entry {
        Entry {
            is_list: false,
            item: item.into(),
            items: Vec::new(),
        }
    }

    /// Falco's validity: a non-empty list or a non-empty string.
    pub fn is_valid(&self) -> bool {
        if self.is_list {
            !self.items.is_empty()
        } else {
            !self.item.is_empty()
        }
    }
}

/// One exception of a rule.
#[derive(Debug, Clone)]
pub struct ExceptionInfo {
    /// The exception's name.
    pub name: String,
    /// `fields`: one field, or a list of fields.
    pub fields: Entry,
    /// `comps`: one operator, or one per field.
    pub comps: Entry,
    /// `values`.
    pub values: Vec<Entry>,
    /// Where it stands.
    pub ctx: Context,
}

/// A rule as read and amended.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// The name.
    pub name: String,
    /// The condition text.
    pub cond: String,
    /// The output.
    pub output: String,
    /// The description.
    pub desc: String,
    /// The priority.
    pub priority: Severity,
    /// The source.
    pub source: String,
    /// `enabled`.
    pub enabled: bool,
    /// `capture`.
    pub capture: bool,
    /// `capture_duration`.
    pub capture_duration: u64,
    /// `warn_evttypes`.
    pub warn_evttypes: bool,
    /// `skip-if-unknown-filter`.
    pub skip_if_unknown_filter: bool,
    /// The tags.
    pub tags: BTreeSet<String>,
    /// The exceptions.
    pub exceptions: Vec<ExceptionInfo>,
    /// The source is not known to the checker: the rule is skipped.
    pub unknown_source: bool,
    /// Where it was defined.
    pub ctx: Context,
    /// Where its condition stands.
    pub cond_ctx: Context,
    /// Where its output stands.
    pub output_ctx: Context,
    /// Position in definition order.
    pub index: usize,
    /// The definition counter at its last change.
    pub visibility: usize,
}

/// An append to (or a selective replacement of) an existing rule.
#[derive(Debug, Clone, Default)]
pub struct RuleUpdate {
    /// The rule's name.
    pub name: String,
    /// The `source` given with the update (may be empty).
    pub source: String,
    /// `condition`.
    pub cond: Option<String>,
    /// Where the new condition stands.
    pub cond_ctx: Option<Context>,
    /// `output`.
    pub output: Option<String>,
    /// `desc`.
    pub desc: Option<String>,
    /// `tags`.
    pub tags: Option<BTreeSet<String>>,
    /// `exceptions`.
    pub exceptions: Option<Vec<ExceptionInfo>>,
    /// `priority`.
    pub priority: Option<Severity>,
    /// `capture`.
    pub capture: Option<bool>,
    /// `capture_duration`.
    pub capture_duration: Option<u64>,
    /// `enabled`.
    pub enabled: Option<bool>,
    /// `warn_evttypes`.
    pub warn_evttypes: Option<bool>,
    /// `skip-if-unknown-filter`.
    pub skip_if_unknown_filter: Option<bool>,
}

impl RuleUpdate {
    fn has_any_value(&self) -> bool {
        self.cond.is_some()
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.capture.is_some()
            || self.capture_duration.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
    }
}

/// Everything read so far.
#[derive(Debug, Clone, Default)]
pub struct Collector {
    /// Lists in definition order.
    pub lists: Vec<ListInfo>,
    /// Macros in definition order.
    pub macros: Vec<MacroInfo>,
    /// Rules in definition order.
    pub rules: Vec<RuleInfo>,
    /// The highest required engine version.
    pub required_engine_version: Option<(u32, u32, u32)>,
    /// The plugin requirements.
    pub required_plugin_versions: Vec<Vec<(String, String)>>,
    counter: usize,
}

impl Collector {
    fn next_id(&mut self) -> usize {
        let id = self.counter;
        self.counter += 1;
        id
    }

    /// Records a `required_engine_version`.
    pub fn require_engine(
        &mut self,
        version: (u32, u32, u32),
        ctx: &Context,
    ) -> Result<(), Failure> {
        let engine = super::ENGINE_VERSION;
        if version.0 != engine.0 || version > engine {
            return Err(Failure::new(
                VALIDATE,
                format!(
                    "Rules require engine version {}.{}.{}, but engine version is {}.{}.{}",
                    version.0, version.1, version.2, engine.0, engine.1, engine.2
                ),
                ctx,
            ));
        }
        if self.required_engine_version.is_none_or(|v| v < version) {
            self.required_engine_version = Some(version);
        }
        Ok(())
    }

    /// Records one `required_plugin_versions` entry with its alternatives.
    pub fn require_plugin(
        &mut self,
        alternatives: Vec<(String, String)>,
        ctx: &Context,
    ) -> Result<(), Failure> {
        let mut seen = BTreeSet::new();
        for (name, version) in &alternatives {
            if parse_semver(version).is_none() {
                return Err(Failure::new(
                    VALIDATE,
                    format!("Invalid required version '{version}' for plugin '{name}'"),
                    ctx,
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(Failure::new(
                    VALIDATE,
                    format!(
                        "Defined multiple alternative version requirements for plugin '{name}'"
                    ),
                    ctx,
                ));
            }
        }
        self.required_plugin_versions.push(alternatives);
        Ok(())
    }

    /// Defines (or redefines in place) a list.
    pub fn define_list(&mut self, name: String, items: Vec<String>, ctx: Context) {
        let id = self.next_id();
        let list = ListInfo {
            name,
            items,
            ctx,
            index: id,
            visibility: id,
        };
        define(&mut self.lists, list, |l| &l.name, |l| &mut l.index);
    }

    /// Appends items to an existing list.
    pub fn append_list(
        &mut self,
        name: &str,
        items: Vec<String>,
        ctx: &Context,
    ) -> Result<(), Failure> {
        let id = self.next_id();
        let Some(prev) = self.lists.iter_mut().find(|l| l.name == name) else {
            return Err(Failure::new(
                VALIDATE,
                "List uses 'append' or 'override.items: append' but no list by that name already exists",
                ctx,
            ));
        };
        prev.items.extend(items);
        prev.visibility = id;
        Ok(())
    }

    /// Defines (or redefines in place) a macro.
    pub fn define_macro(&mut self, name: String, cond: String, ctx: Context, cond_ctx: Context) {
        let id = self.next_id();
        let makro = MacroInfo {
            name,
            cond,
            ctx,
            cond_ctx,
            index: id,
            visibility: id,
        };
        define(&mut self.macros, makro, |m| &m.name, |m| &mut m.index);
    }

    /// Appends to an existing macro's condition.
    pub fn append_macro(&mut self, name: &str, cond: &str, ctx: &Context) -> Result<(), Failure> {
        let id = self.next_id();
        let Some(prev) = self.macros.iter_mut().find(|m| m.name == name) else {
            return Err(Failure::new(
                VALIDATE,
                "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
                ctx,
            ));
        };
        prev.cond.push(' ');
        prev.cond.push_str(cond);
        prev.visibility = id;
        Ok(())
    }

    fn find_prev_rule(
        &mut self,
        name: &str,
        source: &str,
        ctx: &Context,
    ) -> Result<Option<usize>, Failure> {
        let found = self.rules.iter().position(|r| r.name == name);
        if let Some(i) = found
            && let Some(prev) = self.rules.get(i)
            && !prev.source.is_empty()
            && !source.is_empty()
            && prev.source != source
        {
            return Err(Failure::new(
                VALIDATE,
                "Rule has been re-defined with a different source",
                ctx,
            ));
        }
        Ok(found)
    }

    /// Defines (or redefines in place) a rule.
    pub fn define_rule(
        &mut self,
        mut info: RuleInfo,
        checker: &dyn ConditionChecker,
        warn: &mut dyn FnMut(&'static str, String, &Context),
    ) -> Result<(), Failure> {
        // A redefinition may not change the rule's source.
        self.find_prev_rule(&info.name, &info.source, &info.ctx)?;
        let known = checker.has_source(&info.source);
        if !known {
            info.unknown_source = true;
            warn(
                "LOAD_UNKNOWN_SOURCE",
                format!("Unknown source {}, skipping", info.source),
                &info.ctx,
            );
        }
        for ex in &mut info.exceptions {
            require(
                ex.fields.is_valid(),
                "Rule exception item must have fields property with a list of fields",
                &ex.ctx,
            )?;
            validate_exception(known.then_some(info.source.as_str()), checker, ex)?;
        }
        let id = self.next_id();
        info.index = id;
        info.visibility = id;
        define(&mut self.rules, info, |r| &r.name, |r| &mut r.index);
        Ok(())
    }

    /// The existing rule `update` amends, its visibility moved to this
    /// update. Fails with `missing` when no rule by that name exists (or
    /// one of another source does), with `empty` when the update sets
    /// nothing.
    fn amended_rule(
        &mut self,
        update: &RuleUpdate,
        ctx: &Context,
        missing: &'static str,
        empty: &'static str,
    ) -> Result<Option<&mut RuleInfo>, Failure> {
        let Some(i) = self.find_prev_rule(&update.name, &update.source, ctx)? else {
            return Err(Failure::new(VALIDATE, missing, ctx));
        };
        require(update.has_any_value(), empty, ctx)?;
        let id = self.next_id();
        let mut rule = self.rules.get_mut(i);
        if let Some(rule) = rule.as_mut() {
            rule.visibility = id;
        }
        Ok(rule)
    }

    /// Applies `append: true` or `override: {key: append}` to a rule.
    pub fn append_rule(
        &mut self,
        update: RuleUpdate,
        checker: &dyn ConditionChecker,
        ctx: &Context,
    ) -> Result<(), Failure> {
        let Some(rule) = self.amended_rule(
            &update,
            ctx,
            "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
            "Appended rule must have exceptions or condition property",
        )?
        else {
            return Ok(());
        };
        let source = (!rule.unknown_source).then(|| rule.source.clone());
        if let Some(cond) = update.cond.filter(|c| !c.is_empty()) {
            rule.cond.push(' ');
            rule.cond.push_str(&cond);
            if let Some(c) = update.cond_ctx {
                rule.cond_ctx = c;
            }
        }
        if let Some(output) = update.output.filter(|c| !c.is_empty()) {
            rule.output.push(' ');
            rule.output.push_str(&output);
        }
        if let Some(desc) = update.desc.filter(|c| !c.is_empty()) {
            rule.desc.push(' ');
            rule.desc.push_str(&desc);
        }
        if let Some(tags) = update.tags {
            rule.tags.extend(tags);
        }
        if let Some(exceptions) = update.exceptions {
            for mut ex in exceptions {
                match rule.exceptions.iter_mut().find(|p| p.name == ex.name) {
                    None => {
                        require(
                            ex.fields.is_valid(),
                            "Rule exception must have fields property with a list of fields",
                            &ex.ctx,
                        )?;
                        require(
                            !ex.values.is_empty(),
                            "Rule exception must have values property with a list of values",
                            &ex.ctx,
                        )?;
                        validate_exception(source.as_deref(), checker, &mut ex)?;
                        rule.exceptions.push(ex);
                    }
                    Some(prev_ex) => {
                        require(
                            !ex.fields.is_valid(),
                            "Can not append exception fields to existing exception, only values",
                            &ex.ctx,
                        )?;
                        require(
                            !ex.comps.is_valid(),
                            "Can not append exception comps to existing exception, only values",
                            &ex.ctx,
                        )?;
                        prev_ex.values.extend(ex.values);
                    }
                }
            }
        }
        Ok(())
    }

    /// Applies `override: {key: replace}` to a rule.
    pub fn replace_rule(&mut self, update: RuleUpdate, ctx: &Context) -> Result<(), Failure> {
        let Some(rule) = self.amended_rule(
            &update,
            ctx,
            "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
            "The rule must have at least one field that can be replaced",
        )?
        else {
            return Ok(());
        };
        if let Some(cond) = update.cond {
            rule.cond = cond;
            if let Some(c) = update.cond_ctx {
                rule.cond_ctx = c;
            }
        }
        if let Some(v) = update.output {
            rule.output = v;
        }
        if let Some(v) = update.desc {
            rule.desc = v;
        }
        if let Some(v) = update.tags {
            rule.tags = v;
        }
        if let Some(v) = update.exceptions {
            rule.exceptions = v;
        }
        if let Some(v) = update.priority {
            rule.priority = v;
        }
        if let Some(v) = update.capture {
            rule.capture = v;
        }
        if let Some(v) = update.capture_duration {
            rule.capture_duration = v;
        }
        if let Some(v) = update.enabled {
            rule.enabled = v;
        }
        if let Some(v) = update.warn_evttypes {
            rule.warn_evttypes = v;
        }
        if let Some(v) = update.skip_if_unknown_filter {
            rule.skip_if_unknown_filter = v;
        }
        Ok(())
    }

    /// The deprecated standalone `enabled` item.
    pub fn enable_rule(&mut self, name: &str, enabled: bool, ctx: &Context) -> Result<(), Failure> {
        match self.rules.iter_mut().find(|r| r.name == name) {
            Some(rule) => {
                rule.enabled = enabled;
                Ok(())
            }
            None => Err(Failure::new(
                VALIDATE,
                "Rule has 'enabled' key but no rule by that name already exists",
                ctx,
            )),
        }
    }
}

/// Puts a new definition (its index and visibility the current id) into
/// `items`: in place of the one of the same name, keeping that one's index
/// (its position in definition order), else at the end.
fn define<T>(
    items: &mut Vec<T>,
    mut item: T,
    name: fn(&T) -> &str,
    index: fn(&mut T) -> &mut usize,
) {
    match items.iter_mut().find(|prev| name(prev) == name(&item)) {
        Some(prev) => {
            *index(&mut item) = *index(prev);
            *prev = item;
        }
        None => items.push(item),
    }
}

/// Fills in default comparison operators and checks fields and operators,
/// as Falco's `validate_exception_info`.
fn validate_exception(
    source: Option<&str>,
    checker: &dyn ConditionChecker,
    ex: &mut ExceptionInfo,
) -> Result<(), Failure> {
    if ex.fields.is_list {
        if !ex.comps.is_valid() {
            ex.comps.is_list = true;
            ex.comps.items = vec![Entry::scalar("="); ex.fields.items.len()];
        }
        require(
            ex.fields.items.len() == ex.comps.items.len(),
            "Fields and comps lists must have equal length",
            &ex.ctx,
        )?;
        for comp in &mut ex.comps.items {
            comp.item = comp.item.trim_matches([' ', '\t', '\r', '\n']).to_owned();
            if !is_supported_comp(&comp.item) {
                return Err(Failure::new(
                    VALIDATE,
                    format!("'{}' is not a supported comparison operator", comp.item),
                    &ex.ctx,
                ));
            }
        }
        if let Some(source) = source {
            for field in &ex.fields.items {
                if !checker.is_valid_field(source, &field.item) {
                    return Err(Failure::new(
                        VALIDATE,
                        format!("'{}' is not a supported filter field", field.item),
                        &ex.ctx,
                    ));
                }
            }
        }
    } else {
        if !ex.comps.is_valid() {
            ex.comps = Entry::scalar("in");
        }
        require(
            !ex.comps.is_list,
            "Fields and comps must both be strings",
            &ex.ctx,
        )?;
        ex.comps.item = ex
            .comps
            .item
            .trim_matches([' ', '\t', '\r', '\n'])
            .to_owned();
        let comp = ex.comps.item.as_str();
        require(
            matches!(comp, "in" | "pmatch" | "intersects") || is_modifier_comp(comp),
            "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
            &ex.ctx,
        )?;
        if let Some(source) = source
            && !checker.is_valid_field(source, &ex.fields.item)
        {
            return Err(Failure::new(
                VALIDATE,
                format!("'{}' is not a supported filter field", ex.fields.item),
                &ex.ctx,
            ));
        }
    }
    Ok(())
}

/// `Ok` when `holds`, else a validation failure with `message` at `ctx`.
fn require(holds: bool, message: &'static str, ctx: &Context) -> Result<(), Failure> {
    if holds {
        Ok(())
    } else {
        Err(Failure::new(VALIDATE, message, ctx))
    }
}

/// Parses `x.y.z` (each part a decimal number).
pub fn parse_semver(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((major, minor, patch))
}
