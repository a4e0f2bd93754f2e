/*
 * Every export of palisade.h, including error paths and NULL arguments.
 * Run by tests/c_programs.rs (under valgrind when present):
 *   cc -std=c11 -Wall -Wextra -Werror -I include tests/c/test_ffi.c \
 *      -L ../../target/debug -lpalisade_ffi -Wl,-rpath,../../target/debug -o test_ffi
 *   ./test_ffi ../../examples/data
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "palisade.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    checks++;                                                              \
    if (!(cond)) {                                                         \
      failures++;                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                      \
  } while (0)

/* Expects `status` with an error message containing `needle`; frees it. */
static void expect_error(PalisadeStatus status, PalisadeStatus want, char **error,
                         const char *needle) {
  CHECK(status == want);
  CHECK(*error != NULL);
  if (*error != NULL) {
    if (strstr(*error, needle) == NULL) {
      fprintf(stderr, "error `%s` does not contain `%s`\n", *error, needle);
      failures++;
    }
    palisade_string_free(*error);
    *error = NULL;
  }
}

/* Expects success; prints and frees the message otherwise. */
static int ok(PalisadeStatus status, char **error) {
  if (status != PALISADE_STATUS_OK && *error != NULL) {
    fprintf(stderr, "unexpected error: %s\n", *error);
    palisade_string_free(*error);
    *error = NULL;
  }
  return status == PALISADE_STATUS_OK;
}

static const char *TEMPLATE =
    "apiVersion: templates.gatekeeper.sh/v1\n"
    "kind: ConstraintTemplate\n"
    "metadata: {name: k8srequiredlabels}\n"
    "spec:\n"
    "  crd: {spec: {names: {kind: K8sRequiredLabels}}}\n"
    "  targets:\n"
    "    - target: admission.k8s.gatekeeper.sh\n"
    "      rego: |\n"
    "        package k8srequiredlabels\n"
    "        violation[{\"msg\": msg}] {\n"
    "          not input.review.object.metadata.labels.owner\n"
    "          msg := \"missing label owner\"\n"
    "        }\n"
    "---\n"
    "apiVersion: constraints.gatekeeper.sh/v1beta1\n"
    "kind: K8sRequiredLabels\n"
    "metadata: {name: must-have-owner}\n"
    "spec: {match: {kinds: [{apiGroups: [\"\"], kinds: [Pod]}]}}\n";

static const char *REVIEW_DENIED =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"operation\":\"CREATE\",\"namespace\":\"shop\",\"name\":\"p\","
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
    "\"namespace\":\"shop\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}";

static const char *REVIEW_ALLOWED =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u2\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"operation\":\"CREATE\",\"namespace\":\"shop\",\"name\":\"p\","
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
    "\"namespace\":\"shop\",\"labels\":{\"owner\":\"me\"}},\"spec\":{\"containers\":"
    "[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}";

static void test_general(void) {
  const char *version = palisade_version();
  CHECK(version != NULL && strlen(version) > 0);
  palisade_string_free(NULL);
}

