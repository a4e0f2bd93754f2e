//! A template's `violation` rule compiled to regorus's register-based
//! virtual machine (RVM): the program is compiled once at load, and each
//! evaluation runs it on a virtual machine taken from a pool, so the
//! machines' register windows and stacks are reused from one review to the
//! next instead of an interpreter engine being cloned per review.

use std::sync::{Arc, Mutex, PoisonError};

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::{Program, RegoVM};
use regorus::{Engine, Value};

/// The most virtual machines kept for reuse per template: one per thread
/// evaluating it at once is enough, more only hold memory.
const MAX_POOLED: usize = 64;

/// The compiled program of one rule, with the virtual machines that run it.
pub(crate) struct CompiledRule {
    program: Arc<Program>,
    idle: Mutex<Vec<RegoVM>>,
}

impl std::fmt::Debug for CompiledRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledRule")
            .field("instructions", &self.program.instructions.len())
            .finish_non_exhaustive()
    }
}

impl CompiledRule {
    /// Compiles `rule` (`data.<package>.violation`) of the prepared
    /// `engine` (left as it is); `Err` is regorus's reason for refusing it.
    pub(crate) fn compile(engine: &Engine, rule: &str) -> Result<CompiledRule, String> {
        let mut engine = engine.clone();
        let policy = engine
            .compile_with_entrypoint(&Arc::from(rule))
            .map_err(|e| e.to_string())?;
        let program = Compiler::compile_from_policy(&policy, &[rule]).map_err(|e| e.to_string())?;
        Ok(CompiledRule {
            program,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs the rule on `input` with `data` as `data` (an empty object
    /// when the template reads no data).
    pub(crate) fn evaluate(&self, input: Value, data: Option<Value>) -> Result<Value, String> {
        let mut vm = self.take();
        let has_data = data.is_some();
        let result = (|| {
            if let Some(data) = data {
                vm.set_data(data).map_err(|e| e.to_string())?;
            }
            vm.set_input(input);
            vm.execute().map_err(|e| e.to_string())
        })();
        // Drop the request's documents before the machine waits for the next.
        vm.set_input(Value::Null);
        if !has_data || vm.set_data(Value::new_object()).is_ok() {
            self.give_back(vm);
        }
        result
    }

    /// An idle machine, or a new one loaded with the program.
    fn take(&self) -> RegoVM {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        idle.unwrap_or_else(|| {
            let mut vm = RegoVM::new();
            vm.load_program(self.program.clone());
            vm.set_execution_timer_config(Some(crate::limits::rego_timer()));
            // The wall-clock limit bounds an evaluation, as for the
            // interpreter; regorus's default instruction budget (25,000) is
            // below what a library template needs on a large object.
            vm.set_max_instructions(usize::MAX);
            // OPA's behaviour: a builtin given bad arguments is undefined.
            vm.set_strict_builtin_errors(false);
            let _ = vm.set_data(Value::new_object());
            vm
        })
    }

    fn give_back(&self, vm: RegoVM) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_POOLED {
            idle.push(vm);
        }
    }
}
