/*
 * xs_host.h - the desktop XS host's own interface between main.c, the platform
 * glue (xs_platform.c) and the host-only I/O (host_io.c). Nothing here exists
 * on a device.
 */
#ifndef XTML_XS_HOST_H
#define XTML_XS_HOST_H

#include <stddef.h>
#include <stdio.h>

#include "xs.h"

/*
 * Add the "modules" of a Moddable-style manifest (and of the manifests its
 * "include" names) to the module map. Returns 0, or -1 with a message in
 * error. Paths are relative to the manifest; $(VARIABLES) are not supported.
 */
int xtml_host_add_manifest(const char *path, char *error, size_t error_size);

/* Print "name<TAB>file" for every module in the map. */
void xtml_host_list_modules(FILE *out);

/* Run queued promise jobs until none is left, then abort on unhandled rejections. */
void xtml_host_run_jobs(xsMachine *the);

/* Arguments after the entry module, for args() of module "xtml-host". */
void xtml_host_set_args(int argc, char **argv);

#endif /* XTML_XS_HOST_H */