static void test_admission(const char *data) {
  char *error = NULL;
  PalisadeAdmission *adm = NULL;
  size_t count = 99;
  char *response = NULL;
  bool allowed = true;
  char path[4096];

  expect_error(palisade_admission_new(NULL, &error), PALISADE_STATUS_NULL_ARGUMENT, &error, "out");
  error = NULL;
  CHECK(palisade_admission_new(&adm, &error) == PALISADE_STATUS_OK && error == NULL);
  CHECK(palisade_admission_policy_count(adm, &count, NULL) == PALISADE_STATUS_OK && count == 0);

  /* An empty set allows everything. */
  CHECK(palisade_admission_review(adm, REVIEW_DENIED, &response, &allowed, NULL) == PALISADE_STATUS_OK);
  CHECK(allowed);
  CHECK(response != NULL && strstr(response, "\"allowed\":true") != NULL);
  palisade_string_free(response);
  response = NULL;

  /* Text policies. */
  CHECK(ok(palisade_admission_load_text(adm, "policies.yaml", TEMPLATE, &error), &error));
  CHECK(palisade_admission_policy_count(adm, &count, NULL) == PALISADE_STATUS_OK && count == 1);
  CHECK(palisade_admission_review(adm, REVIEW_DENIED, &response, &allowed, &error) == PALISADE_STATUS_OK);
  CHECK(!allowed);
  CHECK(response != NULL && strstr(response, "missing label owner") != NULL);
  CHECK(response != NULL && strstr(response, "\"uid\":\"u1\"") != NULL);
  palisade_string_free(response);
  response = NULL;
  CHECK(palisade_admission_review(adm, REVIEW_ALLOWED, &response, NULL, NULL) == PALISADE_STATUS_OK);
  CHECK(response != NULL && strstr(response, "\"allowed\":true") != NULL);
  palisade_string_free(response);
  response = NULL;

  /* A directory of policies. */
  snprintf(path, sizeof path, "%s/mixed", data);
  CHECK(ok(palisade_admission_load_dir(adm, path, &error), &error));
  CHECK(palisade_admission_policy_count(adm, &count, NULL) == PALISADE_STATUS_OK && count == 3);

  /* Errors. */
  expect_error(palisade_admission_load_text(adm, "bad.yaml", "kind: [unclosed", &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "bad.yaml");
  expect_error(palisade_admission_load_dir(adm, "/nonexistent/palisade", &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "nonexistent");
  expect_error(palisade_admission_review(adm, "{\"kind\":\"Pod\"}", &response, &allowed, &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "AdmissionReview");
  CHECK(response == NULL);
  expect_error(palisade_admission_review(adm, "not json", &response, &allowed, &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "");
  expect_error(palisade_admission_review(NULL, REVIEW_DENIED, &response, &allowed, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "admission");
  expect_error(palisade_admission_review(adm, NULL, &response, &allowed, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "review_json");
  expect_error(palisade_admission_review(adm, REVIEW_DENIED, NULL, &allowed, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "response_json");
  expect_error(palisade_admission_load_text(NULL, "n", TEMPLATE, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "admission");
  expect_error(palisade_admission_load_text(adm, "n", NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "text");
  expect_error(palisade_admission_load_dir(adm, NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "path");
  expect_error(palisade_admission_policy_count(adm, NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "count");
  /* A NULL error pointer is allowed. */
  CHECK(palisade_admission_policy_count(NULL, &count, NULL) == PALISADE_STATUS_NULL_ARGUMENT);

  palisade_admission_free(adm);
  palisade_admission_free(NULL);
}

static const char *RULES =
    "- macro: spawned_process\n"
    "  condition: evt.type in (execve, execveat) and evt.dir = <\n"
    "- rule: Shell in container\n"
    "  desc: a shell started in a container\n"
    "  condition: spawned_process and container.id != host and proc.name in (bash, sh)\n"
    "  output: shell in container (proc=%proc.name container=%container.id)\n"
    "  priority: WARNING\n"
    "- rule: Any process\n"
    "  desc: everything that runs\n"
    "  condition: spawned_process and proc.tty > 10\n"
    "  output: process %proc.name\n"
    "  priority: DEBUG\n";

static void test_runtime(const char *data) {
  char *error = NULL;
  PalisadeRules *rules = NULL;
  PalisadeMatcher *matcher = NULL;
  size_t count = 0;
  size_t alerts = 99;
  uint32_t evt_type, evt_dir, proc_name, container_id, proc_tty, again;
  PalisadeAlert alert;
  char path[4096];

  CHECK(palisade_rules_new_from_text("rules.yaml", RULES, &rules, &error) == PALISADE_STATUS_OK);
  CHECK(palisade_rules_count(rules, &count, NULL) == PALISADE_STATUS_OK && count == 2);

  CHECK(palisade_rules_field(rules, "evt.type", &evt_type, NULL) == PALISADE_STATUS_OK);
  CHECK(palisade_rules_field(rules, "evt.dir", &evt_dir, NULL) == PALISADE_STATUS_OK);
  CHECK(palisade_rules_field(rules, "proc.name", &proc_name, NULL) == PALISADE_STATUS_OK);
  CHECK(palisade_rules_field(rules, "container.id", &container_id, NULL) == PALISADE_STATUS_OK);
  CHECK(palisade_rules_field(rules, "proc.tty", &proc_tty, NULL) == PALISADE_STATUS_OK);
  CHECK(palisade_rules_field(rules, "proc.name", &again, NULL) == PALISADE_STATUS_OK && again == proc_name);
  CHECK(palisade_rules_field(rules, "proc.aname[2]", &again, NULL) == PALISADE_STATUS_OK);
  expect_error(palisade_rules_field(rules, "proc.nmae", &again, &error),
               PALISADE_STATUS_NOT_FOUND, &error, "proc.nmae");

  CHECK(palisade_matcher_new(rules, &matcher, &error) == PALISADE_STATUS_OK);
  /* The rules handle may go first: the matcher keeps what it needs. */
  {
    PalisadeValue event[] = {
        {evt_type, PALISADE_VALUE_KIND_STR, "execve", 0},
        {evt_dir, PALISADE_VALUE_KIND_STR, "<", 0},
        {proc_name, PALISADE_VALUE_KIND_STR, "bash", 0},
        {container_id, PALISADE_VALUE_KIND_STR, "3ad7b26ded6d", 0},
        {proc_tty, PALISADE_VALUE_KIND_INT, NULL, 34816},
    };
    CHECK(palisade_matcher_match(matcher, event, 5, &alerts, &error) == PALISADE_STATUS_OK);
    CHECK(alerts == 2);
    CHECK(palisade_matcher_alert(matcher, 0, &alert, NULL) == PALISADE_STATUS_OK);
    CHECK(strcmp(alert.rule, "Shell in container") == 0);
    CHECK(alert.priority == PALISADE_SEVERITY_WARNING);
    CHECK(strstr(alert.output, "%proc.name") != NULL);
    CHECK(palisade_matcher_alert(matcher, 1, &alert, NULL) == PALISADE_STATUS_OK);
    CHECK(strcmp(alert.rule, "Any process") == 0 && alert.priority == PALISADE_SEVERITY_DEBUG);
    expect_error(palisade_matcher_alert(matcher, 2, &alert, &error), PALISADE_STATUS_NOT_FOUND,
                 &error, "no alert 2");
    /* A host process: no shell alert. */
    event[3].str = "host";
    CHECK(palisade_matcher_match(matcher, event, 5, &alerts, NULL) == PALISADE_STATUS_OK);
    CHECK(alerts == 1);
    /* Another event type: nothing. */
    event[0].str = "open";
    CHECK(palisade_matcher_match(matcher, event, 5, &alerts, NULL) == PALISADE_STATUS_OK);
    CHECK(alerts == 0);
    /* Bad field id, NULL string, NULL values with a count. */
    event[0].field = 999;
    expect_error(palisade_matcher_match(matcher, event, 5, &alerts, &error),
                 PALISADE_STATUS_NOT_FOUND, &error, "999");
    event[0].field = evt_type;
    event[0].str = NULL;
    expect_error(palisade_matcher_match(matcher, event, 5, &alerts, &error),
                 PALISADE_STATUS_NULL_ARGUMENT, &error, "str");
    expect_error(palisade_matcher_match(matcher, NULL, 5, &alerts, &error),
                 PALISADE_STATUS_NULL_ARGUMENT, &error, "values");
    CHECK(palisade_matcher_match(matcher, NULL, 0, &alerts, NULL) == PALISADE_STATUS_OK && alerts == 0);
    expect_error(palisade_matcher_match(matcher, event, 5, NULL, &error),
                 PALISADE_STATUS_NULL_ARGUMENT, &error, "alerts");
    expect_error(palisade_matcher_match(NULL, event, 5, &alerts, &error),
                 PALISADE_STATUS_NULL_ARGUMENT, &error, "matcher");
  }
  palisade_rules_free(rules);
  rules = NULL;

  /* JSON events: outputs are filled in. */
  CHECK(palisade_matcher_match_json(matcher,
                                    "{\"evt.type\":\"execve\",\"evt.dir\":\"<\",\"proc.name\":\"sh\","
                                    "\"container.id\":\"c1\",\"proc.tty\":0}",
                                    &alerts, &error) == PALISADE_STATUS_OK);
  CHECK(alerts == 1);
  CHECK(palisade_matcher_alert(matcher, 0, &alert, NULL) == PALISADE_STATUS_OK);
  CHECK(strcmp(alert.output, "shell in container (proc=sh container=c1)") == 0);
  expect_error(palisade_matcher_match_json(matcher, "{not json", &alerts, &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "");
  expect_error(palisade_matcher_match_json(matcher, NULL, &alerts, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "event_json");
  expect_error(palisade_matcher_alert(NULL, 0, &alert, &error), PALISADE_STATUS_NULL_ARGUMENT,
               &error, "matcher");
  expect_error(palisade_matcher_alert(matcher, 0, NULL, &error), PALISADE_STATUS_NULL_ARGUMENT,
               &error, "alert");
  palisade_matcher_free(matcher);
  palisade_matcher_free(NULL);

  /* Rules files. */
  snprintf(path, sizeof path, "%s/mixed/falco-rules.yaml", data);
  {
    const char *paths[] = {path};
    const char *missing[] = {"/nonexistent/rules.yaml"};
    const char *null_path[] = {NULL};
    CHECK(palisade_rules_new_from_files(paths, 1, &rules, &error) == PALISADE_STATUS_OK);
    CHECK(palisade_rules_count(rules, &count, NULL) == PALISADE_STATUS_OK && count == 3);
    palisade_rules_free(rules);
    rules = NULL;
    expect_error(palisade_rules_new_from_files(missing, 1, &rules, &error),
                 PALISADE_STATUS_INVALID_INPUT, &error, "nonexistent");
    CHECK(rules == NULL);
    expect_error(palisade_rules_new_from_files(null_path, 1, &rules, &error),
                 PALISADE_STATUS_NULL_ARGUMENT, &error, "paths");
    expect_error(palisade_rules_new_from_files(NULL, 1, &rules, &error),
                 PALISADE_STATUS_NULL_ARGUMENT, &error, "paths");
  }
  expect_error(palisade_rules_new_from_text("bad.yaml", "- rule: x\n  condition: proc.name =\n",
                                            &rules, &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "bad.yaml");
  expect_error(palisade_rules_new_from_text("r", RULES, NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "out");
  expect_error(palisade_rules_new_from_text(NULL, RULES, &rules, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "name");
  expect_error(palisade_rules_count(NULL, &count, &error), PALISADE_STATUS_NULL_ARGUMENT, &error,
               "rules");
  expect_error(palisade_rules_field(NULL, "proc.name", &again, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "rules");
  expect_error(palisade_matcher_new(NULL, &matcher, &error), PALISADE_STATUS_NULL_ARGUMENT, &error,
               "rules");
  palisade_rules_free(NULL);
}

static void test_network(const char *data) {
  char *error = NULL;
  PalisadeNetwork *net = NULL;
  bool allowed = true;
  char *explanation = NULL;
  char *json = NULL;
  char path[4096];

  snprintf(path, sizeof path, "%s/cluster.yaml", data);
  CHECK(palisade_network_new_from_dir(path, &net, &error) == PALISADE_STATUS_OK);
  CHECK(palisade_network_check(net, "shop/api", "data/db", "TCP", 5432, &allowed, &explanation,
                               &error) == PALISADE_STATUS_OK);
  CHECK(allowed);
  CHECK(explanation != NULL && strstr(explanation, "\"allowed\":true") != NULL);
  /* The deciding rule is named apart from its position, which is in fields. */
  CHECK(strstr(explanation,
               "\"text\":\"ingress: allowed by NetworkPolicy data/db-from-api spec.ingress[0]\"") !=
        NULL);
  CHECK(strstr(explanation, "\"line\":125") != NULL && strstr(explanation, "\"column\":7") != NULL);
  palisade_string_free(explanation);
  explanation = NULL;
  CHECK(palisade_network_check(net, "shop/web", "data/db", "TCP", 5432, &allowed, &explanation,
                               NULL) == PALISADE_STATUS_OK);
  CHECK(!allowed);
  CHECK(explanation != NULL && strstr(explanation, "db-from-api") != NULL);
  palisade_string_free(explanation);
  explanation = NULL;
  CHECK(palisade_network_check(net, "shop/web", "data/db", "tcp", 5432, &allowed, NULL, NULL) ==
        PALISADE_STATUS_OK);
  CHECK(palisade_network_connlist_json(net, &json, &error) == PALISADE_STATUS_OK);
  CHECK(json != NULL && json[0] == '[' && strstr(json, "data/db") != NULL);
  palisade_string_free(json);

  expect_error(palisade_network_check(net, "shop/nope", "data/db", "TCP", 5432, &allowed, NULL,
                                      &error),
               PALISADE_STATUS_NOT_FOUND, &error, "shop/nope");
  expect_error(palisade_network_check(net, "shop/web", "data/db", "ICMP", 5432, &allowed, NULL,
                                      &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "ICMP");
  expect_error(palisade_network_check(net, "shop/web", "data/db", "TCP", 5432, NULL, NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "allowed");
  expect_error(palisade_network_check(NULL, "shop/web", "data/db", "TCP", 5432, &allowed, NULL,
                                      &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "network");
  expect_error(palisade_network_check(net, NULL, "data/db", "TCP", 5432, &allowed, NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "from");
  expect_error(palisade_network_connlist_json(net, NULL, &error), PALISADE_STATUS_NULL_ARGUMENT,
               &error, "json");
  expect_error(palisade_network_connlist_json(NULL, &json, &error), PALISADE_STATUS_NULL_ARGUMENT,
               &error, "network");
  palisade_network_free(net);
  net = NULL;

  CHECK(palisade_network_new_from_text(
            "inline.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\n"
            "spec: {containers: [{name: c, image: i}]}\n",
            &net, &error) == PALISADE_STATUS_OK);
  CHECK(palisade_network_check(net, "x/a", "x/a", "TCP", 80, &allowed, NULL, NULL) ==
        PALISADE_STATUS_OK);
  CHECK(allowed);
  palisade_network_free(net);
  net = NULL;
  expect_error(palisade_network_new_from_text("broken.yaml", "kind: [", &net, &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "broken.yaml");
  expect_error(palisade_network_new_from_dir("/nonexistent/palisade", &net, &error),
               PALISADE_STATUS_INVALID_INPUT, &error, "nonexistent");
  expect_error(palisade_network_new_from_dir(NULL, &net, &error), PALISADE_STATUS_NULL_ARGUMENT,
               &error, "path");
  expect_error(palisade_network_new_from_text("n", "kind: Pod", NULL, &error),
               PALISADE_STATUS_NULL_ARGUMENT, &error, "out");
  CHECK(net == NULL);
  palisade_network_free(NULL);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s EXAMPLES_DATA_DIR\n", argv[0]);
    return 2;
  }
  test_general();
  test_admission(argv[1]);
  test_runtime(argv[1]);
  test_network(argv[1]);
  printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
