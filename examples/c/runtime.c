/*
 * Runtime from C: compile a Falco rules file, match events given as
 * field/value pairs (no JSON), read the alerts.
 *
 * Build and run (from the workspace root, after `cargo build -p palisade-ffi`):
 *   cc -I crates/palisade-ffi/include examples/c/runtime.c -L target/debug -lpalisade_ffi \
 *      -Wl,-rpath,target/debug -o runtime && ./runtime examples/data
 */
#include <stdio.h>

#include "palisade.h"

int main(int argc, char **argv) {
  char path[4096];
  const char *paths[1] = {path};
  char *error = NULL;
  PalisadeRules *rules = NULL;
  PalisadeMatcher *matcher = NULL;
  uint32_t evt_type, evt_dir, proc_name, proc_tty, container_id;
  size_t alerts = 0;
  int code = 1;

  snprintf(path, sizeof path, "%s/mixed/falco-rules.yaml", argc > 1 ? argv[1] : "examples/data");
  /* Compile once (shareable across threads); resolve field ids once. */
  if (palisade_rules_new_from_files(paths, 1, &rules, &error) != PALISADE_STATUS_OK ||
      palisade_rules_field(rules, "evt.type", &evt_type, &error) != PALISADE_STATUS_OK ||
      palisade_rules_field(rules, "evt.dir", &evt_dir, &error) != PALISADE_STATUS_OK ||
      palisade_rules_field(rules, "proc.name", &proc_name, &error) != PALISADE_STATUS_OK ||
      palisade_rules_field(rules, "proc.tty", &proc_tty, &error) != PALISADE_STATUS_OK ||
      palisade_rules_field(rules, "container.id", &container_id, &error) != PALISADE_STATUS_OK ||
      palisade_matcher_new(rules, &matcher, &error) != PALISADE_STATUS_OK) {
    fprintf(stderr, "error: %s\n", error);
    goto done;
  }
  /* One matcher per thread; here, one event. */
  PalisadeValue event[] = {
      {evt_type, PALISADE_VALUE_KIND_STR, "execve", 0},
      {evt_dir, PALISADE_VALUE_KIND_STR, "<", 0},
      {proc_name, PALISADE_VALUE_KIND_STR, "bash", 0},
      {proc_tty, PALISADE_VALUE_KIND_INT, NULL, 34816},
      {container_id, PALISADE_VALUE_KIND_STR, "3ad7b26ded6d", 0},
  };
  if (palisade_matcher_match(matcher, event, sizeof event / sizeof event[0], &alerts, &error) !=
      PALISADE_STATUS_OK) {
    fprintf(stderr, "error: %s\n", error);
    goto done;
  }
  for (size_t i = 0; i < alerts; i++) {
    PalisadeAlert alert;
    if (palisade_matcher_alert(matcher, i, &alert, &error) == PALISADE_STATUS_OK) {
      printf("alert: %s (priority %d): %s\n", alert.rule, (int)alert.priority, alert.output);
    }
  }
  code = alerts == 1 ? 0 : 1;
done:
  palisade_string_free(error);
  palisade_matcher_free(matcher);
  palisade_rules_free(rules);
  return code;
}
