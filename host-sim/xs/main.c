/*
 * main.c - the desktop XS host: runs our TypeScript, compiled by tsc to ES
 * modules, on XS 13.3 with the xs-tinyml core and its XS binding linked in,
 * resolving modules as a Moddable device does (see xs_platform.c).
 *
 *   xtml-xs [--manifest FILE]... ENTRY [ARG...]
 *   xtml-xs [--manifest FILE]... --modules
 *
 *   --manifest FILE  add the "modules" of a Moddable-style manifest (and of
 *                    the manifests it includes); repeatable
 *   --modules        print the module map ("name<TAB>file") and exit
 *   ENTRY            the module to run, by its module name ("run-vectors")
 *   ARG...           handed to the program: args() of module "xtml-host"
 *
 * The program sees the global trace(...values), which writes each value as a
 * string to standard output with no newline added, as Moddable's trace writes
 * to the debug console. Exit status: 0; 1 when the program throws (the
 * exception and its stack go to standard error); 2 for a usage error.
 *
 * Written with the xs* API of xs.h; the xsmc host functions are in host_io.c
 * and native/xs/xtml_xs.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"
#include "xs_host.h"

static void xs_trace(xsMachine *the) {
    xsIntegerValue i, count = xsToInteger(xsArgc);
    for (i = 0; i < count; i++) {
        fputs(xsToString(xsArg(i)), stdout);
    }
}

/* Print the exception and its stack, using xsVar(1) and xsVar(2); never throws. */
static void report_exception(xsMachine *the) {
    xsVar(1) = xsException;
    xsException = xsUndefined;
    xsTry {
        fprintf(stderr, "xtml-xs: uncaught %s\n", xsToString(xsVar(1)));
        if (xsTypeOf(xsVar(1)) == xsReferenceType) {
            xsVar(2) = xsGet(xsVar(1), xsID("stack"));
            if (xsTypeOf(xsVar(2)) == xsStringType) {
                fprintf(stderr, "%s\n", xsToString(xsVar(2)));
            }
        }
    }
    xsCatch {
        fprintf(stderr, "xtml-xs: uncaught exception (not printable)\n");
    }
}

static int usage(void) {
    fprintf(stderr, "usage: xtml-xs [--manifest FILE]... [--small-heap] [--chunk-limit BYTES] [--slot-limit SLOTS] [--stack-limit SLOTS] ENTRY [ARG...]\n"
                    "       xtml-xs [--manifest FILE]... --modules\n");
    return 2;
}

/* Freeze every object reachable from the global object's properties and
 * their prototypes (the global object itself stays extensible, as on a
 * device: it is skipped under every name, globalThis and XS's own `global`). */
static const char freeze_builtins_js[] =
    "(function () {\n"
    "  const seen = new Set();\n"
    "  const freeze = (v) => {\n"
    "    if ((typeof v !== 'object' || v === null) && typeof v !== 'function') return;\n"
    "    if (seen.has(v)) return;\n"
    "    seen.add(v);\n"
    "    Object.freeze(v);\n"
    "    for (const key of Reflect.ownKeys(v)) {\n"
    "      const d = Object.getOwnPropertyDescriptor(v, key);\n"
    "      if (d === undefined) continue;\n"
    "      if ('value' in d) freeze(d.value); else { freeze(d.get); freeze(d.set); }\n"
    "    }\n"
    "    freeze(Object.getPrototypeOf(v));\n"
    "  };\n"
    "  for (const key of Reflect.ownKeys(globalThis)) {\n"
    "    if (globalThis[key] !== globalThis) freeze(globalThis[key]);\n"
    "  }\n"
    "})();\n";

int main(int argc, char **argv) {
    /* Designated: later XS versions add fields, which stay 0 (their defaults). */
    xsCreation creation = {
        .initialChunkSize = 4 * 1024 * 1024,
        .incrementalChunkSize = 1024 * 1024,
        .initialHeapCount = 256 * 1024,
        .incrementalHeapCount = 64 * 1024,
        .stackCount = 16 * 1024,
        .initialKeyCount = 2048,
        .incrementalKeyCount = 1024,
        .nameModulo = 1993,
        .symbolModulo = 127,
        .parserBufferSize = 64 * 1024,
        .parserTableModulo = 1993,
        .staticSize = 0, /* grow on demand */
    };
    char error[512];
    const char *entry = NULL;
    int i;
    volatile int status = 0; /* set after a longjmp by xsCatch */
    xsMachine *machine;

    for (i = 1; i < argc && entry == NULL; i++) {
        if (strcmp(argv[i], "--manifest") == 0 && i + 1 < argc) {
            if (xtml_host_add_manifest(argv[++i], error, sizeof error) != 0) {
                fprintf(stderr, "xtml-xs: %s\n", error);
                return 2;
            }
        } else if (strcmp(argv[i], "--small-heap") == 0) {
            /* Heaps that start small and grow in small steps: XS collects
             * before it grows, so what it reserves follows what is live
             * (xtml-host's heap() reports it; a measurement, not a limit). */
            creation.initialChunkSize = 32 * 1024;
            creation.incrementalChunkSize = 4 * 1024;
            creation.initialHeapCount = 4 * 1024;
            creation.incrementalHeapCount = 256;
        } else if (strcmp(argv[i], "--chunk-limit") == 0 && i + 1 < argc) {
            /* A chunk heap of exactly this many bytes that never grows: a
             * program whose live chunks exceed it aborts (memory full). */
            creation.initialChunkSize = atoi(argv[++i]);
            creation.incrementalChunkSize = 0;
        } else if (strcmp(argv[i], "--slot-limit") == 0 && i + 1 < argc) {
            /* The same for the slot heap, in slots. */
            creation.initialHeapCount = atoi(argv[++i]);
            creation.incrementalHeapCount = 0;
        } else if (strcmp(argv[i], "--stack-limit") == 0 && i + 1 < argc) {
            /* The JavaScript stack, in slots (a device's "creation.stack"):
             * a program that needs more gets XS's stack overflow. */
            creation.stackCount = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--modules") == 0) {
            xtml_host_list_modules(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            return usage();
        } else {
            entry = argv[i];
        }
    }
    if (entry == NULL) {
        return usage();
    }
    xtml_host_set_args(argc - i, argv + i);

    machine = xsCreateMachine(&creation, "xtml-xs", NULL);
    if (machine == NULL) {
        fprintf(stderr, "xtml-xs: cannot create the XS machine\n");
        return 1;
    }
    xsBeginHost(machine);
    {
        xsVars(3);
        xsTry {
            xsVar(0) = xsNewHostFunction(xs_trace, 1);
            xsSet(xsGlobal, xsID("trace"), xsVar(0));
            /* As on a device, where the built-ins are frozen when the app is
             * linked: code that writes to them (even Error.prototype.name
             * through an assignment) must fail here too. */
            xsCall1(xsGlobal, xsID("eval"), xsString(freeze_builtins_js));
            xsAwaitImport(entry, XS_IMPORT_NAMESPACE);
            xtml_host_run_jobs(the);
        }
        xsCatch {
            report_exception(the);
            status = 1;
        }
    }
    xsEndHost(machine);
    fflush(stdout);
    xsDeleteMachine(machine);
    return status;
}
