/*
 * xtml-host: host-only I/O of the desktop XS host (host_io.c), for test
 * programs. Not available on a device: code that runs there must not import it.
 */

/** The program's arguments (after the entry module on the command line). */
export function args() @ "xs_host_args";
/** A file's bytes. */
export function readFile(path) @ "xs_host_read_file";
/** A UTF-8 text file as a string. */
export function readText(path) @ "xs_host_read_text";
