//! `palisade runtime fields`: the field schema.

use palisade::runtime::ArgSpec;
use palisade::runtime::k8saudit;

use crate::exit::Exit;
use crate::output::{Output, Style};

/// Runs `palisade runtime fields`: the syscall and `k8s_audit` fields.
pub fn run(out: &Output) -> Exit {
    let schema = k8saudit::schema();
    if out.json() {
        let fields: Vec<serde_json::Value> = schema
            .fields()
            .map(|(_, def)| {
                serde_json::json!({
                    "name": def.name,
                    "type": def.ty.as_str(),
                    "arg": arg_text(def.arg),
                    "source": def.source,
                    "description": def.description,
                })
            })
            .collect();
        out.print_json(&serde_json::json!({ "fields": fields }));
        return Exit::Ok;
    }
    for (_, def) in schema.fields() {
        let name = match def.arg {
            ArgSpec::None => def.name.clone(),
            ArgSpec::Required => format!("{}[...]", def.name),
            ArgSpec::Optional => format!("{}[[...]]", def.name),
            ArgSpec::DotOrBracket => format!("{}.NAME / {}[N]", def.name, def.name),
        };
        out.line(&format!(
            "{} {:<7} {}",
            out.paint(Style::Bold, &format!("{name:<40}")),
            def.ty.as_str(),
            def.description
        ));
    }
    Exit::Ok
}

fn arg_text(arg: ArgSpec) -> &'static str {
    match arg {
        ArgSpec::None => "none",
        ArgSpec::Required => "required",
        ArgSpec::Optional => "optional",
        ArgSpec::DotOrBracket => "name-or-index",
    }
}
