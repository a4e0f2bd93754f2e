/*
 * Network from C: load a cluster's manifests, check a flow, print the
 * whole connectivity list.
 *
 * Build and run (from the workspace root, after `cargo build -p palisade-ffi`):
 *   cc -I crates/palisade-ffi/include examples/c/network.c -L target/debug -lpalisade_ffi \
 *      -Wl,-rpath,target/debug -o network && ./network examples/data
 */
#include <stdio.h>

#include "palisade.h"

int main(int argc, char **argv) {
  char path[4096];
  char *error = NULL;
  char *because = NULL;
  char *connlist = NULL;
  bool allowed = true;
  PalisadeNetwork *network = NULL;
  int code = 1;

  snprintf(path, sizeof path, "%s/cluster.yaml", argc > 1 ? argv[1] : "examples/data");
  if (palisade_network_new_from_dir(path, &network, &error) != PALISADE_STATUS_OK ||
      palisade_network_check(network, "shop/web", "data/db", "TCP", 5432, &allowed, &because,
                             &error) != PALISADE_STATUS_OK ||
      palisade_network_connlist_json(network, &connlist, &error) != PALISADE_STATUS_OK) {
    fprintf(stderr, "error: %s\n", error);
    goto done;
  }
  printf("shop/web -> data/db TCP/5432: %s\n%s\n", allowed ? "allowed" : "denied", because);
  printf("connlist: %s\n", connlist);
  code = allowed ? 1 : 0; /* the example expects the denial */
done:
  palisade_string_free(error);
  palisade_string_free(because);
  palisade_string_free(connlist);
  palisade_network_free(network);
  return code;
}
