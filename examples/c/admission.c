/*
 * Admission from C: load the policies of a directory, review an AdmissionReview.
 *
 * Build and run (from the workspace root, after `cargo build -p palisade-ffi`):
 *   cc -I crates/palisade-ffi/include examples/c/admission.c -L target/debug -lpalisade_ffi \
 *      -Wl,-rpath,target/debug -o admission && ./admission examples/data
 */
#include <stdio.h>

#include "palisade.h"

static const char *REVIEW =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"42\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"operation\":\"CREATE\",\"namespace\":\"shop\",\"name\":\"debug\","
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"debug\","
    "\"namespace\":\"shop\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}";

int main(int argc, char **argv) {
  char path[4096];
  char *error = NULL;
  char *response = NULL;
  bool allowed = false;
  PalisadeAdmission *admission = NULL;
  int code = 1;

  snprintf(path, sizeof path, "%s/mixed", argc > 1 ? argv[1] : "examples/data");
  if (palisade_admission_new(&admission, &error) != PALISADE_STATUS_OK ||
      palisade_admission_load_dir(admission, path, &error) != PALISADE_STATUS_OK ||
      palisade_admission_review(admission, REVIEW, &response, &allowed, &error) !=
          PALISADE_STATUS_OK) {
    fprintf(stderr, "error: %s\n", error);
    goto done;
  }
  printf("allowed: %s\n%s\n", allowed ? "yes" : "no", response);
  code = allowed ? 1 : 0; /* the example expects a denial */
done:
  palisade_string_free(error);
  palisade_string_free(response);
  palisade_admission_free(admission);
  return code;
}
