/*
 * xs_platform.h - the XS platform header of the desktop XS host (selected with
 * -DINCLUDE_XSPLATFORM -DXSPLATFORM="xs_platform.h").
 *
 * XS asks its platform for memory, module lookup and loading, the promise job
 * queue and what to do on a fatal error. This host takes XS's defaults for
 * memory, keys and script parsing, and supplies the rest in xs_platform.c:
 * modules are resolved the way a Moddable device resolves them (names from a
 * manifest's "modules" object, relative specifiers against the importing
 * module's name), and host functions declared with @ "name" are bound by
 * symbol name, as mcconfig's generated tables bind them on a device.
 *
 * No glib (unlike XS's lin_xs.h): nothing here needs a main loop.
 */
#ifndef XTML_XS_PLATFORM_H
#define XTML_XS_PLATFORM_H

#undef mxLinux
#define mxLinux 1

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>

#define mxUseGCCAtomics 1
#define mxUsePOSIXThreads 1

/* Fields XS's Atomics.wait support expects with POSIX threads. */
#define mxMachinePlatform \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink;

#define mxUseDefaultMachinePlatform 1
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
#define mxUseDefaultSlotAllocation 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1
/* Not default, in xs_platform.c: fxFindModule, fxLoadModule, fxQueuePromiseJobs, fxAbort. */

#endif /* XTML_XS_PLATFORM_H */
